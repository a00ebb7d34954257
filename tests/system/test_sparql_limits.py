"""Limits that protect the service: time limit, lengths and sizes, row cap, SERVICE refusal.

The SPARQL guard (``kb.store.guard``) is unit-tested on tricky texts; everything else runs
against real servers: the shared ``server``, and a ``limited`` server started here with small
limits (3 s cap, 5-row cap, short URLs and bodies, one allow-listed SERVICE endpoint).
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
import time
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import start_server
from helpers import raw_call, wait_until

from kb.store import guard as sparql_guard
from kb.store.guard import dataset_clauses, load_targets, query_form, service_targets

# A 4-way cross join: streams rows for ever (the engine stops when the reader goes away)...
EXPLOSIVE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
# ...and the same counted: no row before the end, which Oxigraph 0.5.13 never interrupts.
EXPLOSIVE_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
SIMPLE = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"
ALL_TRIPLES = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
CAP_S = 3.0
ROW_CAP = 5


# -- the guard's tokenizer ------------------------------------------------------------


def targets(text, base=None):
    return [(t.iri, t.silent) for t in service_targets(text, base)]


def test_service_found_with_its_iri():
    assert targets("SELECT * { SERVICE <http://a.example/sparql> { ?s ?p ?o } }") == [
        ("http://a.example/sparql", False)
    ]
    assert targets("select * { service silent <http://a.example/> { ?s ?p ?o } }") == [
        ("http://a.example/", True)
    ]
    assert targets("SELECT * {SERVICE<http://x/>{?s ?p ?o}}") == [("http://x/", False)]
    assert targets("SELECT * { SeRvIcE\n\t<http://x/> {} }") == [("http://x/", False)]


def test_service_target_resolution():
    query = "PREFIX ex: <http://ex.example/> SELECT * { SERVICE ex:sparql { ?s ?p ?o } }"
    assert targets(query) == [("http://ex.example/sparql", False)]
    query = "BASE <http://b.example/dir/> SELECT * { SERVICE <sparql> { } }"
    assert targets(query) == [("http://b.example/dir/sparql", False)]
    assert targets("SELECT * { SERVICE <sparql> { } }", "http://svc.example/q") == [
        ("http://svc.example/sparql", False)
    ]
    # \u escapes inside IRIs are decoded by the engine: so by the guard.
    assert targets(r"SELECT * { SERVICE <http://evil\u002Eexample/> { } }") == [
        ("http://evil.example/", False)
    ]


def test_unknowable_targets_are_none():
    assert targets("SELECT * { SERVICE ?endpoint { ?s ?p ?o } }") == [(None, False)]
    assert targets("SELECT * { SERVICE SILENT $e { } }") == [(None, True)]
    assert targets("SELECT * { SERVICE undeclared:x { } }") == [(None, False)]
    refused = sparql_guard.refused_targets(
        service_targets("SELECT * { SERVICE ?e {} SERVICE <http://ok/> {} }"), ("http://ok/",)
    )
    assert [t.written for t in refused] == ["?e"]


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * { ?s ?p "SERVICE <http://x/> { }" }',
        "SELECT * { ?s ?p 'service <http://x/>' }",
        'SELECT * { ?s ?p """a "quoted" SERVICE <http://x/> {} \n on two lines""" }',
        "SELECT * { ?s ?p '''it's SERVICE <http://x/>''' }",
        r'SELECT * { ?s ?p "escaped \" SERVICE <http://x/> {}" }',
        "SELECT * { ?s ?p ?o } # SERVICE <http://x/> { }",
        "# SERVICE <http://x/>\nSELECT * { ?s ?p ?o }",
        "SELECT * { ?s <http://x/SERVICE> ?o }",
        "SELECT * { ?s <http://x/#SERVICE> ?o }",
        "PREFIX ex: <http://x/> SELECT * { ?s ex:SERVICE ?o }",
        "PREFIX SERVICE: <http://x/> SELECT * { ?s SERVICE:x ?o }",
        "SELECT * { ?s :SERVICE ?o }",
        "SELECT ?service WHERE { ?service ?p ?o }",
        "SELECT * { ?s ?p ?o FILTER(?o = $SERVICE) }",
        'SELECT * { ?s ?p "x"@service }',
        "SELECT * { _:service ?p ?o }",
        "SELECT * { ?s ?p ?o FILTER(?o < 3 && ?p > 2) }",
    ],
)
def test_service_lookalikes_are_not_service(text):
    assert service_targets(text) == []


