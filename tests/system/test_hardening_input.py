"""Hostile input (issue 7, part 3): property-based and adversarial requests to every endpoint
and to the CLI. Nothing answers 5xx or hangs, nothing changes without a valid token, no file
outside the data dir is read, and no request leaves the host: SERVICE, LOAD, owl:imports,
remote JSON-LD contexts and XML entities aimed at a canary listener on loopback never reach
it. Related tests elsewhere: tests/test_api_rest.py (hostile search strings, ids, invalid
UTF-8, traversal), tests/test_sparql_limits.py (SERVICE refusal and look-alikes),
tests/test_editing.py (LOAD/SERVICE in updates, malformed and oversized writes),
tests/test_suggest.py (hostile suggestion bodies), tests/test_api_contract.py (schemathesis).
"""

from __future__ import annotations

import json
import time
from urllib.parse import quote, urlencode

import pytest
from conftest import server_fixture
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import OWL, RDF, Graph, URIRef
from test_hardening_common import ALICE, TOKENS, call, canary, fingerprint, raw_request

from kb.validation.reasoning import infer


def test_the_reasoner_never_follows_owl_imports():
    """owlready2 loads owl:imports: a write with one made the validator fetch the URL (or
    read a local file). The graph handed to HermiT has no imports."""
    with canary() as listener:
        graph = Graph()
        onto = URIRef("https://w3id.org/hairkg/ontology")
        graph.add((onto, RDF.type, OWL.Ontology))
        graph.add((onto, OWL.imports, URIRef(listener.url + "/imported.ttl")))
        graph.add((onto, OWL.imports, URIRef("file:///etc/passwd")))
        graph.add((URIRef("https://example.org/A"), RDF.type, OWL.Class))
        result = infer(graph)
        assert result.consistent, result.explanation
        assert listener.hits == []


# -- a server that takes writes -----------------------------------------------------------


target = server_fixture(
    "hostile",
    env={
        "HAIRKG_TOKENS": TOKENS,
        "HAIRKG_TOKENS_FILE": "",
        "HAIRKG_WRITE_VALIDATION": "shapes",
        "HAIRKG_RATE_LIMIT": "off",
    },
)


def billion_laughs(levels: int = 9) -> bytes:
    entities = ['<!ENTITY lol0 "lol">']
    for i in range(1, levels + 1):
        entities.append(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">')
    return (
        '<?xml version="1.0"?><!DOCTYPE rdf:RDF [' + "".join(entities) + "]>"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/b">'
        f"<ex:p>&lol{levels};</ex:p></rdf:Description></rdf:RDF>"
    ).encode()


def test_xml_entities_in_rdf_xml_uploads_are_refused(target):
    """Billion laughs took a worker to 14 GB before entity declarations were refused; external
    entities (a file, the canary) are never resolved."""
    before = fingerprint(target.url)
    with canary() as listener:
        external = (
            '<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY file SYSTEM "file:///etc/passwd">'
            f'<!ENTITY net SYSTEM "{listener.url}/xxe">]>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/a">'
            "<ex:p>&file;</ex:p><ex:q>&net;</ex:q></rdf:Description></rdf:RDF>"
        ).encode()
        parameter = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "' + (
            listener.url.encode() + b'/dtd">%p;]><r/>'
        )
        for body in (billion_laughs(), external, parameter):
            started = time.monotonic()
            status, _, answer = call(
                target.url,
                "PUT",
                "/store?graph=urn:x-test:xml",
                body,
                ALICE,
                "application/rdf+xml",
                timeout=30,
            )
            assert status == 400, answer
            assert b"ENTITY" in answer
            assert time.monotonic() - started < 5
        assert listener.hits == []
    assert b"root:" not in answer
    assert fingerprint(target.url) == before


def test_remote_json_ld_contexts_are_not_fetched(target):
    before = fingerprint(target.url)
    with canary() as listener:
        document = {"@context": listener.url + "/context.jsonld", "@id": "http://example.org/c"}
        status, _, answer = call(
            target.url,
            "PUT",
            "/store?graph=urn:x-test:jsonld",
            json.dumps(document),
            ALICE,
            "application/ld+json",
        )
        assert status == 400, answer
        assert listener.hits == []
    assert fingerprint(target.url) == before


