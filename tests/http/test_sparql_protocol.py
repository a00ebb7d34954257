"""/sparql: one test per protocol rule.

Runs in process (Flask's test client on the shared ``app_server``, a real store holding the
release); tests marked ``socket`` go over raw HTTP (http.client) to a real ``hairkg serve``,
for what only a socket shows (the request line as sent, gunicorn's framing).
"""

from __future__ import annotations

import csv
import io
import json
import urllib.parse

import pyoxigraph as ox
import pytest
import rdflib
from helpers import raw_call

from kb.rdf import INFERRED_GRAPH, KB_GRAPH, ONTOLOGY_GRAPH

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
LABELS = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s LIMIT 5"
)
CONSTRUCT = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "CONSTRUCT { ?s rdfs:label ?label } WHERE { ?s rdfs:label ?label } LIMIT 5"
)
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")


@pytest.fixture
def base_url(request, app_server):
    """The in-process app, or the real server's URL for tests marked ``socket``."""
    if request.node.get_closest_marker("socket"):
        return request.getfixturevalue("server").url
    return app_server


def origin(base_url) -> str:
    """The service's own origin as its answers name it."""
    return base_url if isinstance(base_url, str) else base_url.url


def call(base_url, method, path, *, body=None, headers=None):
    """One HTTP exchange: (status, headers as a case-insensitive message, body)."""
    return raw_call(base_url, method, path, body=body, headers=headers)


def get(base_url, query=None, *, headers=None, **params):
    fields = ([("query", query)] if query is not None else []) + [
        (name.replace("_", "-"), value)
        for name, values in params.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    path = "/sparql" + ("?" + urllib.parse.urlencode(fields) if fields else "")
    return call(base_url, "GET", path, headers=headers)


FORM = "application/x-www-form-urlencoded"


def form(base_url, fields, *, content_type=FORM, headers=None, path="/sparql"):
    body = urllib.parse.urlencode(fields).encode()
    return call(
        base_url, "POST", path, body=body, headers={"Content-Type": content_type, **(headers or {})}
    )


def direct(
    base_url, query, *, content_type="application/sparql-query", headers=None, path="/sparql"
):
    body = query.encode() if isinstance(query, str) else query
    return call(
        base_url, "POST", path, body=body, headers={"Content-Type": content_type, **(headers or {})}
    )


def solutions(body: bytes, media_type="application/sparql-results+json"):
    fmt = ox.QueryResultsFormat.from_media_type(media_type)
    return ox.parse_query_results(body, fmt)


def count_of(body: bytes) -> int:
    return int(next(iter(solutions(body)))["n"].value)


def media(headers) -> str:
    return headers.get("Content-Type", "").split(";")[0].strip()


# -- the three ways to send a query -------------------------------------------------


@pytest.mark.socket  # also end to end, through gunicorn
def test_get_query_answers_json_by_default(base_url):
    status, headers, body = get(base_url, COUNT)
    assert status == 200
    assert media(headers) == "application/sparql-results+json"
    assert count_of(body) > 100


@pytest.mark.socket  # also end to end, through gunicorn
def test_post_form_and_charset_parameter(base_url):
    for content_type in (FORM, FORM + "; charset=UTF-8", FORM + ";charset=utf-8"):
        status, _, body = form(base_url, [("query", COUNT)], content_type=content_type)
        assert status == 200, body
        assert count_of(body) > 100


def test_post_direct_with_and_without_charset(base_url):
    for content_type in ("application/sparql-query", "application/sparql-query; charset=utf-8"):
        status, _headers, body = direct(base_url, COUNT, content_type=content_type)
        assert status == 200, body
        assert count_of(body) > 100


def test_utf8_query_text_round_trips(base_url):
    query = 'SELECT ?x WHERE { BIND("cheveux — ça pousse 🌱" AS ?x) }'
    for status, _, body in (
        get(base_url, query),
        form(base_url, [("query", query)]),
        direct(base_url, query),
    ):
        assert status == 200
        assert next(iter(solutions(body)))["x"].value == "cheveux — ça pousse 🌱"


# -- dataset parameters -------------------------------------------------------------


def test_default_graph_uri_selects_the_default_graph(base_url):
    _, _, everything = get(base_url, COUNT)
    _, _, ontology = get(base_url, COUNT, default_graph_uri=str(ONTOLOGY_GRAPH))
    _, _, both = get(base_url, COUNT, default_graph_uri=[str(ONTOLOGY_GRAPH), str(KB_GRAPH)])
    _, _, in_graph = get(
        base_url, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{ONTOLOGY_GRAPH}> {{ ?s ?p ?o }} }}"
    )
    assert 0 < count_of(ontology) < count_of(both) <= count_of(everything)
    assert count_of(ontology) == count_of(in_graph)