def test_load_targets():
    found = load_targets("LOAD <http://data.example/file.ttl> INTO GRAPH <urn:g>")
    assert [(t.iri, t.silent) for t in found] == [("http://data.example/file.ttl", False)]
    found = load_targets(
        'PREFIX d: <http://d/> INSERT DATA { <a> <b> "LOAD <x>" } ; load silent d:f'
    )
    assert [(t.iri, t.silent) for t in found] == [("http://d/f", True)]
    assert load_targets("# LOAD <http://x/>\nCLEAR ALL") == []


def test_query_form_and_dataset_clauses():
    assert query_form("PREFIX select: <http://x/> # ASK\n CONSTRUCT WHERE { ?s ?p ?o }") == (
        "CONSTRUCT"
    )
    assert query_form("describe <http://x/>") == "DESCRIBE"
    assert query_form('SELECT * { ?s ?p "ASK" }') == "SELECT"
    assert sparql_guard.update_keyword("PREFIX a: <http://a/> INSERT DATA { }") == "INSERT"
    assert sparql_guard.update_keyword("SELECT * { ?s ?p ?o }") is None
    assert dataset_clauses("SELECT * { ?s ?p ?o }") is None
    assert dataset_clauses(
        "PREFIX g: <http://g/> SELECT * FROM g:a FROM NAMED <http://g/b> FROM <c> { }",
        "http://base.example/",
    ) == (["http://g/a", "http://base.example/c"], ["http://g/b"])
    assert dataset_clauses('SELECT * { ?s ?p "FROM <http://x/>" }') is None


# -- HTTP helpers -----------------------------------------------------------------------


def call(base_url, method, path, *, body=None, headers=None, timeout=60):
    return raw_call(base_url, method, path, body=body, headers=headers, timeout=timeout)


def query(base_url, text, *, accept="application/sparql-results+json", **params):
    fields = [("query", text), *params.items()]
    return call(
        base_url,
        "POST",
        "/sparql",
        body=urllib.parse.urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
    )


# -- SERVICE on the default configuration (nothing allowed) -------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "select * where { service silent <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { VALUES ?e { <http://example.org/sparql> } SERVICE ?e { ?s ?p ?o } }",
        "PREFIX x: <http://example.org/> SELECT * WHERE { SERVICE x:sparql { ?s ?p ?o } }",
    ],
)
def test_service_is_refused(base_url, text):
    status, headers, body = query(base_url, text)
    assert status == 403, body
    assert headers["Content-Type"].startswith("text/plain")
    assert b"SERVICE" in body and b"refused" in body


def test_service_lookalikes_run(base_url):
    text = (
        'PREFIX ex: <http://example.org/> SELECT ?service WHERE { BIND("SERVICE <http://x/>" '
        "AS ?service) FILTER(?service != ex:SERVICE) } # SERVICE <http://y/>"
    )
    status, _, body = query(base_url, text)
    assert status == 200, body


# -- a server with small limits -----------------------------------------------------------


@pytest.fixture(scope="module")
def limited(tmp_path_factory, release_dir, server):
    env = {
        "HAIRKG_QUERY_TIMEOUT_CAP_S": str(CAP_S),
        "HAIRKG_ANONYMOUS_ROW_CAP": str(ROW_CAP),
        "HAIRKG_MAX_URL_LENGTH": "600",
        "HAIRKG_MAX_QUERY_LENGTH": "2000",
        "HAIRKG_MAX_BODY_BYTES": "8000",
        "HAIRKG_SERVICE_ALLOWLIST": server.url + "/sparql",
    }
    running = start_server(tmp_path_factory.mktemp("limited"), release_dir=release_dir, env=env)
    yield running
    running.stop()


def engine_pid(server) -> int:
    """The Oxigraph process the hairkg server started (its child)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == server.process.pid and b"oxigraph" in cmdline and b"serve" in cmdline:
            return int(entry.name)
    raise AssertionError("the server's oxigraph process was not found")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_idle_engine(pid: int, within_s: float) -> float:
    """Seconds until the engine's CPU time stops growing (0.5 s windows), or fails."""
    started = time.monotonic()
    previous = cpu_seconds(pid)
    while time.monotonic() - started < within_s:
        time.sleep(0.5)
        current = cpu_seconds(pid)
        if current - previous < 0.05:
            return time.monotonic() - started
        previous = current
    raise AssertionError(f"the engine was still busy after {within_s} s")


