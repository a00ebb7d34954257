"""HTTP helpers shared by the tests (no tests here). None of them raises for an HTTP status:
each answers (status, headers, body), or (status, parsed JSON) for :func:`get_json`."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request


def fetch(url: str, headers: dict | None = None, timeout: float = 30, *, method=None, data=None):
    """One request through urllib: (status, headers, body)."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def call(url, method="GET", path="/", body=None, headers=None, content_type=None, timeout=60):
    """(status, headers, body) of one request to ``url + path``; a dict or list body is sent
    as JSON, a str as UTF-8 (lone surrogates too)."""
    data = None
    headers = dict(headers or {})
    if body is not None:
        if isinstance(body, dict | list):
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            data = body if isinstance(body, bytes) else body.encode("utf-8", "surrogatepass")
    if content_type:
        headers["Content-Type"] = content_type
    return fetch(url + path, headers, timeout, method=method, data=data)


def get_json(url: str, timeout: float = 30):
    """GET: (status, parsed JSON body), or (status, None) for an HTTP error."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def raw_call(base_url, method, path, *, body=None, headers=None, timeout=30):
    """One exchange through http.client, the request target sent byte for byte (no
    client-side quoting, no Accept-Encoding added): (status, headers as a case-insensitive
    message, body). ``base_url`` may also be an in-process server (``conftest.app_server``):
    the same exchange through Flask's test client, no socket."""
    if not isinstance(base_url, str):
        response = base_url.client.open(path, method=method, data=body, headers=headers or {})
        return response.status_code, response.headers, response.get_data()
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


__all__ = ["call", "fetch", "get_json", "raw_call"]


def wait_until(predicate, timeout_s: float = 30.0, interval_s: float = 0.2, what: str = ""):
    """Calls ``predicate`` until it returns something true (returned) or ``timeout_s`` passes
    (AssertionError naming ``what``): the one bounded wait of the tests."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"not in {timeout_s:g} s: {what or 'the condition'}")
        time.sleep(interval_s)


def processes_running(argument: str) -> list[int]:
    """The pids of live processes with ``argument`` in their command line (from /proc)."""
    import os
    from pathlib import Path

    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
            command = raw.replace(b"\0", b" ").decode("utf-8", "replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # gone meanwhile
            continue
        if argument in command and state != "Z":
            found.append(int(entry.name))
    return found


def wait_closed_by_peer(sock, timeout_s: float) -> bool:
    """Reads from ``sock`` until the peer closes it (True) or ``timeout_s`` passes (False):
    the bounded wait for a server's own deadline to close a connection."""
    import time

    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            return False
        except OSError:  # reset by the peer
            return True
    return False


def with_disjoint_individual(graph, ns):
    """A copy of ``graph`` plus an individual of two disjoint classes of ``ns``: an
    inconsistency HermiT must report."""
    from rdflib import OWL, RDF, Graph

    bad = Graph()
    bad += graph
    bad.add((ns.A, RDF.type, OWL.Class))
    bad.add((ns.B, RDF.type, OWL.Class))
    bad.add((ns.A, OWL.disjointWith, ns.B))
    bad.add((ns.i, RDF.type, ns.A))
    bad.add((ns.i, RDF.type, ns.B))
    return bad