def test_named_graph_uri_selects_the_named_graphs(base_url):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    status, _, body = form(
        base_url,
        [
            ("query", query),
            ("named-graph-uri", str(KB_GRAPH)),
            ("named-graph-uri", str(INFERRED_GRAPH)),
        ],
    )
    assert status == 200
    assert {row["g"].value for row in solutions(body)} == {str(KB_GRAPH), str(INFERRED_GRAPH)}
    # With only named graphs given, the default graph is empty.
    _, _, body = get(base_url, COUNT, named_graph_uri=str(KB_GRAPH))
    assert count_of(body) == 0


def test_dataset_parameters_in_the_url_of_a_direct_post(base_url):
    path = "/sparql?" + urllib.parse.urlencode({"default-graph-uri": str(ONTOLOGY_GRAPH)})
    _, _, body = direct(base_url, COUNT, path=path)
    _, _, expected = get(base_url, COUNT, default_graph_uri=str(ONTOLOGY_GRAPH))
    assert count_of(body) == count_of(expected)


def test_from_clause_is_honoured(base_url):
    _, _, from_query = get(
        base_url, f"SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY_GRAPH}> WHERE {{ ?s ?p ?o }}"
    )
    _, _, everything = get(base_url, COUNT)
    _, _, ontology = get(base_url, COUNT, default_graph_uri=str(ONTOLOGY_GRAPH))
    assert count_of(from_query) == count_of(ontology) < count_of(everything)
    # FROM NAMED alone: an empty default graph and just that named graph.
    _, _, body = get(
        base_url,
        f"SELECT DISTINCT ?g FROM NAMED <{KB_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    )
    assert [row["g"].value for row in solutions(body)] == [str(KB_GRAPH)]


def test_relative_iris_resolve_against_the_endpoint(base_url):
    status, _, body = get(base_url, "SELECT ?x WHERE { BIND(<thing> AS ?x) }")
    assert status == 200
    assert next(iter(solutions(body)))["x"].value == origin(base_url) + "/thing"


# -- errors: plain text naming the problem --------------------------------------------


def assert_text_error(status, headers, body, expected_status, *words):
    assert status == expected_status, body
    assert media(headers) == "text/plain"
    text = body.decode()
    for word in words:
        assert word.lower() in text.lower(), text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_method_is_405_with_allow(base_url, method):
    status, headers, body = call(base_url, method, "/sparql?query=ASK%7B%7D")
    assert_text_error(status, headers, body, 405, method, "GET or POST")
    assert set(headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}


def test_missing_query_is_400(base_url):
    assert_text_error(*form(base_url, [("default-graph-uri", str(KB_GRAPH))]), 400, "query")
    assert_text_error(*get(base_url, default_graph_uri=str(KB_GRAPH)), 400, "query")
    assert_text_error(*direct(base_url, ""), 400, "query")


def test_duplicated_query_is_400(base_url):
    status, headers, body = call(base_url, "GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D")
    assert_text_error(status, headers, body, 400, "query", "2 times")
    path = "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"})
    assert_text_error(*form(base_url, [("query", "ASK {}")], path=path), 400, "2 times")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "application/sparql-results+json", None]
)
def test_wrong_or_missing_content_type_is_415(base_url, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    status, response_headers, body = call(
        base_url, "POST", "/sparql", body=b"ASK {}", headers=headers
    )
    assert_text_error(status, response_headers, body, 415, "application/sparql-query", FORM)


def test_non_utf8_is_400(base_url):
    latin1 = 'ASK { FILTER("café" != "") }'.encode("latin-1")
    assert_text_error(*direct(base_url, latin1), 400, "UTF-8")
    body = b"query=" + urllib.parse.quote_from_bytes(latin1).encode()
    assert_text_error(
        *call(base_url, "POST", "/sparql", body=body, headers={"Content-Type": FORM}),
        400,
        "UTF-8",
    )
    assert_text_error(*call(base_url, "GET", "/sparql?query=ASK%7B%FF%7D"), 400, "UTF-8")
    utf16 = "ASK {}".encode("utf-16")
    assert_text_error(
        *direct(base_url, utf16, content_type="application/sparql-query; charset=UTF-16"),
        400,
        "UTF-8",
    )


def test_syntax_error_is_400_with_line_and_column(base_url):
    query = "SELECT ?s\nWHERE { ?s ?p }"
    for status, headers, body in (get(base_url, query), direct(base_url, query)):
        assert_text_error(status, headers, body, 400, "syntax error", "2:")
    # Errors on the first line keep their column although the service adds a BASE there.
    status, headers, body = get(base_url, "SELECT ?s WHERE { ?s ?p }")
    assert b"at 1:26:" in body, body  # as the engine reports it for this text alone


def test_update_without_token_or_as_query_is_refused_with_explanation(base_url):
    # Updates need a bearer token (docs/editing.md; tests/http/test_editing.py writes with one).
    for status, headers, body in (
        form(base_url, [("update", "CLEAR ALL")]),
        direct(base_url, "CLEAR ALL", content_type="application/sparql-update"),
    ):
        assert_text_error(status, headers, body, 401, "bearer token")
        assert headers["WWW-Authenticate"].startswith("Bearer")
    status, headers, body = call(base_url, "GET", "/sparql?update=CLEAR%20ALL")
    assert_text_error(status, headers, body, 405, "POST")
    status, headers, body = form(base_url, [("query", "INSERT DATA { <urn:a> <urn:b> <urn:c> }")])
    assert_text_error(status, headers, body, 400, "update", "token")
    _, _, after = get(base_url, "ASK { <urn:a> <urn:b> <urn:c> }")
    assert bool(solutions(after)) is False


# -- content negotiation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/*", "text/csv"),
        ("application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
        ("application/json", "application/json"),
        # HTML preferred: a browser following a link gets the query page with the query
        # loaded (issue 16; tests/http/test_negotiation.py), not results.
        ("text/html, */*;q=0.8", "text/html"),
    ],
)
def test_select_negotiation(base_url, accept, expected):
    headers = {"Accept": accept} if accept is not None else {}
    status, response_headers, body = get(base_url, LABELS, headers=headers)
    assert status == 200
    assert media(response_headers) == expected
    if expected in ("text/csv",):
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert rows[0] == ["s", "label"] and len(rows) == 6
    elif expected == "text/html":
        assert b"hairkg-query-config" in body
    else:
        fmt = "application/sparql-results+json" if expected == "application/json" else expected
        assert len(list(solutions(body, fmt))) == 5
    assert "Accept" in response_headers.get("Vary", "")


