"""Result formats of ``/sparql``: what is offered, and re-serialising the engine's answer.

The store answers solutions as SPARQL JSON and graphs as N-Triples (``kb.store.client``). Both are
parsed with pyoxigraph and written again in the format the client negotiated, so every
format comes from one well-tested serialiser whatever engine sits behind the service.

Pass-through: when the engine is known to write standard results (the managed Oxigraph), an
answer already in the negotiated format is sent as the engine's bytes, unparsed: N-Triples for
graphs, SPARQL JSON for solutions when the row cap cannot apply (the body has no more ``{``
than the cap allows rows: every row is an object, so this bounds the row count).

Row cap: a SELECT answer longer than the cap is cut to its first ``cap`` rows, and the cut is
always signalled: the ``X-Hairkg-Truncated`` response header (set by the caller) and, inside
SPARQL JSON and XML, a ``link`` in the result head (``urn:hairkg:truncated:<cap>``). ``link``
is part of both result formats, so standard parsers accept it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyoxigraph as ox

from kb.store.client import GRAPH_NTRIPLES, SOLUTIONS_JSON, RawResult

SOLUTIONS = "solutions"  # SELECT and ASK
GRAPH = "graph"  # CONSTRUCT and DESCRIBE

TRUNCATED_LINK = "urn:hairkg:truncated:{cap}"


@dataclass(frozen=True)
class ResultFormat:
    media_type: str  # as offered in negotiation and sent in Content-Type
    kind: str
    serializer: ox.QueryResultsFormat | ox.RdfFormat

    @property
    def content_type(self) -> str:
        if self.media_type.startswith("text/"):
            return self.media_type + "; charset=utf-8"
        return self.media_type


_R, _G = ox.QueryResultsFormat, ox.RdfFormat

# In server preference order: the first one is the answer to "Accept: */*" or no Accept.
SOLUTION_FORMATS = [
    ResultFormat("application/sparql-results+json", SOLUTIONS, _R.JSON),
    ResultFormat("application/sparql-results+xml", SOLUTIONS, _R.XML),
    ResultFormat("text/csv", SOLUTIONS, _R.CSV),
    ResultFormat("text/tab-separated-values", SOLUTIONS, _R.TSV),
    # Generic types some clients send instead.
    ResultFormat("application/json", SOLUTIONS, _R.JSON),
    ResultFormat("application/xml", SOLUTIONS, _R.XML),
    ResultFormat("text/xml", SOLUTIONS, _R.XML),
]
GRAPH_FORMATS = [
    ResultFormat("text/turtle", GRAPH, _G.TURTLE),
    ResultFormat("application/n-triples", GRAPH, _G.N_TRIPLES),
    ResultFormat("application/ld+json", GRAPH, _G.JSON_LD),
    ResultFormat("application/rdf+xml", GRAPH, _G.RDF_XML),
    ResultFormat("application/n-quads", GRAPH, _G.N_QUADS),
    ResultFormat("application/trig", GRAPH, _G.TRIG),
    # Older or generic names still sent by clients (SPARQLWrapper, rdflib, curl users).
    ResultFormat("application/x-turtle", GRAPH, _G.TURTLE),
    ResultFormat("application/turtle", GRAPH, _G.TURTLE),
    ResultFormat("text/n3", GRAPH, _G.TURTLE),  # Turtle is a subset of N3
    ResultFormat("text/rdf+n3", GRAPH, _G.TURTLE),
    ResultFormat("application/n3", GRAPH, _G.TURTLE),
    ResultFormat("text/plain", GRAPH, _G.N_TRIPLES),
    ResultFormat("application/json", GRAPH, _G.JSON_LD),
    ResultFormat("application/x-json+ld", GRAPH, _G.JSON_LD),
    ResultFormat("application/xml", GRAPH, _G.RDF_XML),
]
FORMATS_BY_KIND = {SOLUTIONS: SOLUTION_FORMATS, GRAPH: GRAPH_FORMATS}

# Primary types, listed in 406 answers and in the service description.
PRIMARY_TYPES = {
    SOLUTIONS: [f.media_type for f in SOLUTION_FORMATS[:4]],
    GRAPH: [f.media_type for f in GRAPH_FORMATS[:6]],
}

# The `format` parameter: short names (ours, and those SPARQLWrapper sends in `format`),
# each naming the media type to use for solutions and for graphs. A media type is accepted too.
FORMAT_NAMES: dict[str, dict[str, str]] = {
    "json": {SOLUTIONS: "application/sparql-results+json", GRAPH: "application/ld+json"},
    "xml": {SOLUTIONS: "application/sparql-results+xml", GRAPH: "application/rdf+xml"},
    "csv": {SOLUTIONS: "text/csv"},
    "tsv": {SOLUTIONS: "text/tab-separated-values"},
    "ttl": {GRAPH: "text/turtle"},
    "turtle": {GRAPH: "text/turtle"},
    "n3": {GRAPH: "text/turtle"},
    "nt": {GRAPH: "application/n-triples"},
    "ntriples": {GRAPH: "application/n-triples"},
    "n-triples": {GRAPH: "application/n-triples"},
    "jsonld": {GRAPH: "application/ld+json"},
    "json-ld": {GRAPH: "application/ld+json"},
    "rdfxml": {GRAPH: "application/rdf+xml"},
    "rdf+xml": {GRAPH: "application/rdf+xml"},
    "rdf": {GRAPH: "application/rdf+xml"},
    "nq": {GRAPH: "application/n-quads"},
    "nquads": {GRAPH: "application/n-quads"},
    "trig": {GRAPH: "application/trig"},
}
for _format in SOLUTION_FORMATS + GRAPH_FORMATS:
    FORMAT_NAMES.setdefault(_format.media_type, {}).setdefault(_format.kind, _format.media_type)


class UnknownFormat(ValueError):
    pass


def formats_for_parameter(values: list[str]) -> dict[str, list[str]]:
    """The media types named by ``format`` parameter values, per kind of result.

    Several values are allowed when they agree (SPARQLWrapper sends ``format=tsv`` and
    ``format=text/tab-separated-values``); empty values are ignored.
    """
    chosen: dict[str, list[str]] = {SOLUTIONS: [], GRAPH: []}
    for value in values:
        if not value.strip():
            continue
        # A value may also be a list of media types, as in an Accept header (SPARQLWrapper
        # sends "format=application/ld+json,application/x-json+ld"): unknown types in such a
        # list are ignored as long as one is known.
        names = [part.split(";")[0].strip().lower() for part in value.split(",")]
        mappings = [FORMAT_NAMES[name] for name in names if name in FORMAT_NAMES]
        if not mappings:
            raise UnknownFormat(value)
        for mapping in mappings:
            for kind, media_type in mapping.items():
                if media_type not in chosen[kind]:
                    chosen[kind].append(media_type)
    return chosen


def format_for(kind: str, media_type: str) -> ResultFormat:
    return next(f for f in FORMATS_BY_KIND[kind] if f.media_type == media_type)


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    rows: int | None  # solutions returned (SELECT), None for ASK and graphs
    truncated_at: int | None  # the row cap, when rows were cut


def render(
    raw: RawResult,
    result_format: ResultFormat,
    *,
    row_cap: int | None = None,
    prefixes: dict[str, str] | None = None,
    verbatim: bool = False,
) -> Rendered:
    """The engine's answer re-serialised in ``result_format`` (of the matching kind); with
    ``verbatim``, as it came when it is already in that format and the row cap cannot apply."""
    if verbatim:
        if raw.content_type == GRAPH_NTRIPLES and result_format.serializer == _G.N_TRIPLES:
            return Rendered(raw.body, result_format.content_type, None, None)
        if (
            raw.content_type == SOLUTIONS_JSON
            and result_format.serializer == _R.JSON
            and (row_cap is None or raw.body.count(b"{") <= row_cap)
        ):
            return Rendered(raw.body, result_format.content_type, None, None)
    if raw.is_graph:
        return _render_graph(raw, result_format, prefixes or {})
    return _render_solutions(raw, result_format, row_cap)


def _render_graph(raw: RawResult, result_format: ResultFormat, prefixes) -> Rendered:
    triples = ox.parse(raw.body, ox.RdfFormat.N_TRIPLES)
    serializer = result_format.serializer
    if serializer.supports_datasets:
        items = (ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    else:
        items = triples
    kwargs = {"prefixes": prefixes} if serializer in (_G.TURTLE, _G.TRIG, _G.RDF_XML) else {}
    body = ox.serialize(items, format=serializer, **kwargs)
    return Rendered(body, result_format.content_type, None, None)


def _render_solutions(raw: RawResult, result_format: ResultFormat, row_cap) -> Rendered:
    document = json.loads(raw.body)
    head = document.get("head") or {}
    # Rebuilt with only the members the format defines: other engines add extras
    # (Virtuoso's "distinct"/"ordered") that strict parsers such as pyoxigraph's refuse.
    clean: dict = {"head": {"vars": head.get("vars", [])}}
    if head.get("link"):
        clean["head"]["link"] = head["link"]
    truncated_at = rows = None
    if "boolean" in document:
        clean = {"head": {}, "boolean": bool(document["boolean"])}
    else:
        bindings = document["results"]["bindings"]
        rows = len(bindings)
        if row_cap is not None and rows > row_cap:
            bindings = bindings[:row_cap]
            rows = truncated_at = row_cap
        clean["results"] = {"bindings": bindings}
    source = json.dumps(clean, ensure_ascii=False).encode()
    results = ox.parse_query_results(source, ox.QueryResultsFormat.JSON)
    body = results.serialize(format=result_format.serializer)
    if truncated_at is not None:
        body = _add_link(body, result_format.serializer, TRUNCATED_LINK.format(cap=truncated_at))
    return Rendered(body, result_format.content_type, rows, truncated_at)


def _add_link(body: bytes, serializer, link: str) -> bytes:
    """Adds a ``link`` to the head of SPARQL JSON or XML results (CSV/TSV have no head)."""
    if serializer == _R.JSON:
        document = json.loads(body)
        document["head"]["link"] = [*document["head"].get("link", []), link]
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    if serializer == _R.XML:
        return body.replace(b"</head>", f'<link href="{link}"/></head>'.encode(), 1)
    return body
