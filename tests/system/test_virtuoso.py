"""hairkg on Virtuoso Open Source 7 (issue 15): each breakage a new user met, as a test.

The session's Virtuoso (``virtuoso`` in tests/conftest.py) starts empty but for its own
system graphs; ``virtuoso_served`` asks an app on it for /healthz, then runs
``hairkg serve --store-url .../sparql --store-kind virtuoso --store-user hairkg`` (password
in HAIRKG_STORE_PASSWORD), which loads the release through the Graph Store Protocol with
Digest authentication.
"""

from __future__ import annotations

import json
import urllib.parse

import pyoxigraph as ox
import pytest
from virtuoso_engine import UPDATE_PASSWORD

from kb.rdf import KB_GRAPH
from kb.store.client import SparqlStore
from kb.store.engines import ENGINES
from kb.store.errors import StoreUnavailable

SEED_URL = "https://hairclinic.example/microneedling-for-hair-loss"
KB = "https://w3id.org/hairkg/id/"


@pytest.fixture(scope="module")
def served(virtuoso_served):
    return virtuoso_served.server


def sparql(server, query: str, accept: str | None = None):
    headers = {"Accept": accept} if accept else {}
    return server.get("/sparql?" + urllib.parse.urlencode({"query": query}), headers)


def test_a_store_with_system_graphs_only_is_not_healthy_and_gets_loaded(virtuoso_served, virtuoso):
    status, body = virtuoso_served.health_before_load
    assert status == 503, body  # Virtuoso's own graphs are not a hairkg release
    assert "no hairkg release" in body["error"]
    direct = SparqlStore(virtuoso.url + "/sparql", engine=ENGINES["virtuoso"])
    assert direct.holds_release()
    assert direct.ask(f"ASK {{ GRAPH <{KB_GRAPH}> {{ <{KB}microneedling> ?p ?o }} }}")
    status, _, body = virtuoso_served.server.get("/healthz")
    assert status == 200 and json.loads(body)["status"] == "ok"


def test_a_2xx_web_page_is_not_a_bulk_load(virtuoso):
    """Virtuoso's /sparql answers N-Quads POSTed to it with 200 text/html (its query form):
    a graph store configured at the wrong address, taking a dataset in one request."""
    store = SparqlStore(virtuoso.url + "/sparql", None, virtuoso.url + "/sparql")
    data = b'<https://example.org/s> <https://example.org/p> "o" <https://example.org/g> .\n'
    with pytest.raises(StoreUnavailable, match="not a Graph Store Protocol answer"):
        store.load_nquads(data)


@pytest.mark.parametrize(
    "query",
    [
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{KB_GRAPH}> {{ ?s ?p ?o }} }} LIMIT 20",
        f"DESCRIBE <{KB}microneedling>",
    ],
)
@pytest.mark.parametrize("accept", [None, "text/turtle", "application/n-triples"])
def test_construct_and_describe(served, query, accept):
    status, headers, body = sparql(served, query, accept)
    assert status == 200, body
    media = headers["Content-Type"].split(";")[0]
    fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES}
    assert len(list(ox.parse(body, format=fmt[media]))) > 0


def test_blank_nodes_in_answers(served):
    status, _, body = sparql(
        served, "SELECT ?x ?b WHERE { GRAPH ?g { ?x ?p ?b FILTER(isBlank(?b)) } } LIMIT 5"
    )
    assert status == 200, body
    rows = list(ox.parse_query_results(body, ox.QueryResultsFormat.JSON))
    assert rows and all(isinstance(row["b"], ox.BlankNode) for row in rows)
    assert b"nodeID://" not in body


@pytest.mark.parametrize(
    ("accept", "fmt"),
    [
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
    ],
)
def test_entity_iris_in_rdf_formats(served, accept, fmt):
    status, _, body = served.get("/id/microneedling", {"Accept": accept})
    assert status == 200, body[:500]
    triples = list(ox.parse(body, format=fmt, base_iri=KB))
    assert any(t.subject == ox.NamedNode(KB + "microneedling") for t in triples)
    # the schema.org alignment (subPropertyOf/subClassOf closure) is there too
    assert any("//schema.org/" in t.predicate.value for t in triples)


