"""Standard SPARQL clients against /sparql, unchanged: SPARQLWrapper and rdflib's SPARQLStore.

SPARQLWrapper sends its own Accept headers and ``format``/``output``/``results`` parameters
(``format=tsv&format=text/tab-separated-values`` and the like); the endpoint must answer
each return format, by every request method, in a form the client converts without warnings.
"""

from __future__ import annotations

import warnings

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from kb.rdf import KB_GRAPH

SELECT = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s LIMIT 4"
)
ASK = "ASK { ?s ?p ?o }"
CONSTRUCT = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "CONSTRUCT { ?s rdfs:label ?label } WHERE { ?s rdfs:label ?label } LIMIT 4"
)
DESCRIBE = "DESCRIBE ?s WHERE { ?s ?p ?o } LIMIT 1"

# (method, request method): GET, POST form, POST with the query as the body.
METHODS = [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]
METHOD_IDS = ["get", "post-form", "post-direct"]


def wrapper(base_url, query, return_format, method, request_method) -> SPARQLWrapper:
    sparql = SPARQLWrapper(base_url + "/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(return_format)
    sparql.setMethod(method)
    sparql.setRequestMethod(request_method)
    sparql.setTimeout(30)
    return sparql


def run(sparql: SPARQLWrapper):
    """Query and convert, failing on any client warning (e.g. an unexpected content type)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = sparql.query()
        return result, result.convert()


@pytest.mark.parametrize(("method", "request_method"), METHODS, ids=METHOD_IDS)
def test_select_json(base_url, method, request_method):
    _result, data = run(wrapper(base_url, SELECT, JSON, method, request_method))
    assert data["head"]["vars"] == ["s", "label"]
    assert len(data["results"]["bindings"]) == 4


@pytest.mark.parametrize(("method", "request_method"), METHODS, ids=METHOD_IDS)
def test_select_xml(base_url, method, request_method):
    _, document = run(wrapper(base_url, SELECT, XML, method, request_method))
    results = document.getElementsByTagName("result")
    assert len(results) == 4


@pytest.mark.parametrize(("method", "request_method"), METHODS, ids=METHOD_IDS)
@pytest.mark.parametrize(("fmt", "separator"), [(CSV, ","), (TSV, "\t")], ids=["csv", "tsv"])
def test_select_csv_tsv(base_url, method, request_method, fmt, separator):
    _, data = run(wrapper(base_url, SELECT, fmt, method, request_method))
    lines = data.decode().strip().splitlines()
    assert len(lines) == 5
    assert lines[0].replace("?", "").split(separator) == ["s", "label"]


@pytest.mark.parametrize(("method", "request_method"), METHODS, ids=METHOD_IDS)
@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask(base_url, method, request_method, fmt):
    _, data = run(wrapper(base_url, ASK, fmt, method, request_method))
    if fmt == JSON:
        assert data["boolean"] is True
    else:
        assert data.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize(("method", "request_method"), METHODS, ids=METHOD_IDS)
@pytest.mark.parametrize(
    ("fmt", "rdflib_format"),
    [(TURTLE, "turtle"), (N3, "turtle"), (JSONLD, None), (RDFXML, None), (XML, None)],
    ids=["turtle", "n3", "jsonld", "rdfxml", "xml"],
)
def test_construct_every_graph_format(base_url, method, request_method, fmt, rdflib_format):
    _result, data = run(wrapper(base_url, CONSTRUCT, fmt, method, request_method))
    # SPARQLWrapper returns Turtle/N3 as bytes, and parses RDF/XML and JSON-LD itself.
    graph = rdflib.Graph().parse(data=data, format=rdflib_format) if rdflib_format else data
    assert isinstance(graph, rdflib.Graph)
    assert len(graph) == 4


def test_construct_ntriples_by_accept(base_url):
    sparql = wrapper(base_url, CONSTRUCT, TURTLE, GET, URLENCODED)
    sparql.setOnlyConneg(True)
    sparql.addCustomHttpHeader("Accept", "application/n-triples")
    result = sparql.query()
    assert result.info()["content-type"].startswith("application/n-triples")
    graph = rdflib.Graph().parse(data=result.response.read(), format="nt")
    assert len(graph) == 4


def test_describe(base_url):
    _, graph = run(wrapper(base_url, DESCRIBE, RDFXML, GET, URLENCODED))
    assert len(graph) > 0


def test_dataset_through_sparqlwrapper(base_url):
    sparql = wrapper(
        base_url,
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        JSON,
        POST,
        URLENCODED,
    )
    sparql.addNamedGraph(str(KB_GRAPH))
    _, data = run(sparql)
    assert [b["g"]["value"] for b in data["results"]["bindings"]] == [str(KB_GRAPH)]


def test_error_reaches_the_client(base_url):
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    sparql = wrapper(base_url, "SELECT ?s WHERE { ?s ?p }", JSON, GET, URLENCODED)
    with pytest.raises(QueryBadFormed) as error:
        sparql.query()
    assert "syntax error" in str(error.value)


# -- rdflib's SPARQLStore: rdflib as a client of the endpoint ----------------------------


@pytest.fixture
def remote_graph(base_url):
    store = SPARQLStore(base_url + "/sparql", method="POST_FORM")
    graph = rdflib.Graph(store=store)
    yield graph
    graph.close()


def test_sparqlstore_select(remote_graph):
    rows = list(remote_graph.query(SELECT))
    assert len(rows) == 4
    assert all(isinstance(row.s, rdflib.URIRef) for row in rows)


def test_sparqlstore_ask_and_construct(remote_graph):
    assert remote_graph.query(ASK).askAnswer is True
    constructed = remote_graph.query(CONSTRUCT).graph
    assert len(constructed) == 4


def test_sparqlstore_triples_and_len(remote_graph):
    label = rdflib.RDFS.label
    triples = list(remote_graph.triples((None, label, None)))
    assert triples
    subject, _, value = triples[0]
    assert (subject, label, value) in remote_graph


def test_sparqlstore_get(base_url):
    store = SPARQLStore(base_url + "/sparql", method="GET", returnFormat="json")
    graph = rdflib.Graph(store=store)
    assert len(list(graph.query(SELECT))) == 4
    graph.close()
