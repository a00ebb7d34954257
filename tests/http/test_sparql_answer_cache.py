"""/sparql keeps rendered answers per worker, keyed by the dataset version (api/sparql.py,
``_AnswerCache``): a repeated query skips the store, a write on this host is seen by the next
request on every worker, and answers that differ between runs are never kept."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from conftest import start_server
from helpers import wait_until

TOKEN = "cache-secret"
URLS = "PREFIX schema: <http://schema.org/> SELECT ?u WHERE { ?a schema:url ?u } ORDER BY ?u"


@pytest.fixture(scope="module")
def server(tmp_path_factory, release_dir):
    running = start_server(
        tmp_path_factory.mktemp("answer-cache"),
        release_dir=release_dir,
        env={"HAIRKG_TOKENS": f"ed:{TOKEN}:write", "HAIRKG_TOKENS_FILE": ""},
    )
    yield running
    running.stop()


def query(server, text: str, accept: str = "application/sparql-results+json"):
    """A new connection each time: both workers answer some."""
    request = urllib.request.Request(
        server.url + "/sparql?" + urllib.parse.urlencode({"query": text}),
        headers={"Accept": accept},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers, response.read()


def test_a_repeated_query_is_answered_from_the_cache(server):
    answers = [query(server, URLS) for _ in range(8)]
    bodies = {body for _headers, body in answers}
    assert len(bodies) == 1
    assert any("desc=cached" in headers["Server-Timing"] for headers, _ in answers)
    assert "db;dur=" in answers[0][0]["Server-Timing"]


def test_answers_that_differ_between_runs_are_not_kept(server):
    text = "SELECT (RAND() AS ?r) (STRUUID() AS ?u) WHERE {}"
    answers = [query(server, text) for _ in range(6)]
    assert all("desc=cached" not in headers["Server-Timing"] for headers, _ in answers)
    assert len({body for _headers, body in answers}) == len(answers)


def test_a_write_is_seen_at_once_by_every_worker(server):
    for _ in range(6):  # both workers hold the answer
        query(server, URLS)
    new_url = "https://hairclinic.example/answer-cache-after-a-write"
    request = urllib.request.Request(
        server.url + "/api/v1/edit/articles",
        data=json.dumps(
            {"url": new_url, "title": "Answer cache after a write", "about": ["microneedling"]}
        ).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.status == 201
    for _ in range(10):
        _headers, body = query(server, URLS)
        urls = [row["u"]["value"] for row in json.loads(body)["results"]["bindings"]]
        assert new_url in urls


def test_graph_answers_pass_through_as_n_triples(server):
    import pyoxigraph as ox

    text = (
        "CONSTRUCT { ?s ?p ?o } WHERE { BIND(<https://w3id.org/hairkg/id/microneedling> AS ?s) "
        "?s ?p ?o }"
    )
    headers, body = query(server, text, accept="application/n-triples")
    assert headers["Content-Type"].startswith("application/n-triples")
    triples = list(ox.parse(body, ox.RdfFormat.N_TRIPLES))
    assert triples
    _h, turtle = query(server, text, accept="text/turtle")
    assert set(ox.parse(turtle, ox.RdfFormat.TURTLE)) == set(triples)


# -- the answer front (api/sparql_front.py): a repeated GET answered before Flask ------------

FRONT_QUERY = "SELECT ?c WHERE { ?c a <https://w3id.org/hairkg/ontology#Condition> } ORDER BY ?c"


def get(server, text: str, headers: dict | None = None, method: str = "GET"):
    request = urllib.request.Request(
        server.url + "/sparql?" + urllib.parse.urlencode({"query": text}),
        headers={"Accept": "application/sparql-results+json", **(headers or {})},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def from_front(headers) -> bool:
    return "desc=front" in headers["Server-Timing"]


def settled(server) -> None:
    """Waits (bounded) until both workers answer another query under one ETag (the dataset
    version is in it; FRONT_QUERY itself must stay unasked for the tests). After the write
    of an earlier test a worker was once seen answering under the previous version for a
    moment (a fresh clone's parallel run: two commits in one tick of the file system's clock
    left the write signal's time unchanged, and a version lookup under way could be cached
    after a forget; both fixed, tests/unit/test_write_signal.py). Kept as a guard: the tests
    below are about the front, not that."""

    def one_etag():
        return len({get(server, URLS)[1]["ETag"] for _ in range(8)}) == 1

    wait_until(one_etag, 30, 0.2, "one ETag from every worker")


def test_a_repeated_get_gets_the_same_answer_from_the_front(server):
    settled(server)
    answers = [get(server, FRONT_QUERY) for _ in range(8)]
    assert {status for status, _h, _b in answers} == {200}
    assert len({body for _s, _h, body in answers}) == 1
    fronted = [h for _s, h, _b in answers if from_front(h)]
    flask = [h for _s, h, _b in answers if not from_front(h)]
    assert fronted and flask, "the first answer per worker comes from Flask, then the front"
    same = ("Content-Type", "ETag", "Cache-Control", "Vary", "Access-Control-Allow-Origin")
    for name in same:
        assert {h[name] for h in fronted} == {flask[0][name]}, name
    ids = [h["X-Request-Id"] for _s, h, _b in answers]
    assert len(set(ids)) == len(ids), "every answer has its own request id"


def test_the_front_echoes_a_request_id_and_answers_head(server):
    for _ in range(6):
        get(server, FRONT_QUERY)
    for _ in range(6):
        status, headers, _body = get(server, FRONT_QUERY, {"X-Request-Id": "trace-42"})
        assert status == 200 and headers["X-Request-Id"] == "trace-42"
    heads = [get(server, FRONT_QUERY, method="HEAD") for _ in range(6)]
    assert all(s == 200 and b == b"" for s, _h, b in heads)
    assert any(from_front(h) for _s, h, _b in heads)
    assert {h["Content-Length"] for _s, h, _b in heads} == {str(len(get(server, FRONT_QUERY)[2]))}


def test_the_front_keeps_one_answer_per_format_and_leaves_conditionals_to_flask(server):
    settled(server)
    for _ in range(6):
        get(server, FRONT_QUERY)
        get(server, FRONT_QUERY, {"Accept": "application/sparql-results+xml"})
    _s, json_headers, json_body = get(server, FRONT_QUERY)
    _s, xml_headers, xml_body = get(
        server, FRONT_QUERY, {"Accept": "application/sparql-results+xml"}
    )
    assert json_headers["Content-Type"].startswith("application/sparql-results+json")
    assert xml_headers["Content-Type"].startswith("application/sparql-results+xml")
    assert json.loads(json_body)["results"]["bindings"] and xml_body.startswith(b"<?xml")
    status, headers, body = get(server, FRONT_QUERY, {"If-None-Match": json_headers["ETag"]})
    assert status == 304 and body == b"" and not from_front(headers)
