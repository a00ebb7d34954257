"""Reading what the indexes are built from out of the store: the articles with their tags, and the
triples of the concept graph."""

from __future__ import annotations

import json
from collections.abc import Iterable

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


def _term(binding: dict | None):
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
            binding.get("datatype", "http://www.w3.org/2001/XMLSchema#string"),
        )
    return None  # RDF-star triple terms: not used here


def _select_json(store: SparqlStore, sparql: str, timeout_s: float = 120.0) -> list[dict]:
    raw = store.query(
        sparql, default_graphs=CONTENT_GRAPHS, accept=SOLUTIONS_JSON, timeout_s=timeout_s
    )
    return json.loads(raw.body)["results"]["bindings"]


def _article_filter(iris: Iterable[str] | None) -> str:
    if iris is None:
        return ""
    return values_clause("a", [ox.NamedNode(i) for i in iris])


def _select_iri_pairs(store: SparqlStore, sparql: str) -> list[list[str]]:
    """Rows whose values are all IRIs, from SPARQL JSON results (TSV is not read the same
    way by every engine: Virtuoso writes IRIs as quoted strings)."""
    raw = store.query(sparql, default_graphs=CONTENT_GRAPHS, accept=SOLUTIONS_JSON, timeout_s=300.0)
    answer = json.loads(raw.body)
    names = answer["head"]["vars"]
    rows = []
    for binding in answer["results"]["bindings"]:
        values = [binding.get(name) for name in names]
        if all(value and value["type"] == "uri" for value in values):
            rows.append([value["value"] for value in values])
    return rows


def load_articles(store: SparqlStore, iris: Iterable[str] | None = None) -> list[Article]:
    """Articles with their fields and tags; all of them, or only ``iris``.

    Each query is one triple pattern (an index scan in the engine): joining them in SPARQL
    was 10x slower at 100k articles than joining them here."""
    restrict = _article_filter(iris)
    article_cls = sparql_term(ox.NamedNode(ARTICLE))
    wanted = {
        row[0]
        for row in _select_iri_pairs(store, f"SELECT ?a WHERE {{ {restrict} ?a a {article_cls} }}")
    }

    def field(names: tuple[str, ...], *, iri_ok: bool = False) -> dict[str, str]:
        """article -> value of the first property in ``names`` it has (English preferred)."""
        found: dict[str, tuple] = {}
        for rank, prop in enumerate(names):
            rows = _select_json(
                store,
                f"SELECT ?a ?o WHERE {{ {restrict} ?a {sparql_term(ox.NamedNode(prop))} ?o }}",
            )
            for row in rows:
                subject, value = row["a"]["value"], row["o"]
                if subject not in wanted or (value["type"] == "uri" and not iri_ok):
                    continue
                lang = value.get("xml:lang", "").lower()
                key = (rank, 0 if lang.startswith("en") else 1 if not lang else 2, value["value"])
                current = found.get(subject)
                if current is None or key < current:
                    found[subject] = key
        return {subject: key[2] for subject, key in found.items()}

    urls = field(URL_PROPERTIES, iri_ok=True)
    titles = field(TITLE_PROPERTIES)
    summaries = field(SUMMARY_PROPERTIES)
    dates = field(DATE_PROPERTIES)
    about: dict[str, set] = {}
    mentions: dict[str, set] = {}
    for table, prop in ((about, ABOUT), (mentions, MENTIONS)):
        pattern = f"?a {sparql_term(ox.NamedNode(prop))} ?o"
        for row in _select_iri_pairs(store, f"SELECT ?a ?o WHERE {{ {restrict} {pattern} }}"):
            if len(row) == 2 and row[0] in wanted:
                table.setdefault(row[0], set()).add(row[1])
    pinned, blocked = _editors_picks(store, restrict, wanted)
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


def _editors_picks(
    store: SparqlStore, restrict: str, wanted: set[str]
) -> tuple[dict[str, tuple[str, ...]], dict[str, set[str]]]:
    """(article -> the articles pinned on it, by rank; article -> the articles blocked on it)."""
    has_pick, picked, rank, blocked_by = (
        sparql_term(ox.NamedNode(str(p)))
        for p in (HK.hasEditorsPick, HK.pickedArticle, HK.pickRank, HK.blockedRelated)
    )
    rows = _select_json(
        store,
        f"SELECT ?a ?b ?r WHERE {{ {restrict} ?a {has_pick} ?n . ?n {picked} ?b ; {rank} ?r }}",
    )
    ranked: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        subject = row["a"]["value"]
        if subject in wanted and row["b"]["type"] == "uri" and row["r"]["value"].isdigit():
            ranked.setdefault(subject, []).append((int(row["r"]["value"]), row["b"]["value"]))
    pinned = {a: tuple(b for _r, b in sorted(picks)) for a, picks in ranked.items()}
    blocked: dict[str, set[str]] = {}
    for row in _select_iri_pairs(store, f"SELECT ?a ?o WHERE {{ {restrict} ?a {blocked_by} ?o }}"):
        if len(row) == 2 and row[0] in wanted:
            blocked.setdefault(row[0], set()).add(row[1])
    return pinned, blocked


def load_entity_triples(store: SparqlStore) -> list[tuple]:
    """Every triple whose subject is not an article nor an article's editors' pick (those
    are read with the articles) (ontology, concepts, claims...)."""
    article_cls = sparql_term(ox.NamedNode(ARTICLE))
    pick_cls = sparql_term(ox.NamedNode(str(HK.EditorsPick)))
    rows = _select_json(
        store,
        f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o MINUS {{ ?s a {article_cls} }} "
        f"MINUS {{ ?s a {pick_cls} }} }}",
    )
    out = []
    for row in rows:
        s, o = _term(row["s"]), _term(row["o"])
        if s is None or o is None or isinstance(s, Lit):
            continue
        out.append((s, row["p"]["value"], o))
    return out


def articles_with_triples(store: SparqlStore, iris: Iterable[str]) -> tuple[set[str], set[str]]:
    """(those of ``iris`` that are articles, those that have any triple) in the content graphs."""
    iris = sorted(iris)
    articles: set[str] = set()
    present: set[str] = set()
    article_cls = sparql_term(ox.NamedNode(ARTICLE))
    for start in range(0, len(iris), 400):
        restrict = _article_filter(iris[start : start + 400])
        for row in _select_iri_pairs(
            store, f"SELECT DISTINCT ?a WHERE {{ {restrict} ?a a {article_cls} }}"
        ):
            articles.add(row[0])
        for row in _select_iri_pairs(store, f"SELECT DISTINCT ?a WHERE {{ {restrict} ?a ?p ?o }}"):
            present.add(row[0])
    return articles, present
