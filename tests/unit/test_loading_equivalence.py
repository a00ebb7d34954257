"""What a full build reads (``load_articles``, ``load_entity_triples``: TSV parsed by
pyoxigraph from Oxigraph, SPARQL JSON from the other engines, several queries at once) equals
what the loader read before (SPARQL JSON decoded in Python, one query at a time: the reference
below), on the release and on a generated graph of awkward cases, through both decoders."""

from __future__ import annotations

import json
import socket
import threading

import pyoxigraph as ox
import pytest
from helpers import wait_until

from kb.rdf import CONTENT_GRAPHS, HK, KB_GRAPH
from kb.read.entities import ARTICLE, Lit, humanise
from kb.read.loading import (
    DATE_PROPERTIES,
    SUMMARY_PROPERTIES,
    TITLE_PROPERTIES,
    URL_PROPERTIES,
    load_articles,
    load_entity_triples,
)
from kb.read.related_model import Article
from kb.store.client import SOLUTIONS_JSON, SparqlStore, values_clause
from kb.store.engines import ENGINES, StoreEndpoints
from kb.store.errors import StoreError
from kb.store.managed import ManagedOxigraph

KB = "https://w3id.org/hairkg/id/"
SCHEMA = "http://schema.org/"
DC = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD = "http://www.w3.org/2001/XMLSchema#"


# -- the reference: the loader as it was (SPARQL JSON decoded here, one query at a time) ----


def _json(store, sparql):
    raw = store.query(sparql, default_graphs=CONTENT_GRAPHS, accept=SOLUTIONS_JSON)
    return json.loads(raw.body)


def _iri_pairs(store, sparql):
    answer = _json(store, sparql)
    names = answer["head"]["vars"]
    rows = []
    for binding in answer["results"]["bindings"]:
        values = [binding.get(name) for name in names]
        if all(value and value["type"] == "uri" for value in values):
            rows.append([value["value"] for value in values])
    return rows


def reference_articles(store, iris=None) -> list[Article]:
    restrict = "" if iris is None else values_clause("a", [ox.NamedNode(i) for i in iris])
    wanted = {r[0] for r in _iri_pairs(store, f"SELECT ?a WHERE {{ {restrict} ?a a <{ARTICLE}> }}")}

    def field(names, iri_ok=False):
        found = {}
        for rank, prop in enumerate(names):
            answer = _json(store, f"SELECT ?a ?o WHERE {{ {restrict} ?a <{prop}> ?o }}")
            for row in answer["results"]["bindings"]:
                subject, value = row["a"]["value"], row["o"]
                if subject not in wanted or (value["type"] == "uri" and not iri_ok):
                    continue
                lang = value.get("xml:lang", "").lower()
                key = (rank, 0 if lang.startswith("en") else 1 if not lang else 2, value["value"])
                if subject not in found or key < found[subject]:
                    found[subject] = key
        return {s: k[2] for s, k in found.items()}

    urls, titles = field(URL_PROPERTIES, iri_ok=True), field(TITLE_PROPERTIES)
    summaries, dates = field(SUMMARY_PROPERTIES), field(DATE_PROPERTIES)
    tags = {}
    for prop in (f"{HK}about", f"{HK}mentions", f"{HK}blockedRelated"):
        table = tags[prop] = {}
        for a, o in _iri_pairs(store, f"SELECT ?a ?o WHERE {{ {restrict} ?a <{prop}> ?o }}"):
            if a in wanted:
                table.setdefault(a, set()).add(o)
    answer = _json(
        store,
        f"SELECT ?a ?b ?r WHERE {{ {restrict} ?a <{HK}hasEditorsPick> ?n . "
        f"?n <{HK}pickedArticle> ?b ; <{HK}pickRank> ?r }}",
    )
    ranked = {}
    for row in answer["results"]["bindings"]:
        a = row["a"]["value"]
        if a in wanted and row["b"]["type"] == "uri" and row["r"]["value"].isdigit():
            ranked.setdefault(a, []).append((int(row["r"]["value"]), row["b"]["value"]))
    pinned = {a: tuple(b for _r, b in sorted(p)) for a, p in ranked.items()}
    about, mentions, blocked = tags.values()
    return [
        Article(
            iri=iri,
            url=urls[iri],
            title=titles.get(iri) or humanise(iri),
            summary=summaries.get(iri, ""),
            date=dates.get(iri, ""),
            about=tuple(sorted(about.get(iri, set()))),
            mentions=tuple(sorted(mentions.get(iri, set()) - about.get(iri, set()))),
            pinned=pinned.get(iri, ()),
            blocked=tuple(sorted(blocked.get(iri, set()))),
        )
        for iri in sorted(wanted)
        if urls.get(iri)
    ]


