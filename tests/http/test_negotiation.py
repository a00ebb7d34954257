"""Issue 16 parts 2-4, in process on the shipped data: one CORS policy for every read route,
media types and negotiation that tell the truth, gzip, the request-line limit in the
documented format, and request headers (Host, X-Forwarded-*) not taken at face value."""

from __future__ import annotations

import gzip
import json
from urllib.parse import quote

import pytest

from tests.conftest import InProcessServer

ORIGIN = "https://app.example"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
READ_ROUTES = [
    "/id/microneedling",
    "/id/microneedling.ttl",
    "/.well-known/void",
    "/ontology",
    "/dump.nq",
    "/sparql",
    "/api/v1/entities/microneedling",
    "/widget.js",
]
RELATIVE = "SELECT ?x WHERE { BIND(<thing> AS ?x) }"


@pytest.fixture(scope="module")
def client(app_server: InProcessServer):
    return app_server.client


def make_app(app_server: InProcessServer, **settings):
    """A second app on the same store with other settings (no answer cache)."""
    from api.app import create_app
    from kb.settings import Settings

    store = app_server.client.application.extensions["hairkg.store"]
    base = app_server.client.application.extensions["hairkg.settings"]
    return create_app(
        Settings(data_dir=base.data_dir, index_snapshots=False, sparql_cache_mb=0, **settings),
        store,
    )


# -- 2. CORS --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", READ_ROUTES)
def test_preflight_on_every_read_route(client, path):
    answer = client.options(
        path,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept, if-none-match",
        },
    )
    assert answer.status_code in (200, 204), path
    assert answer.headers["Access-Control-Allow-Origin"] == "*", path
    assert "GET" in answer.headers["Access-Control-Allow-Methods"], path
    allowed = answer.headers["Access-Control-Allow-Headers"].lower()
    assert "accept" in allowed and "if-none-match" in allowed, path
    assert "authorization" not in allowed, path
    assert int(answer.headers["Access-Control-Max-Age"]) > 0, path


