"""``/mcp`` as an HTTP route of the app (Flask's test client on a real store): JSON-RPC
answered as JSON by the SDK's stateless transport, GET refused, and the guards every route
has: the rate limit on POSTs and the request body limit. The tools themselves are tested
with the SDK's client in tests/system/test_mcp.py."""

from __future__ import annotations

import json

import pytest
from conftest import release_app

HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
BODY_LIMIT = 4096


@pytest.fixture(scope="module")
def client(tmp_path_factory, release_dir):
    settings = {
        "max_body_bytes": BODY_LIMIT,
        "rate_limit": True,
        "rate_limit_exempt": (),
        "rate_limit_per_minute": 0.001,
        "rate_limit_burst": 4,
    }
    with release_app(tmp_path_factory.mktemp("mcp-app"), release_dir, **settings) as (app, _):
        yield app.test_client()


def rpc(client, method: str, params: dict | None = None, *, address: str = "192.0.2.1"):
    message = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
    return client.post(
        "/mcp",
        data=json.dumps(message),
        headers=HEADERS,
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_tool_call_is_answered_as_json(client):
    response = rpc(client, "tools/call", {"name": "search", "arguments": {"query": "minoxidil"}})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    result = response.get_json()["result"]
    assert not result.get("isError")
    items = json.loads(result["content"][0]["text"])["items"]
    assert any(item["id"] == "topical-minoxidil" for item in items)
    assert response.headers["X-Request-Id"]  # the app's hooks ran


def test_a_bad_argument_is_a_tool_error_not_an_http_error(client):
    response = rpc(
        client,
        "tools/call",
        {"name": "sparql", "arguments": {"query": "DROP ALL"}},
        address="192.0.2.2",
    )
    assert response.status_code == 200
    result = response.get_json()["result"]
    assert result["isError"] is True
    assert "read-only" in result["content"][0]["text"]


def test_get_and_delete_are_refused_as_problems(client):
    for method in ("GET", "DELETE"):
        response = client.open("/mcp", method=method)
        assert response.status_code == 405
        assert response.headers["Allow"] == "POST"
        assert response.mimetype == "application/problem+json"


def test_a_body_over_the_limit_is_refused(client):
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * BODY_LIMIT
    response = rpc(
        client, "tools/call", {"name": "sparql", "arguments": {"query": query}}, address="192.0.2.3"
    )
    assert response.status_code == 413


def test_posts_are_rate_limited_like_other_posts(client):
    statuses = [rpc(client, "tools/list", address="192.0.2.9").status_code for _ in range(6)]
    assert statuses[:4] == [200] * 4
    assert statuses[4] == 429
    refused = rpc(client, "tools/list", address="192.0.2.9")
    assert refused.mimetype == "application/problem+json" and refused.headers["Retry-After"]
