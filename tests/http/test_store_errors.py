"""One wording for a store that cannot be reached (issue 13: three wordings before), on every
route family, in the route's own error format, never naming the store's address.

The app runs in process on a store URL where nothing listens (a port taken and closed): a
real connection refused, the way a crashed or unreachable engine looks to the service."""

from __future__ import annotations

import json

import pytest

from kb.store.managed import free_port

WRITER = "alice:alice-secret:write+admin"
AUTH = {"Authorization": "Bearer alice-secret"}
ONE_WORDING = "The triple store is not available"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from api.app import create_app
    from kb.settings import Settings
    from kb.store.client import SparqlStore

    url = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("no-store"),
        store_url=url,
        tokens=WRITER,
        index_snapshots=False,
    )
    app = create_app(settings, SparqlStore.for_server(url, timeout_s=5))
    yield app.test_client(), url


def assert_unavailable(response, url: str, media_type: str) -> str:
    body = response.get_data(as_text=True)
    assert response.status_code == 503, (response.request.path, response.status_code, body)
    assert response.mimetype == media_type, (response.request.path, response.mimetype)
    assert response.headers.get("Retry-After") == "5"
    port = url.rsplit(":", 1)[1]
    for internal in (url, "127.0.0.1", port, "/query", "/update"):
        assert internal not in body, (internal, body)
    return body


@pytest.mark.parametrize(
    "method,path,body",
    [
        ("GET", "/api/v1/entities/alopecia", None),
        ("GET", "/api/v1/search?q=alopecia", None),
        ("POST", "/api/v1/suggest", {"title": "Hair loss", "text": "minoxidil"}),
        ("GET", "/api/v1/history", None),
        ("POST", "/api/v1/edit/entities", {"id": "x", "types": ["hk:Treatment"], "label": "X"}),
        ("POST", "/admin/reload", {}),
    ],
)
def test_json_routes_answer_problem_json_in_one_wording(client, method, path, body):
    test_client, url = client
    response = test_client.open(path, method=method, json=body, headers=AUTH)
    text = assert_unavailable(response, url, "application/problem+json")
    problem = json.loads(text)
    assert problem["status"] == 503 and problem["detail"].startswith(ONE_WORDING), problem


@pytest.mark.parametrize(
    "method,path,body,content_type",
    [
        ("GET", "/sparql?query=ASK%7B%7D", None, None),
        ("POST", "/sparql", "INSERT DATA { <urn:a> <urn:b> <urn:c> }", "application/sparql-update"),
        ("GET", "/store?default", None, None),
        ("GET", "/dump.nq", None, None),
    ],
)
def test_protocol_routes_answer_plain_text_in_one_wording(client, method, path, body, content_type):
    test_client, url = client
    headers = dict(AUTH)
    if content_type:
        headers["Content-Type"] = content_type
    response = test_client.open(path, method=method, data=body, headers=headers)
    text = assert_unavailable(response, url, "text/plain")
    assert text.startswith(ONE_WORDING), text
