"""Helpers shared by the hardening tests (tests/test_hardening_*.py; no tests here): HTTP
calls that never raise on 4xx/5xx (``call``, from tests/helpers.py), a canary HTTP listener
that records every request it receives, and a fingerprint of the store to compare before and
after hostile input."""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading
import urllib.parse
from contextlib import contextmanager

from helpers import call

TOKENS = "alice:alice-secret:write,ops:ops-secret:admin,reader:reader-secret:read"
ALICE = {"Authorization": "Bearer alice-secret"}
KB_GRAPH = "https://w3id.org/hairkg/graph/kb"


def raw_request(url: str, payload: bytes, timeout: float = 30) -> tuple[int, bytes]:
    """Sends bytes as they are (malformed requests); returns (status or 0, whole answer)."""
    parts = urllib.parse.urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(payload)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks)
    try:
        status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    except (IndexError, ValueError):
        status = 0
    return status, answer


def sparql_json(url: str, query: str, timeout: float = 60) -> dict:
    status, _, body = call(
        url,
        "POST",
        "/sparql",
        urllib.parse.urlencode({"query": query}),
        {"Accept": "application/sparql-results+json"},
        "application/x-www-form-urlencoded",
        timeout=timeout,
    )
    assert status == 200, body
    return json.loads(body)


def fingerprint(url: str) -> tuple[str, int, str]:
    """(dataset version, quad count, digest of every quad): changes with any write."""
    version = call(url, "GET", "/healthz")[2]
    rows = sparql_json(url, "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    quads = sorted(
        json.dumps([r[k] for k in ("g", "s", "p", "o")], sort_keys=True)
        for r in rows["results"]["bindings"]
    )
    digest = hashlib.sha256("\n".join(quads).encode()).hexdigest()
    return json.loads(version).get("datasetVersion", ""), len(quads), digest


class Canary:
    """A loopback HTTP listener that answers every request and remembers it."""

    def __init__(self):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                hits.append((self.command, self.path))
                self.send_response(200)
                self.send_header("Content-Type", "text/turtle")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = do_HEAD = do_PUT = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def canary():
    listener = Canary()
    try:
        yield listener
    finally:
        listener.close()
