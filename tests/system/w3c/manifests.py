"""Reading the W3C SPARQL 1.1 test manifests (Turtle, ``mf:``/``qt:``/``ht:`` vocabularies).

Each query evaluation test names a query file, the files of its dataset (``qt:data`` for the
default graph, ``qt:graphData`` for named graphs) and the expected result. Data files become
named graphs of one store, each named by the file's IRI, so a test selects its dataset with the
protocol's ``default-graph-uri`` / ``named-graph-uri`` (or its own FROM clauses).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import RDF, RDFS, Graph, Namespace, URIRef
from rdflib.collection import Collection


def _suite_dir() -> Path:
    """The W3C SPARQL 1.1 test suites: $HAIRKG_W3C_TESTS, else ``shared/`` beside the checkout
    (where CI puts it), else the workplace's copy."""
    if "HAIRKG_W3C_TESTS" in os.environ:
        return Path(os.environ["HAIRKG_W3C_TESTS"])
    beside = Path(__file__).resolve().parents[4] / "shared" / "w3c-sparql11-tests"
    return beside if beside.is_dir() else Path("/work/shared/w3c-sparql11-tests")


SUITE = _suite_dir()

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
DAWGT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-dawg#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")

# The graph named by this IRI never exists: a default-graph-uri naming it means "empty".
EMPTY_GRAPH = "urn:hairkg:w3c:empty-graph"


def file_iri(path: Path) -> str:
    return path.resolve().as_uri()


def iri_path(iri: str) -> Path:
    assert iri.startswith("file://"), iri
    from urllib.parse import unquote, urlparse

    return Path(unquote(urlparse(iri).path))


@dataclass
class QueryTest:
    id: str  # "<dir>/<name>", stable and readable in pytest ids and the docs
    iri: str
    kind: str  # QueryEvaluationTest, CSVResultFormatTest, PositiveSyntaxTest11, ...
    name: str
    approval: str
    query: Path
    data: list[str] = field(default_factory=list)  # file IRIs: the default graph
    graph_data: list[str] = field(default_factory=list)  # file IRIs: named graphs
    result: Path | None = None

    @property
    def data_files(self) -> list[str]:
        return [*self.data, *self.graph_data]


def _load(path: Path) -> Graph:
    graph = Graph()
    graph.parse(path, format="turtle", publicID=file_iri(path))
    return graph


def _entries(graph: Graph, manifest: URIRef) -> list:
    entries = graph.value(manifest, MF.entries)
    return list(Collection(graph, entries)) if entries is not None else []


TOP_MANIFESTS = ("manifest-sparql11-query.ttl", "manifest-sparql11-results.ttl")


def _included(suite: Path) -> list[str]:
    manifests = []
    for name in TOP_MANIFESTS:
        top_path = suite / name
        top = _load(top_path)
        included = top.value(URIRef(file_iri(top_path)), MF.include)
        manifests += [str(m) for m in Collection(top, included)]
    return manifests


def query_tests(suite: Path = SUITE) -> list[QueryTest]:
    """Every test of the manifests included by manifest-sparql11-query.ttl (query evaluation
    and syntax) and manifest-sparql11-results.ttl (CSV/TSV and JSON result formats)."""
    tests: list[QueryTest] = []
    for manifest_iri in _included(suite):
        manifest_path = iri_path(str(manifest_iri))
        graph = _load(manifest_path)
        directory = manifest_path.parent.name
        for entry in _entries(graph, URIRef(str(manifest_iri))):
            kind = str(graph.value(entry, RDF.type)).rsplit("#", 1)[-1]
            action = graph.value(entry, MF.action)
            if graph.value(action, QT.query) is not None:
                query = iri_path(str(graph.value(action, QT.query)))
                data = [str(o) for o in graph.objects(action, QT.data)]
                graph_data = [str(o) for o in graph.objects(action, QT.graphData)]
            else:  # syntax tests: the action is the query file itself
                query = iri_path(str(action))
                data, graph_data = [], []
            result = graph.value(entry, MF.result)
            approval = graph.value(entry, DAWGT.approval)
            tests.append(
                QueryTest(
                    id=f"{directory}/{str(entry).rsplit('#', 1)[-1]}",
                    iri=str(entry),
                    kind=kind,
                    name=str(graph.value(entry, MF.name) or ""),
                    approval=str(approval).rsplit("#", 1)[-1] if approval else "",
                    query=query,
                    data=sorted(data),
                    graph_data=sorted(graph_data),
                    result=iri_path(str(result)) if result is not None else None,
                )
            )
    return tests


@dataclass
class ProtocolRequest:
    method: str
    path: str  # with the manifest's /sparql/ prefix rewritten to /sparql
    headers: dict[str, str]
    body: bytes | None
    expected_status: list[str]  # e.g. ["2xx", "3xx"]
    expected_format: str | None  # boolean, tabular, RDF
    expected_boolean: bool | None


@dataclass
class ProtocolTest:
    id: str
    name: str
    requests: list[ProtocolRequest]
    graph_data: dict[str, str]  # graph name -> file IRI

    @property
    def is_update(self) -> bool:
        return "update" in self.id


def request_headers(graph: Graph, request) -> dict[str, str]:
    """The header fields of an HTTP-in-RDF request (``ht:headers``), name to value."""
    headers = {}
    header_list = graph.value(request, HT.headers)
    if header_list is not None:
        for header in Collection(graph, header_list):
            headers[str(graph.value(header, HT.fieldName))] = str(
                graph.value(header, HT.fieldValue)
            )
    return headers


def protocol_tests(suite: Path = SUITE) -> list[ProtocolTest]:
    path = suite / "protocol" / "manifest.ttl"
    graph = _load(path)
    tests = []
    for entry in _entries(graph, URIRef(file_iri(path))):
        connection = graph.value(entry, MF.action)
        requests = []
        for request in Collection(graph, graph.value(connection, HT.requests)):
            headers = request_headers(graph, request)
            body_node = graph.value(request, HT.body)
            body = None
            if body_node is not None:
                chars = str(graph.value(body_node, CNT.chars))
                content_type = headers.get("content-type", "")
                # The non-UTF-8 tests declare UTF-16: send what they declare.
                encoding = "utf-16" if "utf-16" in content_type.lower() else "utf-8"
                body = chars.encode(encoding)
            response = graph.value(request, HT.resp)
            statuses = sorted(
                str(s).rsplit("StatusCode", 1)[-1]
                for s in graph.objects(response, MF.expectedStatus)
            )
            expected_boolean = graph.value(response, MF.expectedBoolean)
            expected_format = graph.value(response, MF.expectedFormat)
            absolute = str(graph.value(request, HT.absolutePath))
            assert absolute.startswith("/sparql/"), absolute
            requests.append(
                ProtocolRequest(
                    method=str(graph.value(request, HT.methodName)),
                    path="/sparql" + absolute[len("/sparql/") :],
                    headers=headers,
                    body=body,
                    expected_status=statuses,
                    expected_format=str(expected_format) if expected_format else None,
                    expected_boolean=(
                        expected_boolean.toPython() if expected_boolean is not None else None
                    ),
                )
            )
        graph_data = {}
        for data in graph.objects(entry, UT.graphData):
            graph_data[str(graph.value(data, RDFS.label))] = str(graph.value(data, UT.graph))
        tests.append(
            ProtocolTest(
                id=str(entry).rsplit("#", 1)[-1],
                name=str(graph.value(entry, MF.name)),
                requests=requests,
                graph_data=graph_data,
            )
        )
    return tests