def _term(b):
    if b["type"] == "uri":
        return b["value"]
    if b["type"] == "bnode":
        return "_:" + b["value"]
    return Lit(b["value"], b.get("xml:lang", ""), b.get("datatype", XSD + "string"))


def reference_triples(store) -> list[tuple]:
    answer = _json(
        store,
        f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o MINUS {{ ?s a <{ARTICLE}> }} "
        f"MINUS {{ ?s a <{HK}EditorsPick> }} }}",
    )
    rows = [(_term(r["s"]), r["p"]["value"], _term(r["o"])) for r in answer["results"]["bindings"]]
    return [(s, p, o) for s, p, o in rows if not isinstance(s, Lit)]


# -- the stores ----------------------------------------------------------------------------


def awkward_graph() -> bytes:
    """Articles and concepts with the cases the decoders must agree on."""
    g, history = ox.NamedNode(str(KB_GRAPH)), ox.NamedNode("https://w3id.org/hairkg/graph/history")
    quads = []

    def add(s, p, o, graph=g):
        s = s if isinstance(s, ox.BlankNode) else ox.NamedNode(s)
        quads.append(ox.Quad(s, ox.NamedNode(p), o, graph))

    iri, lit = ox.NamedNode, ox.Literal
    for n in range(30):
        a = f"{KB}article-{n:03d}"
        add(a, RDF_TYPE, iri(ARTICLE))
        if n % 7 != 3:  # some articles have no URL: left out
            url = f"https://Ex.example/{n}/" if n % 5 else f"https://ex.example/{n}?q=a\tb"
            add(a, SCHEMA + "url", iri(url.replace("\t", "%09")) if n % 11 == 0 else lit(url))
        add(a, DC + "title", lit(f'Tïtle\t{n} "quoted" \\ back\nslash 🙂', language="fr"))
        if n % 2:
            add(a, DC + "title", lit(f"Title {n}", language="en-GB"))
        if n % 3 == 0:
            add(a, SCHEMA + "headline", lit(f"Headline {n}"))  # a better-ranked property
        if n % 4 == 0:
            add(a, RDFS_LABEL, lit(f"Label {n}", language="de"))
            add(a, DC + "title", iri(f"{KB}not-a-title"))
        add(a, DC + "abstract", lit(f"Summary {n}\r\n", language="en"))
        add(
            a,
            SCHEMA + "datePublished",
            lit(f"2024-01-{n % 28 + 1:02d}", datatype=iri(XSD + "date")),
        )
        add(a, f"{HK}about", iri(f"{KB}concept-{n % 4}"))
        add(a, f"{HK}mentions", iri(f"{KB}concept-{n % 6}"))
        add(a, f"{HK}mentions", iri(f"{KB}concept-{(n + 1) % 6}"))
        add(a, f"{HK}mentions", lit("a literal is not a tag"))
        if n % 8 == 7:
            add(a, f"{HK}mentions", iri(f"{KB}Konzept-ü-✓"))  # not ASCII
        if n % 5 == 0:
            pick = f"{a}-pick"
            add(a, f"{HK}hasEditorsPick", iri(pick))
            add(pick, RDF_TYPE, iri(f"{HK}EditorsPick"))
            add(pick, f"{HK}pickedArticle", iri(f"{KB}article-{(n + 1) % 30:03d}"))
            add(pick, f"{HK}pickRank", lit(str(n % 3 + 1), datatype=iri(XSD + "integer")))
            add(a, f"{HK}blockedRelated", iri(f"{KB}article-{(n + 2) % 30:03d}"))
        add(a, f"{HK}about", iri(f"{KB}history-only"), history)  # not a content graph
    for c in range(6):
        concept = f"{KB}concept-{c}"
        add(concept, RDF_TYPE, iri(f"{HK}Condition"))
        add(concept, RDFS_LABEL, lit(f"concépt {c}", language="en-GB"))
        add(concept, RDFS_LABEL, lit(f"Konzept {c}"))
        add(concept, f"{HK}count", lit(str(c), datatype=iri(XSD + "integer")))
        node = ox.BlankNode(f"b{c}")
        add(concept, f"{HK}detail", node)
        add(node, RDFS_LABEL, lit('a\tblank\nnode "label"'))
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS)