def test_cross_origin_reads_expose_etag_also_on_304_and_404(client):
    headers = {"Origin": ORIGIN, "Accept": "text/turtle"}
    first = client.get("/id/microneedling", headers=headers)
    assert first.status_code == 200
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in first.headers["Access-Control-Expose-Headers"]
    again = client.get(
        "/id/microneedling", headers={**headers, "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.headers["Access-Control-Allow-Origin"] == "*"
    missing = client.get("/id/no_such_entity_here", headers=headers)
    assert missing.status_code == 404
    assert missing.headers["Access-Control-Allow-Origin"] == "*"


# -- 3. media types and negotiation ------------------------------------------------------------


def test_void_with_any_type_is_turtle_labelled_turtle(client):
    answer = client.get("/.well-known/void", headers={"Accept": "*/*"})
    assert answer.status_code == 200
    assert answer.mimetype == "text/turtle"


def test_sparql_without_query_for_curl_is_the_service_description(client):
    answer = client.get("/sparql", headers={"Accept": "*/*"})
    assert answer.status_code == 200
    assert answer.mimetype == "text/turtle"
    assert b"sparql-service-description" in answer.data
    browser = client.get("/sparql", headers={"Accept": BROWSER_ACCEPT})
    assert browser.mimetype == "text/html"


@pytest.mark.parametrize("accept", ["*/*", "application/json", "text/turtle"])
def test_unknown_entity_is_a_machine_readable_404(client, accept):
    answer = client.get("/id/no_such_entity_here", headers={"Accept": accept})
    assert answer.status_code == 404
    assert answer.mimetype == "application/problem+json"
    assert json.loads(answer.data)["status"] == 404
    html = client.get("/id/no_such_entity_here", headers={"Accept": BROWSER_ACCEPT})
    assert html.status_code == 404 and html.mimetype == "text/html"


def test_browser_following_a_query_link_gets_the_ui_with_the_query(client):
    query = "SELECT ?s WHERE { ?s a <http://example.org/Marker42> } LIMIT 3"
    answer = client.get(f"/sparql?query={quote(query)}", headers={"Accept": BROWSER_ACCEPT})
    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    config = answer.data.decode().split('id="hairkg-query-config"', 1)[1]
    config = config.split(">", 1)[1].split("</script>", 1)[0]
    assert json.loads(config)["initialQuery"] == query
    assert "Accept" in answer.headers["Vary"]
    # Programs still get results, and a browser asking for a format by name too.
    program = client.get(f"/sparql?query={quote(query)}", headers={"Accept": "*/*"})
    assert program.mimetype == "application/sparql-results+json"
    named = client.get(
        f"/sparql?query={quote(query)}&format=xml", headers={"Accept": BROWSER_ACCEPT}
    )
    assert named.mimetype == "application/sparql-results+xml"


def test_a_line_over_the_limit_is_answered_in_the_documented_format(client):
    long_query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 5000
    sparql = client.get(f"/sparql?query={quote(long_query)}")
    assert sparql.status_code == 414
    assert sparql.mimetype == "text/plain"
    assert b"POST" in sparql.data
    api = client.get("/api/v1/articles?q=" + "x" * 5000)
    assert api.status_code == 414
    assert api.mimetype == "application/problem+json"
    assert json.loads(api.data)["status"] == 414
    assert client.get("/api/v1/articles?q=" + "x" * 100).status_code != 414


def test_gzip_above_a_threshold_with_vary(client):
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 500"
    path = f"/sparql?query={quote(query)}"
    plain = client.get(path, headers={"Accept": "text/csv"})
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    packed = client.get(path, headers={"Accept": "text/csv", "Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data)
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"].startswith("W/")
    refused = client.get(path, headers={"Accept": "text/csv", "Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    # A small answer is sent as it is.
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers
    # A conditional request with the compressed answer's ETag gets 304.
    again = client.get(
        path,
        headers={
            "Accept": "text/csv",
            "Accept-Encoding": "gzip",
            "If-None-Match": packed.headers["ETag"],
        },
    )
    assert again.status_code == 304


def test_streamed_dump_is_not_compressed(client):
    answer = client.get("/dump.nq", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    assert "Content-Encoding" not in answer.headers
    answer.close()


# -- 4. request headers -----------------------------------------------------------------------


def relative_iri(app_client, headers) -> str:
    answer = app_client.get(
        f"/sparql?query={quote(RELATIVE)}",
        headers={"Accept": "application/sparql-results+json", **headers},
    )
    assert answer.status_code == 200, answer.data
    return json.loads(answer.data)["results"]["bindings"][0]["x"]["value"]


def test_forwarded_proto_ignored_without_a_trusted_proxy(client):
    assert relative_iri(client, {"X-Forwarded-Proto": "https"}).startswith("http://localhost/")


def test_forwarded_headers_honoured_from_one_trusted_proxy(app_server):
    behind = make_app(app_server, trusted_proxy_count=1).test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "kg.example.org"}
    assert relative_iri(behind, headers) == "https://kg.example.org/thing"


def test_public_url_pins_the_base(app_server):
    pinned = make_app(app_server, public_url="https://pinned.example").test_client()
    answer = pinned.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert b"https://pinned.example/sparql" in answer.data


@pytest.mark.parametrize("path", ["/sparql", "/id/microneedling", "/api/v1/articles"])
def test_invalid_host_is_400(client, path):
    answer = client.get(path, headers={"Host": "a b"})
    assert answer.status_code == 400
    expected = "text/plain" if path == "/sparql" else "application/problem+json"
    assert answer.mimetype == expected
    assert b"Host" in answer.data


def test_gunicorn_leaves_forwarded_headers_and_long_lines_to_the_app():
    from api.server.serve import gunicorn_options
    from kb.settings import Settings

    options = gunicorn_options(Settings(), host="127.0.0.1", port=1, workers=1, threads=1)
    assert options["forwarded_allow_ips"] == ""
    assert options["secure_scheme_headers"] == {}
    assert options["limit_request_line"] == 0


@pytest.mark.parametrize(
    "accept",
    [
        "application/sparql-results+json, text/html;q=0.5",
        "application/sparql-results+xml;q=0.9, text/html;q=0.2, */*;q=0.1",
        "text/csv, text/html;q=0.9",
    ],
)
def test_a_sparql_client_listing_html_last_gets_results(accept, client):
    """A client that names a result format above text/html is not a browser: it gets results."""
    response = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": accept})
    assert response.status_code == 200
    assert not response.content_type.startswith("text/html"), response.content_type
