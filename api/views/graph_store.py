"""The SPARQL 1.1 Graph Store HTTP Protocol at /store: read, replace, add to and delete graphs,
every write through the write gate."""

from __future__ import annotations

import re
import uuid
from urllib.parse import unquote

import pyoxigraph as ox
from flask import Blueprint, Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from api.auth import AuthError, require
from api.errors import store_error_plain, text_error
from api.state import current_settings, current_store
from api.views.writes import (
    auth_error_response,
    change_error_response,
    change_headers,
    change_message,
    gate,
)
from kb.store.errors import StoreError
from kb.writes.gate import SERVICE_GRAPHS
from kb.writes.results import ChangeError, ValidationFailed

store_bp = Blueprint("graph_store", __name__)


RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "text/n3": ox.RdfFormat.N3,
}


OUT_FORMATS = ["text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"]


GSP_METHODS = "GET, HEAD, PUT, POST, DELETE, OPTIONS"


_XML_ENTITY_DECLARATION = re.compile(rb"<!\s*ENTITY", re.IGNORECASE)


class GraphStoreError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def _store_base() -> str:
    public = current_settings().public_url.rstrip("/")
    return (public or request.url_root.rstrip("/")) + "/store"


def _target_graph(rest: str | None) -> tuple[ox.NamedNode | ox.DefaultGraph | None, str]:
    """The graph a GSP request is about: direct (the request URL) or ``?graph=`` / ``?default``.
    None means the request names no graph (POST then creates one)."""
    args = request.args
    if rest is not None:
        if "graph" in args or "default" in args:
            raise GraphStoreError(400, "A directly addressed graph takes no ?graph= or ?default.")
        iri = f"{_store_base()}/{rest}"
        try:
            return ox.NamedNode(iri), iri
        except ValueError as error:
            raise GraphStoreError(400, f"{rest!r} does not make a valid graph IRI") from error
    graphs = args.getlist("graph")
    if "default" in args and graphs:
        raise GraphStoreError(400, "Use either ?default or ?graph=, not both.")
    if "default" in args:
        return ox.DefaultGraph(), "the default graph"
    if len(graphs) > 1:
        raise GraphStoreError(400, "Give ?graph= once.")
    if not graphs:
        return None, ""
    try:
        node = ox.NamedNode(graphs[0])
    except ValueError as error:
        raise GraphStoreError(400, f"?graph= is not an IRI: {graphs[0]!r}") from error
    return node, f"<{graphs[0]}>"


def _graph_quads(quads, graph) -> list[ox.Quad]:
    return [q for q in quads if q.graph_name == graph]


def _parse_body(graph) -> list[ox.Quad]:
    settings = current_settings()
    length = request.content_length
    if length is not None and length > settings.max_write_bytes:
        raise GraphStoreError(
            413, f"The body is larger than the write limit of {settings.max_write_bytes} bytes."
        )
    content_type = request.headers.get("Content-Type", "")
    media_type = content_type.split(";")[0].strip().lower()
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge as error:
        raise GraphStoreError(413, "The body is larger than the write limit.") from error
    if len(data) > settings.max_write_bytes:
        raise GraphStoreError(
            413, f"The body is larger than the write limit of {settings.max_write_bytes} bytes."
        )
    if media_type == "multipart/form-data":
        parts = []
        for upload in request.files.values():
            part_type = (upload.mimetype or "text/turtle").lower()
            parts.append((part_type, upload.read()))
    else:
        parts = [(media_type, data)]
    quads = []
    target = graph if isinstance(graph, ox.NamedNode) else None
    for part_type, payload in parts:
        fmt = RDF_FORMATS.get(part_type)
        if fmt is None:
            raise GraphStoreError(
                415,
                f"Cannot read {part_type or 'a body without Content-Type'}: send "
                + ", ".join(sorted(set(RDF_FORMATS) - {"text/plain"})),
            )
        if fmt == ox.RdfFormat.RDF_XML and _XML_ENTITY_DECLARATION.search(payload):
            # The parser expands internal entities without a limit: nested ones ("billion
            # laughs") make a few hundred bytes grow to gigabytes in the worker.
            raise GraphStoreError(
                400, "RDF/XML with DTD entity declarations (<!ENTITY ...>) is not accepted."
            )
        try:
            triples = ox.parse(
                payload,
                format=fmt,
                base_iri=target.value if target is not None else _store_base(),
                rename_blank_nodes=True,
            )
            for t in triples:
                quads.append(ox.Quad(t.subject, t.predicate, t.object, graph))
        except SyntaxError as error:
            raise GraphStoreError(400, f"The RDF body does not parse: {error}") from error
    return quads


