"""Reading what the indexes are built from out of the store: the articles with their tags, and the
triples of the concept graph."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox

from kb.rdf import CONTENT_GRAPHS, DCTERMS, HK, SCHEMA
from kb.read.entities import (
    ABOUT,
    ARTICLE,
    MENTIONS,
    Lit,
    humanise,
)
from kb.read.related_model import Article
from kb.store.client import SOLUTIONS_JSON, SparqlStore, sparql_term, values_clause

# Article fields, in order of preference.
URL_PROPERTIES = (str(SCHEMA.url),)


TITLE_PROPERTIES = (
    str(SCHEMA.headline),
    str(SCHEMA.name),
    str(DCTERMS.title),
    "http://www.w3.org/2000/01/rdf-schema#label",
    str(HK.title),
)


SUMMARY_PROPERTIES = (
    str(SCHEMA.abstract),
    str(SCHEMA.description),
    str(DCTERMS.abstract),
    str(DCTERMS.description),
    str(HK.summary),
)


DATE_PROPERTIES = (
    str(SCHEMA.datePublished),
    str(DCTERMS.date),
    str(DCTERMS.issued),
    str(SCHEMA.dateCreated),
    str(HK.date),
)


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
SOLUTIONS_TSV = "text/tab-separated-values"
# Queries in flight at once while loading: the engine evaluates and writes one answer while
# this process decodes another.
READERS = 3


def _term(binding: dict | None):
    """A SPARQL JSON value as the entity graph holds it (an IRI, ``_:label``, a ``Lit``)."""
    if binding is None:
        return None
    kind = binding["type"]
    if kind == "uri":
        return binding["value"]
    if kind == "bnode":
        return "_:" + binding["value"]
    if kind in ("literal", "typed-literal"):
        return Lit(
            binding["value"],
            binding.get("xml:lang", ""),
            binding.get("datatype", XSD_STRING),
        )
    return None  # RDF-star triple terms: not used here


def _ox_term(term):
    """A pyoxigraph term as ``_term`` gives it from SPARQL JSON (a language-tagged literal
    keeps ``xsd:string`` as its datatype, as JSON results leave it out)."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        language = term.language
        return Lit(term.value, language or "", XSD_STRING if language else term.datatype.value)
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return None


@contextlib.contextmanager
def readers(count: int) -> Iterator[ThreadPoolExecutor]:
    """Threads for reads from the store. When the block raises (a read failed), the reads not
    started yet are cancelled and the error is raised at once; those under way end at their
    own time limit."""
    pool = ThreadPoolExecutor(count, thread_name_prefix="hairkg-load")
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()


def _answer(store: SparqlStore, sparql: str):
    """The engine's answer to a SELECT over the content graphs: TSV from an engine whose
    output is standard (Oxigraph), SPARQL JSON from the others (Virtuoso writes IRIs in TSV
    as quoted strings)."""
    accept = SOLUTIONS_TSV if store.engine.standard_output else SOLUTIONS_JSON
    return store.query(sparql, default_graphs=CONTENT_GRAPHS, accept=accept, timeout_s=300.0)


def _rows(store: SparqlStore, sparql: str) -> list[tuple]:
    """The rows of a SELECT over the content graphs, each a tuple of ``_term`` values (None
    when unbound) in the order of its variables; TSV parsed by pyoxigraph's Rust parser
    (about 4x faster than SPARQL JSON decoded here) or SPARQL JSON (``_answer``)."""
    return _decoded(_answer(store, sparql))


def _decoded(raw) -> list[tuple]:
    if raw.content_type == SOLUTIONS_TSV:
        solutions = ox.parse_query_results(raw.body, ox.QueryResultsFormat.TSV)
        return [tuple(map(_ox_term, solution)) for solution in solutions]
    answer = json.loads(raw.body)
    names = answer["head"]["vars"]
    return [
        tuple(_term(binding.get(name)) for name in names)
        for binding in answer["results"]["bindings"]
    ]


def _is_iri(value) -> bool:
    return isinstance(value, str) and not value.startswith("_:")


def _iri_rows(store: SparqlStore, sparql: str) -> list[tuple]:
    """The rows of a SELECT whose values are all IRIs. In Oxigraph's TSV an IRI is its cell
    whole, ``<...>`` (an IRI holds no tab, newline or ``>``), read here without a parser."""
    raw = _answer(store, sparql)
    if raw.content_type != SOLUTIONS_TSV:
        return [row for row in _decoded(raw) if all(map(_is_iri, row))]
    rows = []
    for line in raw.body.decode("utf-8").split("\n")[1:]:
        cells = line.removesuffix("\r").split("\t")
        if all(cell[:1] == "<" and cell[-1:] == ">" for cell in cells):
            rows.append(tuple(cell[1:-1] for cell in cells))
    return rows


def _article_filter(iris: Iterable[str] | None) -> str:
    if iris is None:
        return ""
    return values_clause("a", [ox.NamedNode(i) for i in iris])


def _field(store: SparqlStore, sparql: str, rank: int, iri_ok: bool) -> dict[str, tuple]:
    """subject -> the sort key of its preferred value among the rows (subject, value) of
    ``sparql``, the ``rank``-th property of a field: (rank, English 0 / no language 1 /
    another 2, value); IRI values only when ``iri_ok``."""
    found: dict[str, tuple] = {}
    for subject, value in _rows(store, sparql):
        if not _is_iri(subject) or value is None:
            continue
        if isinstance(value, Lit):
            lang = value.lang.lower()
            key = (rank, 0 if lang.startswith("en") else 1 if not lang else 2, value.value)
        elif _is_iri(value):
            if not iri_ok:
                continue
            key = (rank, 1, value)
        else:  # a blank node, by its label
            key = (rank, 1, value[2:])
        current = found.get(subject)
        if current is None or key < current:
            found[subject] = key
    return found


