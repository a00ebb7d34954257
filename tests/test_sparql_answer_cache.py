"""/sparql keeps rendered answers per worker, keyed by the dataset version (api/sparql.py,
``_AnswerCache``): a repeated query skips the store, a write on this host is seen by the next
request on every worker, and answers that differ between runs are never kept."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

import pytest
from conftest import start_server

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
