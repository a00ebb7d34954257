"""Security defaults (issue 7, part 4), each with a test: reads open and writes behind a
token, tokens compared in constant time and never logged, CORS open for reads only, security
headers on every HTML page, request and body size limits, and a per-client rate limit with
429 and Retry-After on the expensive endpoints.

Covered elsewhere and not repeated: 401/403 for each write path with wrong or missing tokens
and scopes (tests/test_editing.py::test_tokens), /admin/reload needs an admin token
(tests/test_file_workflow.py), long GET URLs 414 and large bodies 413 on /sparql
(tests/test_sparql_limits.py), CORS on the JSON API and /sparql for reads
(tests/test_api_rest.py::test_cors, tests/test_sparql_protocol.py::test_cors_simple_and_preflight).
"""

from __future__ import annotations

import inspect
from urllib.parse import quote

import pytest
from conftest import server_fixture
from helpers import wait_until
from test_hardening_common import ALICE, TOKENS, call, fingerprint, raw_request

READER = {"Authorization": "Bearer reader-secret"}

HTML_PAGES = [
    "/",
    "/sparql",
    "/query",
    "/id/",
    "/id/alopecia",
    "/id/no-such-thing",
    "/ontology",
    "/api/v1/docs",
    "/demo",
    "/editor/suggest",
    "/no/such/page",
]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_every_html_page_has_security_headers(server, path):
    status, headers, body = call(server.url, "GET", path, headers={"Accept": "text/html"})
    assert status in (200, 404), (path, status)
    assert headers["Content-Type"].startswith("text/html"), path
    csp = headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], (path, csp)
    assert directives.get("script-src") == ["'self'"], (path, csp)  # no inline scripts
    assert directives.get("object-src") == ["'none'"], (path, csp)
    assert headers.get("X-Frame-Options") == "DENY", path
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert b"<script>" not in body.lower(), path  # every script is a file from this origin


# -- tokens ---------------------------------------------------------------------------------