def engine_at_rest(server, windows: int = 10) -> bool:
    """True when the server's engine (whichever process it is now) used no CPU for ``windows``
    x 0.5 s: long enough for its supervisor to settle an earlier overrun (kb.store.managed:
    the grace, then IDLE_SAMPLES_TO_SETTLE samples of an engine at rest)."""
    try:
        pid = engine_pid(server)
        for _ in range(windows):
            wait_for_idle_engine(pid, within_s=0.6)
    except (AssertionError, OSError):  # busy, or being restarted
        return False
    return True


def test_requested_limit_answers_in_time_while_others_are_served(limited):
    pid = engine_pid(limited)
    outcome = {}

    def explosive():
        started = time.monotonic()
        outcome["response"] = query(limited.url, EXPLOSIVE, timeout="1")
        outcome["elapsed"] = time.monotonic() - started

    cpu_before = cpu_seconds(pid)
    worker = threading.Thread(target=explosive)
    worker.start()
    wait_until(lambda: cpu_seconds(pid) > cpu_before + 0.05, 10, 0.02, "the engine at work")
    simple_times = []
    while worker.is_alive():
        started = time.monotonic()
        status, _, body = query(limited.url, SIMPLE)
        simple_times.append(time.monotonic() - started)
        assert status == 200, body
        time.sleep(0.1)
    worker.join()
    status, headers, body = outcome["response"]
    assert status == 503, body
    assert headers["Content-Type"].startswith("text/plain")
    assert b"time limit of 1 s" in body
    assert 0.9 <= outcome["elapsed"] < 2.5, outcome["elapsed"]
    assert simple_times and max(simple_times) < 1.0, simple_times
    # The engine really worked on it, and stopped when the service gave up and closed the
    # connection (a streaming query notices that at its next row).
    assert cpu_seconds(pid) - cpu_before > 0.3
    assert wait_for_idle_engine(pid, within_s=3) <= 1.5


def test_default_limit_is_capped_and_enforced_in_the_engine(limited):
    pid = engine_pid(limited)
    for params in ({}, {"timeout": "100"}):
        started = time.monotonic()
        status, _, body = query(limited.url, EXPLOSIVE, **params)
        elapsed = time.monotonic() - started
        assert status == 503, body
        assert f"time limit of {CAP_S:g} s".encode() in body, body
        assert CAP_S - 0.5 <= elapsed < CAP_S + 2.0, elapsed
        # No CPU is burnt afterwards.
        assert wait_for_idle_engine(pid, within_s=3) <= 1.5
        status, _, _ = query(limited.url, SIMPLE)
        assert status == 200


@pytest.mark.parametrize("value", ["0", "-1", "abc", "nan", "inf"])
def test_bad_timeout_parameter(limited, value):
    status, _, body = query(limited.url, SIMPLE, timeout=value)
    assert status == 400 and b"timeout" in body


def test_row_cap_is_signalled_in_every_format(limited):
    status, headers, body = query(limited.url, ALL_TRIPLES)
    assert status == 200
    assert headers["X-Hairkg-Truncated"] == str(ROW_CAP)
    document = json.loads(body)
    assert len(document["results"]["bindings"]) == ROW_CAP
    assert document["head"]["link"] == [f"urn:hairkg:truncated:{ROW_CAP}"]
    assert len(list(ox.parse_query_results(body, ox.QueryResultsFormat.JSON))) == ROW_CAP

    status, headers, body = query(limited.url, ALL_TRIPLES, accept="application/sparql-results+xml")
    assert headers["X-Hairkg-Truncated"] == str(ROW_CAP)
    assert f'<link href="urn:hairkg:truncated:{ROW_CAP}"/>'.encode() in body
    assert len(list(ox.parse_query_results(body, ox.QueryResultsFormat.XML))) == ROW_CAP

    for accept in ("text/csv", "text/tab-separated-values"):
        status, headers, body = query(limited.url, ALL_TRIPLES, accept=accept)
        assert headers["X-Hairkg-Truncated"] == str(ROW_CAP)
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert len(rows) == ROW_CAP + 1

    status, headers, body = query(limited.url, ALL_TRIPLES + " LIMIT 3")
    assert "X-Hairkg-Truncated" not in headers
    assert "link" not in json.loads(body)["head"]
    status, headers, body = query(limited.url, ALL_TRIPLES + f" LIMIT {ROW_CAP}")
    assert "X-Hairkg-Truncated" not in headers


