"""Remote-store mode: hairkg in front of an Oxigraph server it did not start (--store-url).

The test starts a real ``oxigraph serve`` on loopback with an empty directory, starts hairkg
with ``--store-url`` (which loads the release graph into the empty store), queries through
/sparql, then stops and restarts the remote server: while it is down hairkg answers 503 with a
message, and it recovers by itself once the store is back.
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import start_server
from helpers import wait_until

from kb.store.client import SparqlStore
from kb.store.managed import free_port, oxigraph_binary

COUNT_QUADS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


class RemoteOxigraph:
    def __init__(self, location: Path, port: int):
        self.location = location
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                oxigraph_binary(),
                "serve",
                "--location",
                str(self.location),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--union-default-graph",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        store = SparqlStore.for_server(self.url)
        wait_until(lambda: store.ping(timeout_s=1), 20, 0.1, "oxigraph did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    oxigraph = RemoteOxigraph(tmp_path_factory.mktemp("remote-store"), free_port())
    oxigraph.start()
    yield oxigraph
    oxigraph.stop()


@pytest.fixture(scope="module")
def fronted(tmp_path_factory, remote, release_dir):
    data_dir = tmp_path_factory.mktemp("remote-hairkg")
    # The release to load comes from the data dir's build, as in embedded mode.
    shutil.copytree(release_dir, data_dir / "build")
    for path in (data_dir / "build").iterdir():
        path.touch()  # newer than the sources: used as built
    server = start_server(
        data_dir,
        extra_args=("--store-url", remote.url),
        env={"HAIRKG_DATA_DIR": str(data_dir)},
    )
    yield server
    server.stop()


def sparql(server, query: str, timeout: float = 10):
    return server.get("/sparql?" + urllib.parse.urlencode({"query": query}), timeout=timeout)


def test_release_graph_loaded_into_the_empty_remote_store(fronted, remote, release_dir):
    release = list(ox.parse(path=str(release_dir / "release.nq"), format=ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in release}
    direct = SparqlStore.for_server(remote.url)
    count = int(direct.select(COUNT_QUADS)[0]["n"].value)
    assert count >= len(set(release))  # plus the dataset version hairkg records
    rows = direct.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    stored_graphs = {row["g"].value for row in rows}
    assert graphs <= stored_graphs


def test_healthz_and_queries_through_the_remote_store(fronted, remote):
    status, _, body = fronted.get("/healthz")
    assert status == 200, body
    status, _headers, body = sparql(fronted, COUNT_QUADS)
    assert status == 200, body
    through_hairkg = int(
        next(iter(ox.parse_query_results(body, ox.QueryResultsFormat.JSON)))["n"].value
    )
    direct = int(SparqlStore.for_server(remote.url).select(COUNT_QUADS)[0]["n"].value)
    assert through_hairkg == direct > 0


def test_never_repeated_queries_through_the_remote_oxigraph(fronted, remote):
    """The lean path to a remote Oxigraph (kept-alive connections, its standard answers passed
    on unparsed): each new text answered as the engine answers it, in the negotiated format,
    with the protocol's HEAD, ETag and errors."""
    from helpers import fetch

    direct = SparqlStore.for_server(remote.url)
    for n in range(3):  # three texts never sent before, over the same kept connections
        query = f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g #{n}"
        path = "/sparql?" + urllib.parse.urlencode({"query": query})
        accept = {"Accept": "application/sparql-results+json"}
        status, headers, body = fronted.get(path, accept)
        assert status == 200, body
        assert headers["Content-Type"] == "application/sparql-results+json"
        rows = {(r["g"].value, r["n"].value) for r in direct.select(query)}
        answered = ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        assert {(r["g"].value, r["n"].value) for r in answered} == rows
        csv_status, csv_headers, csv_body = fronted.get(path, {"Accept": "text/csv"})
        assert csv_status == 200 and csv_headers["Content-Type"].startswith("text/csv")
        assert csv_body.decode().splitlines()[0] == "g,n"
        head = fetch(fronted.url + path, accept, method="HEAD")
        assert head[0] == 200 and head[2] == b"" and head[1]["ETag"] == headers["ETag"]
        again = fronted.get(path, {**accept, "If-None-Match": headers["ETag"]})
        assert again[0] == 304 and again[2] == b""
    status, headers, body = sparql(fronted, "SELECT ?s WHERE { ?s ?p }")
    assert status == 400 and headers["Content-Type"].startswith("text/plain"), body
    assert body.startswith(b"SPARQL syntax error at 1:"), body
    status, _, body = sparql(fronted, "SELECT * WHERE { SERVICE <http://example.org/x> { } }")
    assert status == 403 and b"SERVICE" in body, body