def test_tokens_are_compared_in_constant_time(monkeypatch):
    """Every configured digest is compared with hmac.compare_digest, whether the presented
    token matches the first, the last or none (no early exit, no ``==`` on secrets)."""
    import hmac

    from api import auth

    calls = []
    compare = hmac.compare_digest

    def spy(a, b):
        calls.append((len(a), len(b)))
        return compare(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    store = auth.TokenStore(env_value="a:first-secret:write,b:middle:write,c:last-secret:write")
    for presented, expected in (("first-secret", "a"), ("last-secret", "c"), ("nope", None)):
        calls.clear()
        token = store.match(presented)
        assert (token.name if token else None) == expected
        assert calls == [(32, 32)] * 3  # SHA-256 digests, all three compared
    source = inspect.getsource(auth.TokenStore.match)
    assert "compare_digest" in source and "==" not in source


# -- a server with a small rate limit, debug logging and a proxy in front --------------------


limited = server_fixture(
    "security",
    extra_args=("--workers", "1"),
    env={
        "HAIRKG_TOKENS": TOKENS,
        "HAIRKG_TOKENS_FILE": "",
        "HAIRKG_WRITE_VALIDATION": "shapes",
        "HAIRKG_RATE_LIMIT_PER_MINUTE": "30",
        "HAIRKG_RATE_LIMIT_BURST": "5",
        "HAIRKG_TRUSTED_PROXIES": "127.0.0.1",
        "HAIRKG_LOG_LEVEL": "debug",
    },
)


def from_client(address: str) -> dict:
    return {"X-Forwarded-For": f"198.51.100.1, {address}"}


def test_rate_limit_on_expensive_requests(limited):
    client = from_client("203.0.113.7")
    ask = "/sparql?query=" + quote("ASK { ?s ?p ?o }")
    statuses = [call(limited.url, "GET", ask, headers=client)[0] for _ in range(5)]
    assert statuses == [200] * 5
    status, headers, body = call(limited.url, "GET", ask, headers=client)
    assert status == 429, body
    assert headers["Content-Type"].startswith("text/plain")
    assert 1 <= int(headers["Retry-After"]) <= 3
    assert b"retry in" in body
    # the same client: suggestions and writes are limited too (problem+json off /sparql)
    status, headers, body = call(
        limited.url, "POST", "/api/v1/suggest", {"title": "t", "text": "alopecia"}, client
    )
    assert status == 429 and headers["Content-Type"] == "application/problem+json"
    assert "Retry-After" in headers
    status, _, _ = call(limited.url, "POST", "/api/v1/edit/entities", {}, {**client, **ALICE})
    assert status == 429
    # cheap reads are not limited; other clients, and loopback tools, are not affected
    assert call(limited.url, "GET", "/api/v1/search?q=alopecia", headers=client)[0] == 200
    assert call(limited.url, "GET", "/id/alopecia", headers=client)[0] == 200
    assert call(limited.url, "GET", ask, headers=from_client("203.0.113.8"))[0] == 200
    assert call(limited.url, "GET", ask)[0] == 200
    # the bucket refills (30 a minute: one token every 2 s)
    wait_until(
        lambda: call(limited.url, "GET", ask, headers=client)[0] == 200,
        20,
        0.5,
        "a token refilled in the client's bucket",
    )


def test_token_bucket_arithmetic():
    from api.server.ratelimit import TokenBuckets

    now = [0.0]
    buckets = TokenBuckets(per_minute=60, burst=2, clock=lambda: now[0])
    assert buckets.take("a") == 0 and buckets.take("a") == 0
    assert buckets.take("a") == pytest.approx(1.0)
    assert buckets.take("b") == 0
    now[0] += 1.0
    assert buckets.take("a") == 0
    now[0] += 100
    assert [buckets.take("a") for _ in range(3)][:2] == [0, 0]


def test_writes_need_a_token_and_tokens_are_never_logged(limited):
    before = fingerprint(limited.url)
    update = "INSERT DATA { GRAPH <urn:x-test:log> { <urn:x-test:a> <urn:x-test:b> 1 } }"
    for headers in ({}, {"Authorization": "Bearer wrong-secret-value"}, READER):
        status, _, _ = call(
            limited.url, "POST", "/sparql", update, headers, "application/sparql-update"
        )
        assert status in (401, 403)
    assert fingerprint(limited.url) == before
    status, _, body = call(
        limited.url, "POST", "/sparql", update, ALICE, "application/sparql-update"
    )
    assert status == 200, body
    call(limited.url, "GET", "/api/v1/history", headers=ALICE)
    log = limited.log()
    assert "POST /sparql" in log  # the access log is on (debug)
    for secret in ("alice-secret", "wrong-secret-value", "reader-secret", "ops-secret"):
        assert secret not in log


# -- CORS: open for reads, closed for writes ------------------------------------------------


def preflight(url: str, path: str, method: str, headers: str):
    return call(
        url,
        "OPTIONS",
        path,
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/sparql", "POST"),
        ("/store?graph=urn:x-test:g", "PUT"),
        ("/api/v1/edit/entities", "POST"),
        ("/api/v1/edit/entities/alopecia", "PATCH"),
        ("/api/v1/history/1/revert", "POST"),
        ("/api/v1/suggest/accept", "POST"),
        ("/admin/reload", "POST"),
    ],
)
def test_no_foreign_origin_may_send_a_token(server, path, method):
    """Writes carry a bearer token; no preflight lets another origin's page send one."""
    _, headers, _ = preflight(server.url, path, method, "authorization, content-type")
    allowed_origin = headers.get("Access-Control-Allow-Origin")
    allowed_headers = headers.get("Access-Control-Allow-Headers", "").lower()
    allowed_methods = headers.get("Access-Control-Allow-Methods", "").upper()
    assert not allowed_origin or "authorization" not in allowed_headers, headers
    assert method in ("POST",) or method not in allowed_methods or not allowed_origin


def test_reads_are_open_to_every_origin(server):
    origin = {"Origin": "https://elsewhere.example"}
    for path in ("/api/v1/search?q=alopecia", "/sparql?query=" + quote("ASK {}")):
        status, headers, _ = call(server.url, "GET", path, headers=origin)
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"


# -- size limits ----------------------------------------------------------------------------


def test_request_and_body_size_limits(limited):
    status, _ = raw_request(
        limited.url,
        b"GET /api/v1/search?q=a HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
    )
    assert 400 <= status < 500
    status, _ = raw_request(
        limited.url,
        b"GET /api/v1/search?q=a HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-H%d: v\r\n" % i for i in range(300))
        + b"\r\n",
    )
    assert 400 <= status < 500
    status, _ = raw_request(limited.url, b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert 400 <= status < 500
    for method, path, content_type, size in (
        ("PUT", "/store?graph=urn:x-test:big", "text/turtle", 3 << 20),  # writes: 2 MiB
        ("POST", "/api/v1/edit/entities", "application/json", 3 << 20),
        ("POST", "/api/v1/suggest", "application/json", 5 << 20),  # 4 MiB
    ):
        status, _, body = call(limited.url, method, path, b"x" * size, ALICE, content_type)
        assert status == 413, (path, status, body[:200])
    # A declared length over the limit is answered at once, without reading the body.
    status, _ = raw_request(
        limited.url,
        b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: %d\r\n\r\nASK {}" % (11 << 20),
    )
    assert status == 413
