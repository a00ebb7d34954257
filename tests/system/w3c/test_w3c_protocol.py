"""The W3C SPARQL 1.1 Protocol manifest (protocol/manifest.ttl), run against /sparql.

Each test's HTTP exchanges (``ht:`` vocabulary) are replayed with http.client exactly as
written — method, path (``/sparql/`` rewritten to ``/sparql``), headers, body — and the
expected status class, result format and boolean are checked. The data graphs named by
``ut:graphData`` are in the W3C server's store under the names the manifest gives.

Update tests are sent with a bearer token (writes need one; the manifest's requests carry
none), on a server whose write gate runs without its validation step (the suite's data is not
a hairkg knowledge base).
"""

from __future__ import annotations

import http.client
import urllib.parse

import manifests
import pyoxigraph as ox
import pytest
from w3c_server import (
    W3C_TOKEN,
    w3c_server,  # noqa: F401  (the fixture)
)

TESTS = manifests.protocol_tests()

FORMATS = {
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "tabular": {
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    },
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples"},
}


def exchange(base_url: str, request: manifests.ProtocolRequest, token: str | None = None):
    parts = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest(request.method, request.path, skip_accept_encoding=True)
        for name, value in request.headers.items():
            connection.putheader(name, value)
        if token:
            connection.putheader("Authorization", f"Bearer {token}")
        if request.body is not None:
            connection.putheader("Content-Length", str(len(request.body)))
        connection.endheaders(request.body)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def status_class(status: int) -> str:
    return f"{status // 100}xx"


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c_protocol(test, w3c_server):  # noqa: F811
    token = W3C_TOKEN if test.is_update else None
    for request in test.requests:
        status, content_type, body = exchange(w3c_server.url, request, token)
        assert status_class(status) in request.expected_status, (
            f"{request.method} {request.path[:120]} answered {status}, expected "
            f"{request.expected_status}: {body[:300]!r}"
        )
        if request.expected_format is None:
            continue
        media_type = content_type.split(";")[0].strip()
        assert media_type in FORMATS[request.expected_format], content_type
        if request.expected_format == "boolean":
            fmt = ox.QueryResultsFormat.from_media_type(media_type)
            answer = ox.parse_query_results(body, fmt)
            assert isinstance(answer, ox.QueryBoolean), answer
            if request.expected_boolean is not None:
                assert bool(answer) is request.expected_boolean
        elif request.expected_format == "RDF":
            list(ox.parse(body, ox.RdfFormat.from_media_type(media_type)))
        else:
            fmt = ox.QueryResultsFormat.from_media_type(media_type)
            list(ox.parse_query_results(body, fmt))