@pytest.fixture(scope="module")
def stores(tmp_path_factory, release_dir):
    """(release store, generated store), each as Oxigraph (TSV) and as a generic engine (JSON)."""
    servers, found = [], {}
    for name, data in (
        ("release", (release_dir / "release.nq").read_bytes()),
        ("awkward", awkward_graph()),
    ):
        server = ManagedOxigraph(tmp_path_factory.mktemp(name), timeout_cap_s=60)
        server.start()
        servers.append(server)
        store = server.store(timeout_s=60)
        store.load_nquads(data)
        generic = SparqlStore.for_endpoints(
            StoreEndpoints(store.query_url, engine=ENGINES["generic"]), timeout_s=60
        )
        found[name] = (store, generic)
    yield found
    for server in servers:
        server.stop()


@pytest.mark.parametrize("graph", ["release", "awkward"])
@pytest.mark.parametrize("decoder", ["tsv", "json"])
def test_the_loader_reads_what_it_read_before(stores, graph, decoder):
    oxigraph, generic = stores[graph]
    store = oxigraph if decoder == "tsv" else generic
    expected_articles = reference_articles(oxigraph)
    assert expected_articles  # the case is not empty
    assert load_articles(store) == expected_articles
    assert load_entity_triples(store) == reference_triples(oxigraph)  # same order too


def test_a_refresh_of_some_articles_reads_what_it_read_before(stores):
    oxigraph, generic = stores["awkward"]
    some = [f"{KB}article-{n:03d}" for n in (0, 3, 5, 11, 29)] + [f"{KB}concept-1"]
    expected = reference_articles(oxigraph, some)
    assert [a.iri for a in expected] == [f"{KB}article-{n:03d}" for n in (0, 5, 11, 29)]
    assert load_articles(oxigraph, some) == expected
    assert load_articles(generic, some) == expected


def test_the_awkward_cases_come_out_as_meant(stores):
    articles = {a.iri: a for a in load_articles(stores["awkward"][0])}
    first, odd = articles[f"{KB}article-000"], articles[f"{KB}article-001"]
    assert f"{KB}article-003" not in articles  # no URL
    assert first.url == "https://ex.example/0?q=a%09b"  # an IRI as the URL
    assert articles[f"{KB}article-005"].url == "https://ex.example/5?q=a\tb"
    assert first.title == "Headline 0" and first.pinned and first.blocked
    assert odd.title == "Title 1"  # English before French
    assert articles[f"{KB}article-002"].title.startswith('Tïtle\t2 "quoted" \\ back\nslash')
    assert articles[f"{KB}article-011"].url == "https://Ex.example/11/"
    assert all(f"{KB}history-only" not in a.about for a in articles.values())


def test_a_store_that_cannot_be_read_is_an_error_and_leaves_no_reader():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: connections are refused
    store = SparqlStore.for_server(f"http://127.0.0.1:{port}", timeout_s=5)
    with pytest.raises(StoreError):
        load_articles(store)
    wait_until(
        lambda: not [t for t in threading.enumerate() if t.name.startswith("hairkg-load")],
        timeout_s=20,
        what="the reader threads to end",
    )
