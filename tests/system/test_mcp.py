"""The MCP server with the SDK's own client, over both transports: stdio (a real
`hairkg mcp` process on a data dir holding the release) and Streamable HTTP (``/mcp`` on a
real `hairkg serve` with two workers).

Each transport runs one client session that makes every call below, good and bad, in order;
the tests then check the answers. Bad arguments must give ``isError`` results with a message
naming the problem, and the session must go on working after them (the last call is a good
one). Both servers run with a row cap of 5 so that the cap shows.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
from conftest import ROOT, release_engine, server_fixture
from helpers import fetch
from mcp import Client, StdioServerParameters

ROW_CAP = "5"
ENV = {"HAIRKG_ANONYMOUS_ROW_CAP": ROW_CAP}
ARTICLE_URL = "https://hairclinic.example/microneedling-for-hair-loss"
MINOXIDIL_TREATS = "SELECT ?c WHERE { kb:topical-minoxidil hk:treats ?c }"

# Billions of rows, streamed: stopped at the limit (closing the connection stops the engine).
CROSS_JOIN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

CALLS: dict[str, tuple[str, dict]] = {
    "search": ("search", {"query": "minoxidl"}),
    "search_article": ("search", {"query": "microneedling for hair loss", "type": "Article"}),
    "search_empty": ("search", {"query": "  "}),
    "search_bad_type": ("search", {"query": "minoxidil", "type": "Nope"}),
    "search_bad_limit": ("search", {"query": "minoxidil", "limit": 500}),
    "describe": ("describe", {"id": "microneedling"}),
    "describe_term": ("describe", {"id": "hk:Treatment"}),
    "describe_article": ("describe", {"id": "microneedling-for-hair-loss"}),
    "describe_unknown": ("describe", {"id": "minoxidl"}),
    "describe_bad_id": ("describe", {"id": "a b"}),
    "describe_missing": ("describe", {}),
    "related_url": ("related_articles", {"url_or_id": ARTICLE_URL}),
    "related_entity": ("related_articles", {"url_or_id": "microneedling"}),
    "related_unknown_url": ("related_articles", {"url_or_id": "https://nowhere.example/x"}),
    "sparql_select": ("sparql", {"query": MINOXIDIL_TREATS}),
    "sparql_capped": ("sparql", {"query": "SELECT ?s ?l WHERE { ?s rdfs:label ?l }"}),
    "sparql_ask": ("sparql", {"query": "ASK { kb:microneedling a hk:Procedure }"}),
    "sparql_construct": (
        "sparql",
        {"query": "CONSTRUCT { ?t hk:treats ?c } WHERE { ?t hk:treats ?c } LIMIT 3"},
    ),
    "sparql_unknown_property": (
        "sparql",
        {"query": "SELECT ?t WHERE { ?t hk:treatz kb:androgenetic-alopecia }"},
    ),
    "sparql_unknown_class": ("sparql", {"query": "SELECT ?t WHERE { ?t a hk:Treatmnt }"}),
    "sparql_unknown_entity": ("sparql", {"query": "SELECT ?p WHERE { kb:minoxidl ?p ?o }"}),
    "sparql_update": ("sparql", {"query": "INSERT DATA { kb:a rdfs:label 'x' }"}),
    "sparql_load": ("sparql", {"query": "LOAD <http://example.org/data.ttl>"}),
    "sparql_service": (
        "sparql",
        {"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"},
    ),
    "sparql_deep": ("sparql", {"query": "SELECT * WHERE " + "{" * 300 + "}" * 300}),
    "sparql_empty": ("sparql", {"query": ""}),
    "sparql_syntax": ("sparql", {"query": "SELEC ?x WHERE { ?x ?p ?o }"}),
    "sparql_bad_timeout": ("sparql", {"query": MINOXIDIL_TREATS, "timeout": 0}),
    "sparql_time_limit": ("sparql", {"query": CROSS_JOIN, "timeout": 0.001}),
    "schema": ("schema", {}),
    "unknown_tool": ("no_such_tool", {}),
    "after_errors": ("search", {"query": "finasteride"}),
}


async def _session(target) -> dict:
    answers: dict = {}
    async with Client(target, read_timeout_seconds=120) as client:
        answers["tools"] = (await client.list_tools()).tools
        answers["resources"] = (await client.list_resources()).resources
        for uri in ("hairkg://ontology", "hairkg://void"):
            answers[uri] = (await client.read_resource(uri)).contents[0].text
        for key, (tool, arguments) in CALLS.items():
            answers[key] = await client.call_tool(tool, arguments)
    return answers


@pytest.fixture(scope="module")
def stdio_target(tmp_path_factory, release_dir):
    """`hairkg mcp --data-dir D`, D holding the release (the command starts its own Oxigraph)."""
    data_dir = tmp_path_factory.mktemp("mcp-stdio")
    with release_engine(data_dir / "oxigraph", release_dir):
        pass  # the data dir now holds the release; the command opens it
    return StdioServerParameters(
        command=sys.executable,
        args=["-m", "api.cli", "mcp", "--data-dir", str(data_dir), "--quiet"],
        cwd=str(ROOT),
        env={**os.environ, **ENV},
    )


mcp_server = server_fixture("mcp", env=ENV)


@pytest.fixture(scope="module", params=["stdio", "http"])
def answers(request) -> dict:
    if request.param == "stdio":
        target = request.getfixturevalue("stdio_target")
    else:
        target = request.getfixturevalue("mcp_server").url + "/mcp"
    return asyncio.run(_session(target))


def body(result) -> dict:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def error(result) -> str:
    assert result.is_error, result.content
    return result.content[0].text


def test_lists_the_read_only_tools_and_the_resources(answers):
    tools = {tool.name: tool for tool in answers["tools"]}
    assert set(tools) == {"search", "describe", "related_articles", "sparql", "schema"}
    assert all(tool.annotations.read_only_hint for tool in tools.values())
    assert {str(r.uri) for r in answers["resources"]} == {"hairkg://ontology", "hairkg://void"}


def test_resources_are_the_ontology_and_the_void_description(answers):
    assert "hk:Treatment" in answers["hairkg://ontology"]
    assert "owl:Class" in answers["hairkg://ontology"]
    void = answers["hairkg://void"]
    assert "void:Dataset" in void or "rdfs.org/ns/void#Dataset" in void
    assert "/sparql" in void


def test_search_is_typo_tolerant_and_cites_iris(answers):
    items = body(answers["search"])["items"]
    ids = [item["id"] for item in items]
    assert "topical-minoxidil" in ids
    assert all(item["iri"].startswith("https://w3id.org/hairkg/") for item in items)
    articles = body(answers["search_article"])["items"]
    assert articles[0]["id"] == "microneedling-for-hair-loss"
    assert articles[0]["url"] == ARTICLE_URL


def test_search_refuses_bad_arguments(answers):
    assert "'query' is empty" in error(answers["search_empty"])
    message = error(answers["search_bad_type"])
    assert "Unknown type 'Nope'" in message and "Treatment" in message
    assert "between 1 and 50" in error(answers["search_bad_limit"])


def test_describe_marks_every_claim_so_corrections_are_never_repeated_as_fact(answers):
    card = body(answers["describe"])
    assert card["iri"] == "https://w3id.org/hairkg/id/microneedling"
    assert "never repeat" in card["note"]
    claims = card["sources"]
    assert claims, "microneedling has claims"
    statuses = {claim["status"] for claim in claims}
    assert {"Supported", "Corrected"} <= statuses
    for claim in claims:
        assert claim["iri"].startswith("https://w3id.org/hairkg/id/")
        expected = {"Supported": "SUPPORTED", "Corrected": "CORRECTED", "Disputed": "DISPUTED"}
        assert claim["readAs"].startswith(expected.get(claim["status"], "UNVERIFIED"))
        if claim["status"] != "Supported":
            assert "Do not" in claim["readAs"]
    assert card["corrections"]


def test_describe_reads_terms_and_articles(answers):
    term = body(answers["describe_term"])
    assert term["iri"] == "https://w3id.org/hairkg/ontology#Treatment"
    article = body(answers["describe_article"])
    assert article["type"] == "Article" and article["url"] == ARTICLE_URL
    assert all("readAs" in claim for claim in article["claims"])
    assert any(claim["readAs"].startswith("CORRECTED") for claim in article["claims"])


def test_describe_refuses_unknown_and_malformed_ids(answers):
    message = error(answers["describe_unknown"])
    assert "No entity 'minoxidl'" in message and "topical-minoxidil" in message
    assert "is not an id" in error(answers["describe_bad_id"])
    assert "id" in error(answers["describe_missing"])


def test_related_articles_by_url_and_by_entity(answers):
    related = body(answers["related_url"])
    assert related["article"]["url"] == ARTICLE_URL
    assert related["items"] and all(item["reasons"] for item in related["items"])
    about = body(answers["related_entity"])
    assert about["entity"]["iri"] == "https://w3id.org/hairkg/id/microneedling"
    assert any(item["url"] == ARTICLE_URL for item in about["items"])
    assert "No article with the URL" in error(answers["related_unknown_url"])


def test_sparql_answers_with_iris_and_the_row_cap(answers):
    select = body(answers["sparql_select"])
    conditions = [row["c"]["value"] for row in select["bindings"]]
    assert "https://w3id.org/hairkg/id/androgenetic-alopecia" in conditions
    capped = body(answers["sparql_capped"])
    assert capped["truncatedAt"] == int(ROW_CAP) and len(capped["bindings"]) == int(ROW_CAP)
    assert body(answers["sparql_ask"]) == {"form": "ASK", "boolean": True}
    construct = body(answers["sparql_construct"])
    assert construct["form"] == "CONSTRUCT" and "hk:treats" in construct["turtle"]


def test_sparql_names_unknown_terms_with_close_matches(answers):
    message = error(answers["sparql_unknown_property"])
    assert "hk:treatz is not a class or property" in message and "hk:treats" in message
    assert "hk:Treatment" in error(answers["sparql_unknown_class"])
    message = error(answers["sparql_unknown_entity"])
    assert "kb:minoxidl is not an entity" in message and "topical-minoxidil" in message


def test_sparql_refuses_what_sparql_endpoint_refuses(answers):
    assert "read-only" in error(answers["sparql_update"])
    assert "(LOAD)" in error(answers["sparql_load"])
    assert "SERVICE calls to other endpoints are refused" in error(answers["sparql_service"])
    assert "nesting depth 300 exceeds the limit" in error(answers["sparql_deep"])
    assert "empty" in error(answers["sparql_empty"])
    assert "SPARQL syntax error" in error(answers["sparql_syntax"])
    assert "'timeout' must be" in error(answers["sparql_bad_timeout"])
    assert "exceeded the time limit of 0.001 s" in error(answers["sparql_time_limit"])


def test_schema_lists_classes_properties_and_the_competency_questions(answers):
    schema = body(answers["schema"])
    classes = {c["id"]: c for c in schema["classes"]}
    properties = {p["id"]: p for p in schema["properties"]}
    assert "hk:Treatment" in classes
    treats = properties["hk:treats"]
    assert treats["label"] and treats["domain"] and treats["range"]
    questions = sorted(Path(ROOT, "kb", "queries").glob("*.rq"))
    assert len(schema["exampleQueries"]) == len(questions)
    assert schema["prefixes"]["hk"] == "https://w3id.org/hairkg/ontology#"


def test_the_session_survives_bad_calls(answers):
    assert answers["unknown_tool"].is_error
    assert body(answers["after_errors"])["items"]


def test_http_answers_concurrent_sessions_on_any_worker(mcp_server):
    """Stateless: sessions spread over the two workers all succeed, with the protocol's
    current discovery and with the older initialize handshake."""

    async def one(mode: str) -> list[str]:
        # "legacy": the initialize handshake of protocol versions before 2026-07-28
        async with Client(mcp_server.url + "/mcp", read_timeout_seconds=60, mode=mode) as client:
            result = await client.call_tool("search", {"query": "minoxidil"})
            return [item["id"] for item in body(result)["items"]]

    async def many() -> list[list[str]]:
        return await asyncio.gather(*(one(mode) for mode in ["auto", "legacy"] * 4))

    found = asyncio.run(many())
    assert len(found) == 8 and all("topical-minoxidil" in ids for ids in found)


def test_http_get_is_refused_with_a_message(mcp_server):
    status, headers, payload = fetch(mcp_server.url + "/mcp")
    assert status == 405 and headers["Allow"] == "POST"
    assert "stateless" in json.loads(payload)["detail"]
