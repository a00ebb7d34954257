"""kb.store.checks: the checks a client's query passes before the engine (shared by /sparql
and the MCP sparql tool), and the IRIs a query names, resolved as the engine would."""

from __future__ import annotations

import pytest

from kb.store.checks import QueryRefused, check_query, named_iris

BASE = "https://service.example/sparql"
HK = "https://w3id.org/hairkg/ontology#"


def check(query: str, **overrides):
    options = {"max_length": 1000, "service_allowlist": (), "base": BASE, **overrides}
    return check_query(query, **options)


@pytest.mark.parametrize(
    ("query", "status", "reason"),
    [
        ("  ", 400, "empty"),
        ("SELECT * WHERE { ?s ?p ?o }" + " " * 1000, 413, "length"),
        ("SELECT * WHERE " + "{" * 200 + "}" * 200, 400, "shape"),
        ("SELECT * WHERE { SERVICE <http://x.example/> { ?s ?p ?o } }", 403, "service"),
        ("DELETE WHERE { ?s ?p ?o }", 400, "update"),
    ],
)
def test_refusals_carry_status_and_reason(query, status, reason):
    with pytest.raises(QueryRefused) as refused:
        check(query)
    assert (refused.value.status, refused.value.reason) == (status, reason)
    assert refused.value.message


def test_a_length_refusal_can_be_414_for_gets():
    with pytest.raises(QueryRefused) as refused:
        check("ASK {}" + " " * 1000, too_long_status=414)
    assert refused.value.status == 414


def test_an_allow_listed_service_passes_and_from_clauses_become_the_dataset():
    checked = check(
        "SELECT * FROM <g1> FROM NAMED <https://g.example/2> WHERE "
        "{ SERVICE <http://x.example/> { ?s ?p ?o } }",
        service_allowlist=("http://x.example/",),
    )
    assert checked.form == "SELECT"
    assert checked.default_graphs == ["https://service.example/g1"]
    assert checked.named_graphs == ["https://g.example/2"]


def test_named_iris_resolve_prefixes_and_keep_a_hash_namespace():
    query = (
        f"PREFIX hk: <{HK}>\nBASE <https://other.example/>\n"
        "SELECT ?t WHERE { ?t hk:treats <rel> ; a <http://x.example/C> ; undeclared:x ?o }"
    )
    assert named_iris(query, BASE) == [
        ("hk:treats", HK + "treats"),
        ("<rel>", "https://other.example/rel"),
        ("<http://x.example/C>", "http://x.example/C"),
    ]
