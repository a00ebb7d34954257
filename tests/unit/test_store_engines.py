"""Store configuration (kb/store/engines.py): each engine's layout from ``--store-url`` and
``--store-kind``, the refusals a misconfiguration gets, and secrets kept out of reprs."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from requests_toolbelt.auth.guess import GuessAuth

from kb.settings import Settings
from kb.store.bulk import insert_updates
from kb.store.engines import ENGINES, StoreConfigError, endpoints_for, endpoints_of
from kb.store.errors import QueryTimeout, StoreUnavailable, store_error


def layout(url, **kwargs):
    e = endpoints_for(url, **kwargs)
    return e.engine.kind, e.query_url, e.update_url, e.graph_store_url


def test_a_base_url_without_a_path_is_oxigraph():
    assert layout("http://h:7878") == (
        "oxigraph",
        "http://h:7878/query",
        "http://h:7878/update",
        "http://h:7878/store",
    )
    assert layout("http://h:7878/")[1] == "http://h:7878/query"


def test_virtuoso_reads_anonymously_and_writes_signed_in():
    assert layout("http://h:8890/sparql", kind="virtuoso") == (
        "virtuoso",
        "http://h:8890/sparql",
        "http://h:8890/sparql",
        None,
    )
    signed_in = layout("http://h:8890", kind="virtuoso", user="u", password="p")
    assert signed_in == (
        "virtuoso",
        "http://h:8890/sparql",
        "http://h:8890/sparql-auth",
        "http://h:8890/sparql-graph-crud-auth",
    )


def test_fuseki_neptune_and_generic_layouts():
    assert layout("http://h:3030/ds", kind="fuseki")[1:] == (
        "http://h:3030/ds/query",
        "http://h:3030/ds/update",
        "http://h:3030/ds/data",
    )
    assert layout("http://h:3030/ds/query", kind="fuseki")[1] == "http://h:3030/ds/query"
    assert layout("https://n:8182", kind="neptune")[1:] == (
        "https://n:8182/sparql",
        "https://n:8182/sparql",
        "https://n:8182/sparql/gsp/",
    )
    # a URL with a path and no kind: generic, read-only unless told where updates go
    assert layout("http://h/sparql") == ("generic", "http://h/sparql", None, None)
    explicit = layout("http://h/sparql", update_url="http://h/up", graph_store_url="http://h/gs")
    assert explicit[2:] == ("http://h/up", "http://h/gs")


@pytest.mark.parametrize(
    ("url", "kwargs", "says"),
    [
        ("http://user:secret@h:8890/sparql", {}, "must not hold credentials"),
        ("ftp://h/sparql", {}, "http(s) URL"),
        ("http://h/sparql", {"kind": "blazegraph"}, "--store-kind must be one of"),
        ("http://h/sparql", {"user": "u"}, "HAIRKG_STORE_PASSWORD"),
        ("http://h/sparql", {"user": "u", "password": "p", "token": "t"}, "not both"),
        ("http://h:3030", {"kind": "fuseki"}, "names its dataset"),
    ],
)
def test_misconfigurations_are_refused_with_the_flag_to_fix(url, kwargs, says):
    with pytest.raises(StoreConfigError) as refused:
        endpoints_for(url, **kwargs)
    assert says in str(refused.value)
    assert "secret" not in str(refused.value)


def test_secrets_stay_out_of_reprs_and_pick_the_servers_scheme():
    settings = Settings.from_env(
        {"HAIRKG_STORE_PASSWORD": "pw-123456", "HAIRKG_STORE_TOKEN": ""},
        store_url="http://h:8890/sparql",
        store_kind="virtuoso",
        store_user="hairkg",
    )
    endpoints = endpoints_of(settings)
    assert "pw-123456" not in repr(settings)
    assert "pw-123456" not in repr(endpoints)
    assert isinstance(endpoints.auth(), GuessAuth)  # Basic or Digest, as the server asks
    token = endpoints_for("http://h/sparql", token="tok-987654").auth()
    assert "tok-987654" not in repr(token)


def test_engine_differences():
    virtuoso = ENGINES["virtuoso"]
    assert virtuoso.timeout_fields(2.5) == [("timeout", "2500")]
    assert ENGINES["fuseki"].timeout_fields(2.5) == [("timeout", "2")]
    assert ENGINES["oxigraph"].timeout_fields(2.5) == []
    body = (
        b'{"o": { "type": "bnode", "value": "nodeID://b10005" }, '
        b'"l": {"type": "literal", "value": "nodeID://b1"}}'
    )
    cleaned = virtuoso.standard_results(body)
    assert b'"value": "b10005"' in cleaned
    assert b'"value": "nodeID://b1"' in cleaned  # a literal is left as it is
    error = (
        "Virtuoso 37000 Error SP030: SPARQL compiler, line 1: syntax error at 'WHERE'\n\n"
        "SPARQL query:\ndefine sql:big-data-const 0 SELECT WHERE"
    )
    message, rejected = virtuoso.error_message(error)
    assert rejected and message.startswith("SP030: SPARQL compiler")
    assert "SPARQL query" not in message
    assert virtuoso.error_message("Virtuoso 42000 Error SR186: no permission")[1] is False


def test_fuseki_asks_whole_seconds_and_its_timed_out_answers_are_timeouts():
    """Fuseki reads ?timeout= as whole seconds (a fraction is ignored); a query it stopped is
    503 "Query timed out", or its results cut and followed by its "## Query cancelled" lines
    (with a 200 already sent, or a 503): as read from its source (``kb/store/engines.py``)."""
    fuseki = ENGINES["fuseki"]
    assert fuseki.timeout_fields(0.2) == [("timeout", "1")]  # never 0 (no limit), never "0.2"
    assert fuseki.timeout_fields(30) == [("timeout", "30")]
    urls = ("http://127.0.0.1:3030/ds/query",)
    stopped = store_error(503, b"Query timed out\n", "text/plain", fuseki, urls)
    assert isinstance(stopped, QueryTimeout) and stopped.status == 503
    cut = (
        b'{ "head": { "vars": [ "s" ] },\n  "results": { "bindings": [\n      { "s": { "type": '
        b'"uri" , "value": "https://example.org/a" } },\n'
        b"\n##  Query cancelled due to timeout during execution   ##\n"
        b"##  ****          Incomplete results           ****   ##\n"
    )
    assert fuseki.stopped_at_limit(cut[-200:])  # a 200 whose results were cut
    assert not ENGINES["generic"].stopped_at_limit(cut[-200:])  # Fuseki's words, its preset
    assert isinstance(store_error(503, cut, "application/json", fuseki, urls), QueryTimeout)
    assert not fuseki.stopped_at_limit(b'{"head": {"vars": []}, "boolean": true}')
    # another engine's 503 with those words is not taken for its time limit
    other = store_error(503, b"Query timed out\n", "text/plain", ENGINES["generic"], urls)
    assert isinstance(other, StoreUnavailable) and not isinstance(other, QueryTimeout)
    # Oxigraph's words are a timeout whatever the kind (a generic endpoint may be Oxigraph)
    assert ENGINES["generic"].stopped_at_limit(b"...The SPARQL operation has been cancelled")


def test_bulk_updates_keep_blank_nodes_in_one_operation():
    g = "https://example.org/g"
    a, b = ox.NamedNode("https://example.org/a"), ox.BlankNode("x")
    p = ox.NamedNode("https://example.org/p")
    triples = [ox.Triple(a, p, b), ox.Triple(b, p, ox.Literal("1"))] + [
        ox.Triple(ox.NamedNode(f"https://example.org/s{i}"), p, a) for i in range(3)
    ]
    texts = list(insert_updates(g, triples))
    assert texts[0].startswith("INSERT {") and texts[0].count("_:x") == 2
    assert all("_:" not in t for t in texts[1:]) and texts[1].startswith("INSERT DATA")
    store = ox.Store()
    for text in texts:
        store.update(text)
    assert len(store) == 5