FIELDS = {
    "url": URL_PROPERTIES,
    "title": TITLE_PROPERTIES,
    "summary": SUMMARY_PROPERTIES,
    "date": DATE_PROPERTIES,
}
BLOCKED = str(HK.blockedRelated)


def load_articles(store: SparqlStore, iris: Iterable[str] | None = None) -> list[Article]:
    """Articles with their fields and tags; all of them, or only ``iris``.

    Each query is one triple pattern (an index scan in the engine): joining them in SPARQL
    was 10x slower at 100k articles than joining them here. ``READERS`` of them run at once."""
    restrict = _article_filter(iris)

    def pattern(prop: str) -> str:
        return f"SELECT ?a ?o WHERE {{ {restrict} ?a {sparql_term(ox.NamedNode(prop))} ?o }}"

    article_cls = sparql_term(ox.NamedNode(ARTICLE))
    with readers(READERS) as pool:
        tags = {
            prop: pool.submit(_iri_rows, store, pattern(prop))
            for prop in (MENTIONS, ABOUT, BLOCKED)
        }
        fields = {
            (name, rank): pool.submit(_field, store, pattern(prop), rank, name == "url")
            for name, props in FIELDS.items()
            for rank, prop in enumerate(props)
        }
        typed = pool.submit(
            _iri_rows, store, f"SELECT ?a WHERE {{ {restrict} ?a a {article_cls} }}"
        )
        picks = pool.submit(_rows, store, _picks_query(restrict))
        wanted = {row[0] for row in typed.result()}
        values: dict[str, dict[str, tuple]] = {name: {} for name in FIELDS}
        for (name, _rank), future in fields.items():
            chosen = values[name]
            for subject, key in future.result().items():
                current = chosen.get(subject)
                if current is None or key < current:
                    chosen[subject] = key
        about, mentions, blocked = (
            _tag_table(tags[prop].result(), wanted) for prop in (ABOUT, MENTIONS, BLOCKED)
        )
        pinned = _pinned(picks.result(), wanted)
    urls, titles, summaries, dates = (
        {subject: key[2] for subject, key in values[name].items()} for name in FIELDS
    )
    articles = []
    empty: set = set()
    for iri in sorted(wanted):
        url = urls.get(iri)
        if not url:
            continue  # an article without a URL cannot be shown in a widget
        tagged_about = about.get(iri, empty)
        articles.append(
            Article(
                iri=iri,
                url=url,
                title=titles.get(iri) or humanise(iri),
                summary=summaries.get(iri, ""),
                date=dates.get(iri, ""),
                about=tuple(sorted(tagged_about)),
                mentions=tuple(sorted(mentions.get(iri, empty) - tagged_about)),
                pinned=pinned.get(iri, ()),
                blocked=tuple(sorted(blocked.get(iri, empty))),
            )
        )
    return articles


def _tag_table(rows: list[tuple], wanted: set[str]) -> dict[str, set[str]]:
    table: dict[str, set[str]] = {}
    for subject, value in rows:
        if subject in wanted:
            table.setdefault(subject, set()).add(value)
    return table


def _picks_query(restrict: str) -> str:
    has_pick, picked, rank = (
        sparql_term(ox.NamedNode(str(p)))
        for p in (HK.hasEditorsPick, HK.pickedArticle, HK.pickRank)
    )
    return f"SELECT ?a ?b ?r WHERE {{ {restrict} ?a {has_pick} ?n . ?n {picked} ?b ; {rank} ?r }}"


def _pinned(rows: list[tuple], wanted: set[str]) -> dict[str, tuple[str, ...]]:
    """article -> the articles pinned on it, by rank (editors' picks)."""
    ranked: dict[str, list[tuple[int, str]]] = {}
    for subject, picked, rank in rows:
        text = rank.value if isinstance(rank, Lit) else rank[2:] if rank[:2] == "_:" else rank
        if subject in wanted and _is_iri(picked) and text.isdigit():
            ranked.setdefault(subject, []).append((int(text), picked))
    return {a: tuple(b for _r, b in sorted(picks)) for a, picks in ranked.items()}


def load_entity_triples(store: SparqlStore) -> list[tuple]:
    """Every triple whose subject is not an article nor an article's editors' pick (those
    are read with the articles) (ontology, concepts, claims...)."""
    article_cls = sparql_term(ox.NamedNode(ARTICLE))
    pick_cls = sparql_term(ox.NamedNode(str(HK.EditorsPick)))
    rows = _rows(
        store,
        f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o MINUS {{ ?s a {article_cls} }} "
        f"MINUS {{ ?s a {pick_cls} }} }}",
    )
    return [
        (s, p, o) for s, p, o in rows if s is not None and o is not None and not isinstance(s, Lit)
    ]


def articles_with_triples(store: SparqlStore, iris: Iterable[str]) -> tuple[set[str], set[str]]:
    """(those of ``iris`` that are articles, those that have any triple) in the content graphs."""
    iris = sorted(iris)
    articles: set[str] = set()
    present: set[str] = set()
    article_cls = sparql_term(ox.NamedNode(ARTICLE))
    for start in range(0, len(iris), 400):
        restrict = _article_filter(iris[start : start + 400])
        for row in _iri_rows(
            store, f"SELECT DISTINCT ?a WHERE {{ {restrict} ?a a {article_cls} }}"
        ):
            articles.add(row[0])
        for row in _iri_rows(store, f"SELECT DISTINCT ?a WHERE {{ {restrict} ?a ?p ?o }}"):
            present.add(row[0])
    return articles, present