@pytest.mark.parametrize(
    ("accept", "expected", "rdflib_format"),
    [
        (None, "text/turtle", "turtle"),
        ("text/turtle", "text/turtle", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/n-quads", "application/n-quads", "nquads"),
        ("application/trig", "application/trig", "trig"),
        ("application/sparql-results+json, text/turtle;q=0.5", "text/turtle", "turtle"),
    ],
)
def test_construct_negotiation(base_url, accept, expected, rdflib_format):
    headers = {"Accept": accept} if accept is not None else {}
    status, response_headers, body = get(base_url, CONSTRUCT, headers=headers)
    assert status == 200, body
    assert media(response_headers) == expected
    graph = rdflib.Dataset() if rdflib_format in ("nquads", "trig") else rdflib.Graph()
    graph.parse(data=body, format=rdflib_format)
    assert len(graph) == 5


def test_ask_formats(base_url):
    for accept in ("application/sparql-results+json", "application/sparql-results+xml"):
        status, _headers, body = get(base_url, "ASK { ?s ?p ?o }", headers={"Accept": accept})
        assert status == 200 and bool(solutions(body, accept)) is True


def test_nothing_acceptable_is_406_listing_the_offers(base_url):
    status, headers, body = get(base_url, LABELS, headers={"Accept": "image/png"})
    assert_text_error(status, headers, body, 406, "application/sparql-results+json", "text/csv")
    status, headers, body = get(
        base_url, LABELS, headers={"Accept": "application/sparql-results+json;q=0, text/turtle"}
    )
    assert status == 406
    status, headers, body = get(base_url, CONSTRUCT, headers={"Accept": "text/csv"})
    assert_text_error(status, headers, body, 406, "text/turtle", "application/ld+json")


@pytest.mark.parametrize(
    ("query", "fmt", "expected"),
    [
        (LABELS, "json", "application/sparql-results+json"),
        (LABELS, "xml", "application/sparql-results+xml"),
        (LABELS, "csv", "text/csv"),
        (LABELS, "tsv", "text/tab-separated-values"),
        (CONSTRUCT, "ttl", "text/turtle"),
        (CONSTRUCT, "nt", "application/n-triples"),
        (CONSTRUCT, "jsonld", "application/ld+json"),
        (CONSTRUCT, "rdfxml", "application/rdf+xml"),
        (CONSTRUCT, "nq", "application/n-quads"),
        (CONSTRUCT, "trig", "application/trig"),
        (CONSTRUCT, "json", "application/ld+json"),
        (CONSTRUCT, "xml", "application/rdf+xml"),
    ],
)
def test_format_parameter_overrides_accept(base_url, query, fmt, expected):
    status, headers, _ = get(base_url, query, format=fmt, headers={"Accept": "image/png"})
    assert status == 200
    assert media(headers) == expected


def test_unknown_or_unsuitable_format(base_url):
    assert_text_error(*get(base_url, LABELS, format="yaml"), 400, "yaml", "json")
    assert_text_error(*get(base_url, LABELS, format="ttl"), 406, "text/csv")
    assert_text_error(*get(base_url, CONSTRUCT, format="csv"), 406, "text/turtle")


# -- service description and the page for browsers -------------------------------------


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
        ("application/n-triples", "nt"),
        (None, "turtle"),
    ],
)
def test_service_description(base_url, accept, rdflib_format):
    headers = {"Accept": accept} if accept else {}
    status, _response_headers, body = get(base_url, headers=headers)
    assert status == 200
    graph = rdflib.Graph().parse(data=body, format=rdflib_format)
    endpoint = rdflib.URIRef(origin(base_url) + "/sparql")
    assert (endpoint, rdflib.RDF.type, SD.Service) in graph
    assert (endpoint, SD.endpoint, endpoint) in graph
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (endpoint, SD.feature, SD.UnionDefaultGraph) in graph
    formats = {str(o) for o in graph.objects(endpoint, SD.resultFormat)}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert "http://www.w3.org/ns/formats/Turtle" in formats
    dataset = graph.value(endpoint, SD.defaultDataset)
    names = {str(graph.value(n, SD.name)) for n in graph.objects(dataset, SD.namedGraph)}
    assert {str(KB_GRAPH), str(ONTOLOGY_GRAPH)} <= names
    void_triples = rdflib.URIRef("http://rdfs.org/ns/void#triples")
    default = graph.value(dataset, SD.defaultGraph)
    assert int(graph.value(default, void_triples)) > 100