# -- property-based fuzzing -------------------------------------------------------------------

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
    database=None,
)
SPARQL_FRAGMENTS = [
    "SELECT", "*", "WHERE", "{", "}", "?s", "?p", "?o", ".", ";", ",", "ASK", "CONSTRUCT",
    "DESCRIBE", "FILTER", "(", ")", 'REGEX(?o, "(a+)+$")', "SERVICE", "SERVICE SILENT",
    "<CANARY/sparql>", "<file:///etc/passwd>", "FROM", "FROM NAMED", "GRAPH", "LOAD", "INTO",
    "INSERT", "DATA", "DELETE", "CLEAR ALL", "DROP", "OPTIONAL", "UNION", "MINUS", "LIMIT 5",
    "OFFSET 1", '"x"', "'''", '"""', "#", "\n", "PREFIX x: <http://x/>", "x:y", "BIND", "AS",
    "COUNT(*)", "GROUP BY", "ORDER BY", "VALUES", "\\u0000", "\u202e", "\ud7ff", "<>", "a",
    "BASE <CANARY/>", "<sparql>", "<../../etc/passwd>", "?s ?p ?o", "SELECT * WHERE {",
    "} UNION {", "} ; DROP ALL ; #", "1e999", "-0", "STR(", "IRI(", "<http://[::1]:1/>",
]  # fmt: skip
sparql_text = st.lists(
    st.sampled_from(SPARQL_FRAGMENTS) | st.text(max_size=8), min_size=1, max_size=30
).map(" ".join)


@pytest.fixture(scope="module")
def listener():
    with canary() as running:
        yield running


def assert_no_server_error(status, body, what=""):
    if status == 503 and b"time limit" in body:
        return  # the answer for a query that ran into its limit
    assert status < 500, (what, status, body[:500])
    assert b"root:x:0:0" not in body, what


def test_fuzz_queries_without_a_token(target, listener):
    """Random and adversarial SPARQL by GET, form POST and direct POST, queries and updates,
    without a token: never 5xx, never a change, never a request to the canary."""
    before = fingerprint(target.url)

    @FUZZ
    @given(text=sparql_text, how=st.sampled_from(["get", "form", "direct", "update"]))
    def check(text, how):
        text = text.replace("CANARY", listener.url)
        if how == "get":
            path = "/sparql?" + urlencode({"query": text, "timeout": "2"}, errors="surrogatepass")
            status, _, body = call(target.url, "GET", path)
        elif how == "form":
            body = urlencode({"query": text, "timeout": "2"}, errors="surrogatepass")
            status, _, body = call(
                target.url, "POST", "/sparql", body, None, "application/x-www-form-urlencoded"
            )
        elif how == "direct":
            status, _, body = call(
                target.url, "POST", "/sparql?timeout=2", text, None, "application/sparql-query"
            )
        else:
            status, _, body = call(
                target.url, "POST", "/sparql", text, None, "application/sparql-update"
            )
            assert status in (400, 401, 413), (status, body)
        assert_no_server_error(status, body, text)

    check()
    assert listener.hits == []
    assert fingerprint(target.url) == before


def test_fuzz_updates_with_a_token_never_reach_out(target, listener):
    """With a valid token, random updates may change data, but never fail with 5xx, never
    fetch (LOAD, SERVICE to the canary or to files) and never read a local file."""

    @FUZZ
    @given(
        text=sparql_text,
        prefix=st.sampled_from(
            ["", "LOAD <CANARY/data.ttl> ; ", "LOAD SILENT <file:///etc/passwd> ; ",
             "INSERT { ?s ?p ?o } WHERE { SERVICE <CANARY/sparql> { ?s ?p ?o } } ; ",
             "INSERT DATA { GRAPH <urn:x-test:fuzz> { <urn:x-test:a> <urn:x-test:b> 1 } } ; "]
        ),
    )  # fmt: skip
    def check(text, prefix):
        update = (prefix + text).replace("CANARY", listener.url)
        status, _, body = call(
            target.url, "POST", "/sparql", update, ALICE, "application/sparql-update"
        )
        assert_no_server_error(status, body, update)

    check()
    assert listener.hits == []