def test_entity_page_in_html(served):
    """The page's neighbourhood queries (kb.read.description.neighbourhood) on Virtuoso: the
    entity's relations, the articles tagging it and the claims about it are there."""
    status, _, body = served.get("/id/microneedling", {"Accept": "text/html"})
    assert status == 200, body[:500]
    page = body.decode()
    assert "<h1>microneedling" in page
    assert 'href="/id/androgenetic-alopecia"' in page  # hk:treats
    assert 'href="/id/microneedling-for-hair-loss"' in page  # hk:about, from an article
    assert "Claims, sources and corrections" in page
    assert "inferred</span>" in page  # which statements only the reasoner made


def test_the_whole_dump(served, release_dir):
    status, _, body = served.get("/dump.nq")
    assert status == 200, body[:500]
    dumped = set(ox.parse(body, format=ox.RdfFormat.N_QUADS))
    canonical = ox.Store()  # typed literals in canonical form ("1.0" decimal is "1"), as stored
    canonical.bulk_extend(
        ox.parse(path=str(release_dir / "release.nq"), format=ox.RdfFormat.N_QUADS)
    )
    release = set(canonical)
    named_only = {q for q in release if not any(isinstance(t, ox.BlankNode) for t in q)}
    assert named_only <= dumped  # every quad (blank nodes are renamed by any store)
    assert len(dumped) == len(release)


def test_the_article_index_reads_the_articles(served):
    status, _, body = served.get("/api/v1/related?" + urllib.parse.urlencode({"url": SEED_URL}))
    assert status == 200, body
    answer = json.loads(body)
    assert answer["article"]["url"] == SEED_URL
    assert answer["items"], answer
    status, _, body = served.get("/api/v1/search?q=microneedling+for+hair&type=Article")
    assert status == 200 and json.loads(body)["items"], body
    # built by a child process signed in with the credentials it was handed on its stdin
    assert "built in child process" in served.log()
    assert "building in this process" not in served.log()


def test_no_secret_in_the_service_description_the_log_or_errors(served):
    for path, headers in (
        ("/sparql", {"Accept": "text/turtle"}),
        ("/.well-known/void", {"Accept": "text/turtle"}),
        ("/sparql?query=SELEC", {}),
        ("/healthz", {}),
    ):
        _, _, body = served.get(path, headers)
        assert UPDATE_PASSWORD.encode() not in body, path
    assert UPDATE_PASSWORD not in served.log()


def test_the_time_limit_is_asked_of_virtuoso_and_a_partial_answer_is_no_answer(served):
    """hairkg asks Virtuoso for the limit (``timeout`` in ms): Virtuoso stops there and answers
    200 with what it had and ``X-SQL-State: S1TAT``, which must be a timeout, never rows."""
    heavy = (
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f "
        "FILTER(STRLEN(STR(?c)) + STRLEN(STR(?f)) > 3) }"
    )
    status, _, body = served.get(
        "/sparql?" + urllib.parse.urlencode({"query": heavy, "timeout": "1"})
    )
    assert status == 503, body
    assert b"time limit" in body, body


def test_virtuosos_partial_answer_at_its_own_limit_is_a_timeout(virtuoso_served, virtuoso):
    """Virtuoso asked for a 20 ms limit (the unit changed to seconds, so hairkg's own deadline
    stays far away) answers 200 and S1TAT: that is a timeout, not an empty count."""
    from dataclasses import replace

    from kb.store.errors import QueryTimeout

    engine = replace(ENGINES["virtuoso"], timeout_in_ms=False)  # "timeout=20" read as 20 ms
    store = SparqlStore(virtuoso.url + "/sparql", engine=engine)
    heavy = (
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f "
        "FILTER(STRLEN(STR(?c)) + STRLEN(STR(?f)) > 3) }"
    )
    with pytest.raises(QueryTimeout):
        store.query(heavy, timeout_s=20)
