"""The negotiation rules every route shares (``api.http.choose``, ``prefers_html``): Werkzeug's
RFC 9110 reading plus the leniency real clients need. Each case is a header seen from a real
client or named by the RFC."""

from __future__ import annotations

import pytest

from api.http import choose, prefers_html

RDF = ["text/turtle", "application/n-triples", "application/ld+json"]


@pytest.mark.parametrize(
    "accept,expected",
    [
        (None, "text/turtle"),  # no header: anything, the first offer
        ("", "text/turtle"),
        ("*", "text/turtle"),  # old clients' bare star
        ("garbage", "text/turtle"),  # nothing readable: anything
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples;q=0.9, text/turtle;q=0.5", "application/n-triples"),
        ("text/turtle; charset=utf-8", "text/turtle"),  # W3C GSP test: parameters ignored
        ("*/*;q=0.5, application/ld+json", "application/ld+json"),
        ("application/json, */*", "text/turtle"),  # JSON not offered: the wildcard's first
        ("*/*, application/ld+json", "application/ld+json"),  # named beats wildcard at equal q
        ("text/*;q=1, text/turtle;q=0, */*;q=0.1", "application/n-triples"),  # q=0 excludes
        ("text/turtle;q=0.2, text/*", "text/turtle"),  # the specific range's q, not text/*'s
        ("image/png", None),  # nothing offered is acceptable: 406
        ("text/turtle;q=0", None),
    ],
)
def test_choose(accept, expected):
    assert choose(accept, RDF) == expected


@pytest.mark.parametrize(
    "accept,browser",
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),  # Chromium
        ("*/*", False),  # curl, requests
        (None, False),
        ("text/*", False),
        ("application/sparql-results+json,text/html;q=0.5", False),  # a SPARQL client
        ("text/turtle, text/html", True),  # equal: the client named HTML first-class
        ("text/html;q=0", False),
    ],
)
def test_prefers_html(accept, browser):
    assert prefers_html(accept) is browser