turtle_text = st.lists(
    st.sampled_from(
        ["@prefix ex: <http://example.org/> .", "ex:a", "ex:b", "ex:c", ".", ";", ",", "[", "]",
         "(", ")", '"x"', '"""', "@en", "^^<http://www.w3.org/2001/XMLSchema#int>", "<>",
         "<file:///etc/passwd>", "<CANARY/x>", "@base <CANARY/> .", "_:b", "a", "1.5e3",
         "<https://w3id.org/hairkg/ontology> <http://www.w3.org/2002/07/owl#imports>",
         "\\u0000", "\n", "#"]
    ) | st.text(max_size=6),
    min_size=1,
    max_size=25,
).map(" ".join)  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
entity_documents = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=20) | st.sampled_from(["../../etc/passwd", "a b", "alopecia"]),
        "types": st.lists(st.sampled_from(["hk:Treatment", "hk:Nope", "x", ""]), max_size=2),
        "label": st.text(max_size=30),
        "definition": st.text(max_size=60),
        "definitionSource": st.lists(st.text(max_size=12), max_size=2),
        "synonyms": json_values,
        "relations": st.dictionaries(
            st.sampled_from(["hk:treats", "skos:broader", "owl:imports", "x"]),
            st.lists(st.text(max_size=12) | st.just("<CANARY/x>"), max_size=2),
        ),
        "message": st.text(max_size=20),
    },
)


def test_fuzz_writes_without_a_valid_token_change_nothing(target, listener):
    """Turtle to /store, JSON to the editor API, with no token, a wrong one and a read-only
    one: 401/403 every time, before the body is even looked at."""
    before = fingerprint(target.url)

    @FUZZ
    @given(
        turtle=turtle_text,
        document=entity_documents | json_values,
        auth=st.sampled_from(
            [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic YTpi"},
             {"Authorization": "Bearer "}, {"Authorization": "Bearer reader-secret"},
             {"Authorization": "bearer alice-secret\x00"}]
        ),
        method=st.sampled_from(["PUT", "POST", "DELETE"]),
    )  # fmt: skip
    def check(turtle, document, auth, method):
        turtle = turtle.replace("CANARY", listener.url)
        status, _, body = call(
            target.url, method, "/store?graph=urn:x-test:fuzz", turtle, auth, "text/turtle"
        )
        # 400: gunicorn refuses a header with a NUL before the application sees it
        assert status in (400, 401, 403), (status, body)
        for path in ("/api/v1/edit/entities", "/api/v1/edit/articles",
                     "/api/v1/edit/entities/alopecia/deprecate"):  # fmt: skip
            status, _, body = call(target.url, "POST", path, json.dumps(document), auth,
                                   "application/json")  # fmt: skip
            assert status in (400, 401, 403), (path, status, body)

    check()
    assert listener.hits == []
    assert fingerprint(target.url) == before


def test_fuzz_writes_with_a_token_are_never_5xx(target, listener):
    @FUZZ
    @given(turtle=turtle_text, document=entity_documents, fmt=st.sampled_from(
        ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml",
         "text/n3", "application/x-unknown"]))  # fmt: skip
    def check(turtle, document, fmt):
        turtle = turtle.replace("CANARY", listener.url)
        status, _, body = call(
            target.url, "POST", "/store?graph=urn:x-test:fuzz", turtle, ALICE, fmt
        )
        assert_no_server_error(status, body, turtle)
        document = json.loads(json.dumps(document).replace("CANARY", listener.url))
        status, _, body = call(target.url, "POST", "/api/v1/edit/entities", document, ALICE)
        assert_no_server_error(status, body, document)

    check()
    assert listener.hits == []


