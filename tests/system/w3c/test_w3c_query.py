"""The W3C SPARQL 1.1 query evaluation, syntax and result-format suites, run through /sparql.

Every test of the manifests included by ``manifest-sparql11-query.ttl`` and
``manifest-sparql11-results.ttl`` is one pytest case, executed over HTTP against a live
hairkg server (``w3c_server``): the query goes to ``/sparql`` with the test's dataset as
``default-graph-uri`` / ``named-graph-uri`` (unless the query has its own FROM), in the format
of the expected result file, and the answer is compared with blank-node renaming (and order
only under ORDER BY). Known deviations are xfail with their reason (``expected_failures``),
listed in docs/sparql.md.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

import compare
import manifests
import pyoxigraph as ox
import pytest
from expected_failures import EXPECTED_FAILURES
from w3c_server import w3c_server  # noqa: F401  (the fixture)

from kb.store.guard import tokenize

TESTS = [t for t in manifests.query_tests() if t.approval != "Withdrawn"]

ACCEPT = {
    ".srx": "application/sparql-results+xml",
    ".srj": "application/sparql-results+json",
    ".tsv": "text/tab-separated-values",
    ".csv": "text/csv",
}


def post_query(base_url: str, query: str, *, accept: str, dataset: list[tuple[str, str]]):
    fields = [("query", query), *dataset]
    request = urllib.request.Request(
        base_url + "/sparql",
        data=urllib.parse.urlencode(fields).encode(),
        headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def has_dataset_clause(query: str) -> bool:
    return any(t.kind == "keyword" and t.text == "FROM" for t in tokenize(query))


def is_ordered(query: str) -> bool:
    """ORDER BY among the solution modifiers of the outer query (after its last '}')."""
    tokens = tokenize(query)
    last_brace = max((i for i, t in enumerate(tokens) if t.text == "}"), default=-1)
    return any(t.kind == "keyword" and t.text == "ORDER" for t in tokens[last_brace + 1 :])


def dataset_for(test: manifests.QueryTest, query: str) -> list[tuple[str, str]]:
    if has_dataset_clause(query):
        return []
    defaults = test.data or [manifests.EMPTY_GRAPH]
    return [("default-graph-uri", g) for g in defaults] + [
        ("named-graph-uri", g) for g in test.graph_data
    ]


def run_test(test: manifests.QueryTest, base_url: str) -> None:
    text = test.query.read_bytes().decode("utf-8-sig")
    # The query's relative IRIs resolve against its file, as the data files' did.
    query = f"BASE <{manifests.file_iri(test.query)}> {text}"
    dataset = dataset_for(test, text)

    if test.kind in ("PositiveSyntaxTest11", "NegativeSyntaxTest11"):
        status, _, body = post_query(
            base_url,
            query,
            accept="*/*",
            dataset=dataset or [("default-graph-uri", manifests.EMPTY_GRAPH)],
        )
        if test.kind == "PositiveSyntaxTest11":
            assert status == 200, f"valid query refused ({status}): {body.decode()[:500]}"
        else:
            assert status == 400, f"invalid query answered {status}: {body.decode()[:300]}"
        return

    result = test.result
    assert result is not None, "evaluation test without a result file"
    graph_result = result.suffix in (".ttl", ".rdf", ".nt") and not compare.is_result_set_graph(
        result
    )
    if graph_result:
        accept = "application/n-triples"
    elif result.suffix in ACCEPT:
        accept = ACCEPT[result.suffix]
    else:
        accept = "application/sparql-results+json"
    status, content_type, body = post_query(base_url, query, accept=accept, dataset=dataset)
    assert status == 200, f"query failed ({status}): {body.decode(errors='replace')[:800]}"
    assert content_type.split(";")[0] == accept, content_type

    if graph_result:
        fmt = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES}.get(
            result.suffix, ox.RdfFormat.RDF_XML
        )
        expected = compare.graph_rows(result.read_bytes(), fmt, manifests.file_iri(result))
        actual = compare.graph_rows(body, ox.RdfFormat.N_TRIPLES)
        assert compare.rows_match(expected, actual, ordered=False), (
            f"graphs differ:\nexpected {len(expected)} triples:\n"
            + "\n".join(map(str, expected[:30]))
            + f"\ngot {len(actual)} triples:\n"
            + "\n".join(map(str, actual[:30]))
        )
        return

    if compare.is_result_set_graph(result):
        expected = compare.parse_result_set_graph(result)
        actual = compare.parse_solutions(body, ".srj")
    else:
        expected = compare.parse_solutions(result.read_bytes(), result.suffix)
        actual = compare.parse_solutions(body, result.suffix)
    problem = compare.solutions_match(expected, actual, ordered=is_ordered(text))
    assert problem is None, problem


@pytest.mark.parametrize("test", TESTS, ids=[t.id for t in TESTS])
def test_w3c_query(test, w3c_server, request):  # noqa: F811
    reason = EXPECTED_FAILURES.get(test.id)
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    run_test(test, w3c_server.url)