def test_browsers_get_the_query_page(base_url):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    status, headers, body = get(base_url, headers={"Accept": accept})
    assert status == 200
    assert media(headers) == "text/html"
    assert b"<html" in body.lower() or b"<!doctype html" in body.lower()


# -- HTTP caching, CORS, tracing --------------------------------------------------------


def test_etag_and_conditional_get(base_url):
    status, headers, _body = get(base_url, LABELS)
    etag = headers["ETag"]
    assert status == 200 and etag
    assert headers["Cache-Control"] == "public, max-age=60"
    _status2, headers2, _ = get(base_url, LABELS)
    assert headers2["ETag"] == etag
    status3, headers3, body3 = get(base_url, LABELS, headers={"If-None-Match": etag})
    assert status3 == 304 and body3 == b""
    assert headers3["ETag"] == etag
    # Another format, query or dataset is another representation.
    assert get(base_url, LABELS, format="xml")[1]["ETag"] != etag
    assert get(base_url, LABELS + " ")[1]["ETag"] != etag
    assert get(base_url, LABELS, default_graph_uri=str(KB_GRAPH))[1]["ETag"] != etag
    assert get(base_url, LABELS, headers={"If-None-Match": '"other"'})[0] == 200


def test_cors_simple_and_preflight(base_url):
    status, headers, _ = get(base_url, LABELS, headers={"Origin": "https://example.org"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in headers["Access-Control-Expose-Headers"]
    status, headers, _ = call(
        base_url,
        "OPTIONS",
        "/sparql",
        headers={
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, Accept",
        },
    )
    assert status == 204
    methods = headers["Access-Control-Allow-Methods"]
    assert "GET" in methods and "POST" in methods
    allowed = headers["Access-Control-Allow-Headers"].lower()
    assert "content-type" in allowed and "accept" in allowed
    assert headers["Access-Control-Allow-Origin"] == "*"
    # Errors carry CORS headers too, so that a browser client can read the message.
    status, headers, _ = get(base_url, "SELECT", headers={"Origin": "https://example.org"})
    assert status == 400 and headers["Access-Control-Allow-Origin"] == "*"


def test_request_id_and_server_timing(base_url):
    _status, headers, _ = get(base_url, LABELS, headers={"X-Request-Id": "proto-test-1"})
    assert headers["X-Request-Id"] == "proto-test-1"
    timing = headers["Server-Timing"]
    assert "app;dur=" in timing and "db;dur=" in timing


@pytest.mark.socket  # also end to end, through gunicorn
def test_head_request(base_url):
    status, headers, body = call(base_url, "HEAD", "/sparql?query=ASK%7B%7D")
    assert status == 200 and body == b""
    assert media(headers) == "application/sparql-results+json"


def test_json_results_are_valid_json_with_standard_members(base_url):
    _, _, body = get(base_url, LABELS)
    document = json.loads(body)
    assert set(document) == {"head", "results"}
    assert document["head"]["vars"] == ["s", "label"]