api_paths = st.sampled_from(
    ["/api/v1/search", "/api/v1/entities/{x}", "/api/v1/related", "/api/v1/articles",
     "/api/v1/articles/{x}/related", "/api/v1/conditions/{x}/treatments", "/id/{x}",
     "/api/v1/history", "/api/v1/history/{x}", "/store", "/store/{x}", "/ontology.{x}",
     "/api/v1/edit/entities/{x}", "/sparql", "/query", "/.well-known/void.{x}"]
)  # fmt: skip
params = st.dictionaries(
    st.sampled_from(["q", "type", "limit", "offset", "url", "format", "graph", "default",
                     "query", "timeout", "article", "id", "lang"]) | st.text(max_size=5),
    st.text(max_size=40) | st.sampled_from(
        ["../../etc/passwd", "%00", "-1", "99999999999", "1e9", "<script>", "\"} UNION {",
         "file:///etc/passwd", "http://127.0.0.1:1/"]
    ),
    max_size=4,
)  # fmt: skip
ids = st.text(max_size=30) | st.sampled_from(
    ["..", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "%00", "a/../../b",
     "alopecia", "alopecia\"} ; DROP ALL", "<http://x/>", "~root"]
)  # fmt: skip


def test_fuzz_read_endpoints_query_strings_ids_and_headers(target, listener):
    """GET with random paths, ids (traversal, injection), query strings and headers (huge,
    control characters, Latin-1 and invalid UTF-8 bytes): never 5xx, never a file."""
    before = fingerprint(target.url)

    @FUZZ
    @given(
        path=api_paths,
        identifier=ids,
        query=params,
        header=st.binary(max_size=300),
        accept=st.sampled_from(["*/*", "text/html", "application/json;q=x", "\x7f", "a" * 5000,
                                "text/turtle, application/ld+json;q=0.1"]),
    )  # fmt: skip
    def check(path, identifier, query, header, accept):
        target_path = path.replace("{x}", quote(identifier, safe="%/"))
        if query:
            target_path += "?" + urlencode(query, errors="surrogatepass")
        header = header.replace(b"\r", b"").replace(b"\n", b"")
        payload = (
            b"GET " + target_path.encode("utf-8", "surrogatepass").replace(b" ", b"%20")
            + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAccept: "
            + accept.encode("latin-1", "replace")
            + b"\r\nX-Fuzz: " + header + b"\r\nX-Request-Id: " + header[:200] + b"\r\n\r\n"
        )  # fmt: skip
        status, answer = raw_request(target.url, payload)
        assert 200 <= status < 500, (payload[:300], answer[:300])
        assert b"root:x:0:0" not in answer

    check()
    assert listener.hits == []
    assert fingerprint(target.url) == before


def test_fuzz_the_cli(tmp_path):
    """`hairkg validate` on random Turtle and `hairkg query` with random SPARQL, in process:
    an exit code and a message, never a traceback."""
    from api.cli import main

    @settings(max_examples=15, deadline=None, derandomize=True, database=None)
    @given(turtle=turtle_text, text=sparql_text)
    def check(turtle, text):
        path = tmp_path / "fuzz.ttl"
        path.write_text(turtle.replace("CANARY", "http://127.0.0.1:9"), encoding="utf-8",
                        errors="surrogatepass")  # fmt: skip
        for argv in (["validate", str(path)], ["query", text.replace("CANARY", "http://x")]):
            try:
                code = main(argv)
            except SystemExit as exit_:
                code = exit_.code
            assert code in (0, 1, 2, None), (argv, code)

    check()


def test_a_function_the_engine_does_not_know_is_a_client_error(target):
    """A call of an unknown extension function was answered 500 (the engine's evaluation
    error); it is the query's fault: 400 with the engine's message."""
    query = "SELECT ?x WHERE { BIND(<http://example.org/no-such-function>(1) AS ?x) }"
    status, _, body = call(target.url, "GET", "/sparql?" + urlencode({"query": query}))
    assert status == 400, body
    assert b"not supported" in body
