"""The W3C Graph Store Protocol manifests (graph-store-protocol/manifest-{direct,indirect}.ttl)
against ``/store``, with a write token, on the update suite's server (validation off).

Requests are replayed as written, with the manifest's ``/gsp`` prefix rewritten to ``/store``
(in paths, and in graph IRIs, which name graphs under the endpoint) and the Host header set to
the manifest's authority, so directly addressed graphs get the IRIs the tests expect.
``$LOCATION$`` (``mf:expectedLocation``) is replaced by the Location of a creating POST; an
expected body is compared with the answer up to blank-node isomorphism.
"""

from __future__ import annotations

import http.client
import urllib.parse

import manifests
import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from test_w3c_update import AUTH, post_update, update_server  # noqa: F401  (the fixture)

HT = manifests.HT
CNT = manifests.CNT
MF = manifests.MF
STATUS = {"OK": "200", "Created": "201", "NoContent": "204", "NotFound": "404"}


def _requests(graph: Graph, entry):
    connection = graph.value(entry, MF.action)
    authority = str(graph.value(connection, HT.connectionAuthority) or "www.example")
    out = []
    for request in Collection(graph, graph.value(connection, HT.requests)):
        headers = manifests.request_headers(graph, request)
        body_node = graph.value(request, HT.body)
        body = str(graph.value(body_node, CNT.chars)) if body_node is not None else None
        response = graph.value(request, HT.resp)
        statuses = [str(s).rsplit("#", 1)[-1] for s in graph.objects(response, MF.expectedStatus)]
        expected_body = graph.value(response, HT.body)
        out.append(
            {
                "method": str(graph.value(request, HT.methodName)),
                "path": str(graph.value(request, HT.absolutePath)),
                "headers": headers,
                "body": body,
                "statuses": statuses,
                "location": graph.value(response, MF.expectedLocation),
                "expected": str(graph.value(expected_body, CNT.chars)) if expected_body else None,
            }
        )
    return authority, out


def gsp_tests():
    tests = []
    for name in ("manifest-direct.ttl", "manifest-indirect.ttl"):
        path = manifests.SUITE / "graph-store-protocol" / name
        graph = manifests._load(path)
        for entry in manifests._entries(graph, URIRef(manifests.file_iri(path))):
            assert graph.value(entry, RDF.type) is not None
            authority, requests = _requests(graph, entry)
            tests.append((str(entry).rsplit("#", 1)[-1], authority, requests))
    return tests


TESTS = gsp_tests()


def _rewrite(text: str) -> str:
    return (
        text.replace("/gsp/", "/store/")
        .replace("%2Fgsp%2F", "%2Fstore%2F")
        .replace("/gsp?", "/store?")
        .replace("/gsp", "/store")
    )


def _status_ok(status: int, expected: list[str]) -> bool:
    for name in expected:
        if name.startswith("StatusCode"):
            if f"{status // 100}xx" == name.removeprefix("StatusCode"):
                return True
        elif STATUS.get(name) == str(status):
            return True
    return not expected


@pytest.mark.parametrize("test", TESTS, ids=[t[0] for t in TESTS])
def test_w3c_graph_store(test, update_server):  # noqa: F811
    _, authority, requests = test
    parts = urllib.parse.urlsplit(update_server.url)
    status, body = post_update(update_server, "DROP SILENT ALL")  # each test starts empty
    assert status == 200, body
    location = None
    for request in requests:
        path = _rewrite(request["path"])
        body = _rewrite(request["body"]) if request["body"] else None
        if location is not None:
            path = path.replace("$LOCATION$", urllib.parse.quote(location, safe=""))
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            headers = {**request["headers"], "Host": authority}
            if request["method"] not in ("GET", "HEAD"):
                headers.update(AUTH)
            data = body.encode() if body is not None else None
            connection.request(request["method"], path, body=data, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            status = response.status
            if request["location"] is not None:
                location = response.getheader("Location")
                assert location, "a creating POST answers with Location"
        finally:
            connection.close()
        assert _status_ok(status, request["statuses"]), (
            f"{request['method']} {path} answered {status}, expected {request['statuses']}: "
            f"{answer[:300]!r}"
        )
        if request["expected"] is not None:
            expected = Graph().parse(
                data=_rewrite(request["expected"]), format="turtle", publicID=f"http://{authority}/"
            )
            actual = Graph().parse(data=answer, format="turtle", publicID=f"http://{authority}/")
            assert isomorphic(expected, actual), answer.decode()[:1000]