def _serialize(triples: list[ox.Triple]) -> Response:
    from api.http import choose

    chosen = choose(request.headers.get("Accept"), OUT_FORMATS) or (
        "text/turtle" if not request.headers.get("Accept") else None
    )
    if chosen is None:
        raise GraphStoreError(406, "Graphs are available as " + ", ".join(OUT_FORMATS) + ".")
    fmt = RDF_FORMATS[chosen]
    body = ox.serialize(triples, format=fmt) if triples else b""
    content_type = chosen + ("; charset=utf-8" if chosen.startswith("text/") else "")
    response = Response(body, 200, content_type=content_type)
    response.vary.add("Accept")
    return response


@store_bp.route("/store", methods=["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"])
@store_bp.route("/store/<path:rest>", methods=["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"])
def graph_store(rest: str | None = None):
    try:
        if request.method == "OPTIONS":
            return Response(status=204, headers={"Allow": GSP_METHODS})
        graph, name = _target_graph(unquote(rest) if rest is not None else None)
        if request.method in ("GET", "HEAD"):
            return _gsp_read(graph, name)
        token = require("write")
        return _gsp_write(graph, name, token)
    except GraphStoreError as error:
        return text_error(error.status, error.message, error.headers)
    except AuthError as error:
        return auth_error_response(error, text=True)
    except ValidationFailed as error:
        return change_error_response(error)
    except ChangeError as error:
        return text_error(error.status, error.message, error.headers)
    except StoreError as error:
        return store_error_plain(error)


def _gsp_read(graph, name) -> Response:
    if graph is None:
        raise GraphStoreError(400, "Name a graph: ?graph=<IRI> or ?default.")
    if isinstance(graph, ox.NamedNode) and graph.value in SERVICE_GRAPHS:
        quads = [q for q in current_store().dump() if q.graph_name == graph]
    else:
        _, asserted, _ = gate().snapshot()
        quads = _graph_quads(asserted, graph)
    if not quads and isinstance(graph, ox.NamedNode):
        raise GraphStoreError(404, f"There is no graph {name}.")
    response = _serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads])
    if request.method == "HEAD":
        response.set_data(b"")
    return response


def _gsp_write(graph, name, token) -> Response:
    message = change_message()
    created = False
    if request.method == "POST" and graph is None:
        graph = ox.NamedNode(f"{_store_base()}/graphs/{uuid.uuid4().hex}")
        created = True
    if graph is None:
        raise GraphStoreError(400, "Name a graph: ?graph=<IRI> or ?default.")
    incoming = _parse_body(graph) if request.method in ("PUT", "POST") else []
    existed = {}

    def edit(store: ox.Store) -> None:
        current = list(store.quads_for_pattern(None, None, None, graph))
        existed["graph"] = bool(current)
        if request.method == "DELETE":
            if not current:
                raise ChangeError(f"There is no graph {name}.", status=404)
            for q in current:
                store.remove(q)
        elif request.method == "PUT":
            for q in current:
                store.remove(q)
            store.bulk_extend(incoming)
        else:
            store.bulk_extend(incoming)

    result = gate().apply(edit, author=token.name, message=message)
    if created:
        response = Response(status=201)
        response.headers["Location"] = graph.value
    elif request.method == "PUT" and not existed.get("graph") and incoming:
        response = Response(status=201)
    else:
        response = Response(status=204)
    return change_headers(response, result)