def assert_no_internals(body: bytes, remote, server) -> None:
    """No internal URL, address, port or file path in an answer (issue 16: the 503 named
    ``http://127.0.0.1:<port>/query``)."""
    text = body.decode("utf-8", "replace")
    internals = ["127.0.0.1", "localhost", str(remote.port), "/query", "/update", "/store"]
    internals += [str(remote.location), str(server.data_dir), "/tmp"]
    for internal in internals:
        assert internal not in text, (internal, text)


def test_store_outage_is_503_and_recovery_needs_no_restart(fronted, remote):
    remote.stop()
    try:
        status, headers, body = sparql(fronted, "ASK { ?s ?p ?o }")
        assert status in (502, 503), body
        assert headers.get("Content-Type", "").startswith("text/plain")
        assert b"not available" in body or b"unreachable" in body
        assert_no_internals(body, remote, fronted)
        status, _, body = fronted.get("/healthz")
        assert status == 503
        assert_no_internals(body, remote, fronted)
        # a form POST, the service description and the JSON API: the same care
        status, _, body = fronted.get("/sparql", {"Accept": "text/turtle"})
        assert status == 503, body
        assert_no_internals(body, remote, fronted)
        for path in ("/api/v1/search?q=alopecia", "/api/v1/entities/alopecia", "/dump.nq",
                     "/.well-known/void"):  # fmt: skip
            status, _, body = fronted.get(path)
            assert status < 500 or status == 503, (path, status, body[:300])
            if status >= 400:  # an answer from an index names this service's own URL
                assert_no_internals(body, remote, fronted)
    finally:
        remote.start()
    status, _, body = wait_until(
        lambda: (answer := sparql(fronted, "ASK { ?s ?p ?o }"))[0] == 200 and answer,
        15,
        what="queries answered again after the store came back",
    )
    assert bool(ox.parse_query_results(body, ox.QueryResultsFormat.JSON)) is True
    assert fronted.get("/healthz")[0] == 200
    assert fronted.process.poll() is None  # the same hairkg process throughout


def test_store_error_messages_name_no_address_port_or_path():
    """The wording rule behind every store error a client sees (``kb.store.errors.public_message``):
    the store's URLs, any other host:port, URL or file path go; IRIs the client wrote stay."""
    from kb.store.errors import public_message

    urllib3_error = (
        "HTTPConnectionPool(host='127.0.0.1', port=41234): Max retries exceeded with url: "
        "/query (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at "
        "0x7f12ab>: Failed to establish a new connection: [Errno 111] Connection refused'))"
    )
    rocksdb = "IO error: No space left on device: While appending to file: /srv/var/store/01.log"
    for text in (urllib3_error, rocksdb, "at http://10.1.2.3:7878/update", "[::1]:7878 down"):
        cleaned = public_message(text, ["http://127.0.0.1:41234/query"])
        for internal in ("127.0.0.1", "41234", "/query", "/srv", "10.1.2.3", "7878", "/update"):
            assert internal not in cleaned, (internal, cleaned)
    assert "No space left on device" in public_message(rocksdb)
    unknown = "The function <http://127.0.0.1:9/f> is not supported"
    assert public_message(unknown) == unknown  # the client's own IRI
    store = "http://127.0.0.1:5555/query"
    rejected = public_message(f"error at 1:2 from {store}", [store], thorough=False)
    assert rejected == "error at 1:2 from the triple store"