def test_long_get_url_is_414(limited):
    text = SIMPLE + " #" + "x" * 700
    path = "/sparql?" + urllib.parse.urlencode({"query": text})
    status, _headers, body = call(limited.url, "GET", path)
    assert status == 414, body
    assert b"POST" in body and b"600" in body
    status, _, _ = query(limited.url, text)  # the same query by POST is fine
    assert status == 200


def test_long_query_and_large_body_are_413(limited):
    text = SIMPLE + " #" + "x" * 2500
    status, _, body = query(limited.url, text)
    assert status == 413 and b"2000" in body, body
    status, _, body = call(
        limited.url,
        "POST",
        "/sparql",
        body=text.encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert status == 413 and b"2000" in body, body
    big = ("query=" + "x" * 9000).encode()
    status, headers, body = call(
        limited.url,
        "POST",
        "/sparql",
        body=big,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 413 and b"8000" in body, body
    assert headers["Content-Type"].startswith("text/plain")


def test_allow_listed_service_is_followed(limited, server):
    text = (
        f"SELECT ?n WHERE {{ SERVICE <{server.url}/sparql> "
        "{ SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o } } }"
    )
    status, _, body = query(limited.url, text)
    assert status == 200, body
    rows = list(ox.parse_query_results(body, ox.QueryResultsFormat.JSON))
    assert int(rows[0]["n"].value) > 0
    status, _, body = query(
        limited.url, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    )
    assert status == 403 and server.url.encode() in body  # the message names what is allowed


# -- last, because the engine stays busy afterwards: an aggregate over the limit ---------------


def test_aggregate_over_the_limit_is_answered_in_time(limited):
    pid = engine_pid(limited)
    cpu_before = cpu_seconds(pid)
    outcome = {}

    def explosive():
        started = time.monotonic()
        outcome["response"] = query(limited.url, EXPLOSIVE_COUNT, timeout="1")
        outcome["elapsed"] = time.monotonic() - started

    worker = threading.Thread(target=explosive)
    worker.start()
    wait_until(lambda: cpu_seconds(pid) > cpu_before + 0.05, 10, 0.02, "the engine at work")
    simple_times = []
    while worker.is_alive():
        started = time.monotonic()
        assert query(limited.url, SIMPLE)[0] == 200
        simple_times.append(time.monotonic() - started)
        time.sleep(0.1)
    worker.join()
    status, _, body = outcome["response"]
    assert status == 503 and b"time limit of 1 s" in body, body
    assert 0.9 <= outcome["elapsed"] < 2.5, outcome["elapsed"]
    assert simple_times and max(simple_times) < 1.0, simple_times


def test_an_aggregate_the_engine_does_not_cancel_is_stopped_by_restarting_it(limited):
    """Oxigraph 0.5.13 ignores --timeout-s while it computes an aggregate before its first
    row. hairkg's supervisor sees that a worker gave up on a query and that, once the cap
    has passed, the engine still burns a core: it restarts the engine, which stops the query."""
    # The test before leaves an aggregate the engine does not cancel: until the supervisor has
    # settled that overrun (restarted the engine, or seen it at rest long enough), a new long
    # query may be cut by the restart meant for the old one (a known limit, docs/sparql.md), so
    # start from an engine whose supervisor has settled.
    wait_until(lambda: engine_at_rest(limited), 4 * CAP_S + 20, 0.2, "the engine at rest")
    pid = engine_pid(limited)
    status, _, body = query(limited.url, EXPLOSIVE_COUNT)
    assert status == 503 and b"time limit" in body, body
    # Cap (3 s) for the engine's own chance, 1 s grace, CPU samples, then the restart (a few
    # seconds; the bound leaves room for a machine busy with other tests).
    wait_until(
        lambda: not Path(f"/proc/{pid}").exists(),
        4 * CAP_S + 20,
        0.2,
        "the runaway engine process stopped",
    )
    # The service goes on with a fresh engine on the same data.
    status, _, body = wait_until(
        lambda: (answer := query(limited.url, "ASK { ?s ?p ?o }"))[0] == 200 and answer,
        30,
        what="a fresh engine answering",
    )
    assert b"true" in body
    assert engine_pid(limited) != pid
