"""Writes over HTTP: SPARQL 1.1 Update (called from ``api.sparql``), the SPARQL 1.1 Graph
Store HTTP Protocol at ``/store``, the JSON editor API under ``/api/v1/edit`` and the change
history under ``/api/v1/history``.

Every write needs a bearer token with the ``write`` scope (``api.auth``) and goes through the
write gate (``kb.changes``): computed on an in-memory copy, validated, committed as one
transaction with its history record, or rejected with 422 and the validation report. Reads
stay open.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from urllib.parse import unquote

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, json, request
from werkzeug.exceptions import RequestEntityTooLarge

from api.auth import AuthError, require
from api.errors import problem_response, text_error
from kb import editor, sparql_guard
from kb.changes import (
    SERVICE_GRAPHS,
    ChangeError,
    CommitResult,
    PreconditionFailed,
    Scope,
    ValidationFailed,
    WriteGate,
    gate_for,
)
from kb.history import RevertConflict, get_change, inverse_edit, list_changes
from kb.namespaces import KB_GRAPH
from kb.quality import short
from kb.store import StoreError, sparql_term

bp = Blueprint("editing", __name__, url_prefix="/api/v1")
store_bp = Blueprint("graph_store", __name__)

JSON = "application/json"
MESSAGE_HEADER = "X-Change-Message"
MAX_MESSAGE = 2000


def _settings():
    return current_app.extensions["hairkg.settings"]


def gate() -> WriteGate:
    existing = current_app.extensions.get("hairkg.gate")
    if existing is None:
        settings = _settings()
        existing = gate_for(
            current_app.extensions["hairkg.store"],
            settings.data_dir,
            settings.write_validation,
            lock_timeout_s=settings.write_lock_timeout_s,
            default_graph_writes=settings.default_graph_writes == "allow",
        )
        current_app.extensions["hairkg.gate"] = existing
    return existing


def change_message(body: dict | None = None) -> str:
    message = request.headers.get(MESSAGE_HEADER, "")
    if not message and isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
    return message.strip()[:MAX_MESSAGE]


# -- CORS for writes --------------------------------------------------------------------------
#
# Browser pages on other origins may write only from origins the operator lists in
# HAIRKG_CORS_WRITE_ORIGINS (exact origins; "*" is not honoured): for them a preflight allows
# Authorization and the write methods, and write answers name the origin. Every other origin
# gets no Authorization in its preflight, so a browser never sends a token cross-origin. The
# editor pages hairkg serves (the tag-suggestion page) are same-origin and need none of this.

WRITE_PATHS = ("/sparql", "/store", "/api/v1/edit/", "/api/v1/history/", "/api/v1/suggest/accept")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WRITE_ALLOW_HEADERS = (
    "Authorization, Content-Type, Accept, If-Match, If-None-Match, X-Change-Message"
)
WRITE_EXPOSE_HEADERS = "ETag, Location, X-Hairkg-Change, X-Hairkg-Version, X-Request-Id"


def _write_origin() -> str | None:
    origin = request.headers.get("Origin")
    allowed = [o for o in _settings().cors_write_origins if o != "*"]
    path = request.path
    is_write_path = any(path == p.rstrip("/") or path.startswith(p) for p in WRITE_PATHS)
    return origin if origin and is_write_path and origin in allowed else None


def _is_write_preflight() -> bool:
    wanted = request.headers.get("Access-Control-Request-Method", "").upper()
    return request.method == "OPTIONS" and wanted in WRITE_METHODS


@bp.before_app_request
def _write_preflight():
    if not _is_write_preflight():
        return None
    origin = _write_origin()
    if origin is None:
        return None  # the read-side CORS (if any) answers: no Authorization
    response = Response(status=204)
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, PUT, PATCH, DELETE"
    response.headers["Access-Control-Allow-Headers"] = WRITE_ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    response.vary.add("Origin")
    return response


@bp.after_app_request
def _write_cors(response: Response) -> Response:
    if (request.method in WRITE_METHODS or _is_write_preflight()) and _write_origin():
        response.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
        response.headers["Access-Control-Expose-Headers"] = WRITE_EXPOSE_HEADERS
        response.vary.add("Origin")
    return response


# -- answers ---------------------------------------------------------------------------------


def finding_json(finding) -> dict:
    node = finding.node
    return {
        "severity": finding.severity,
        "rule": finding.rule,
        "node": short_name(node) if node else None,
        "message": finding.message,
    }


def short_name(node: str) -> str:
    from rdflib import URIRef

    return short(URIRef(node)) if "://" in node else node


def relevant_warnings(result: CommitResult) -> list[dict]:
    """Warnings about what the change touched (the rest of the graph's are not news)."""
    if result.report is None:
        return []
    touched = set()
    for q in result.added + result.removed:
        for term in (q.subject, q.object):
            if isinstance(term, ox.NamedNode):
                touched.add(term.value)
    names = {short_name(t) for t in touched}
    out = []
    for f in result.report.warnings:
        if (f.node and f.node in touched) or any(n in f.message.split() for n in names):
            out.append(finding_json(f))
    return out


def change_summary(result: CommitResult) -> dict:
    record = result.record
    return {
        "change": record.id if record else None,
        "href": f"/api/v1/history/{record.id}" if record else None,
        "version": result.version,
        "added": len(result.added),
        "removed": len(result.removed),
        "warnings": relevant_warnings(result),
    }


def _change_headers(response: Response, result: CommitResult) -> Response:
    if result.record is not None:
        response.headers["X-Hairkg-Change"] = result.record.id
    response.headers["X-Hairkg-Version"] = result.version
    return response


def change_error_response(error: ChangeError) -> Response:
    if isinstance(error, ValidationFailed):
        report = error.report
        findings = [finding_json(f) for f in report.errors]
        return problem_response(
            422,
            error.message,
            title="Validation failed",
            errors=findings,
            counts=report.counts(),
        )
    return problem_response(error.status, error.message, **error.extra)


def auth_error_response(error: AuthError, *, text: bool = False) -> Response:
    if text:
        return text_error(error.status, error.message, error.headers)
    return problem_response(error.status, error.message, headers=error.headers)


@bp.errorhandler(ChangeError)
def _change_error(error: ChangeError):
    return change_error_response(error)


@bp.errorhandler(AuthError)
def _auth_error(error: AuthError):
    return auth_error_response(error)


@bp.errorhandler(editor.EditError)
def _edit_error(error: editor.EditError):
    extra = {"invalid-params": [{"name": error.field, "reason": str(error)}]} if error.field else {}
    return problem_response(400, str(error), **extra)


@bp.errorhandler(RevertConflict)
def _revert_conflict(error: RevertConflict):
    return problem_response(409, str(error))


@bp.errorhandler(StoreError)
def _store_error(error: StoreError):
    return problem_response(503, f"the triple store is not available: {error}")


# -- SPARQL 1.1 Update (POST /sparql) --------------------------------------------------------


class UpdateRequestError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def add_using_clauses(update: str, using: list[str], using_named: list[str]) -> str:
    """The protocol's ``using-graph-uri`` / ``using-named-graph-uri`` as USING clauses before
    the WHERE of every DELETE/INSERT operation. An update that has its own USING or WITH
    cannot take them (SPARQL 1.1 Protocol, 2.2.3)."""
    if not using and not using_named:
        return update
    tokens = sparql_guard.tokenize(update)
    if any(t.kind == "keyword" and t.text in ("USING", "WITH") for t in tokens):
        raise UpdateRequestError(
            400,
            "The update has its own USING or WITH clause, so the using-graph-uri / "
            "using-named-graph-uri parameters cannot be applied to it.",
        )
    clause = "".join(f" USING <{iri}>" for iri in using)
    clause += "".join(f" USING NAMED <{iri}>" for iri in using_named)
    for iri in [*using, *using_named]:
        try:
            ox.NamedNode(iri)
        except ValueError as error:
            raise UpdateRequestError(400, f"{iri!r} is not a valid graph IRI") from error
    depth, out, last = 0, [], 0
    previous = None
    for token in tokens:
        if token.kind == "punct" and token.text == "{":
            depth += 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
        elif (
            token.kind == "keyword"
            and token.text == "WHERE"
            and depth == 0
            and not (previous and previous.kind == "keyword" and previous.text == "DELETE")
        ):
            out.append(update[last : token.offset])
            out.append(clause + " ")
            last = token.offset
        previous = token
    out.append(update[last:])
    return "".join(out)


def sparql_update_response(params: dict, base: str) -> Response:
    """Answers an update request to /sparql (plain-text errors, like the query side)."""
    if request.method != "POST":
        return text_error(405, "SPARQL Update requests must be sent with POST.", {"Allow": "POST"})
    try:
        token = require("write")
    except AuthError as error:
        return auth_error_response(error, text=True)
    try:
        update, using, using_named = _update_parameters(params)
        settings = _settings()
        violation = sparql_guard.shape_violation(update, "update")
        if violation:  # the write gate runs it in this process: a stack overflow ends it
            raise UpdateRequestError(400, f"The update is refused: {violation}.")
        refused = sparql_guard.refused_targets(
            sparql_guard.load_targets(update, base), settings.load_allowlist
        )
        if refused:
            named = ", ".join(t.written or "(nothing)" for t in refused)
            raise UpdateRequestError(
                403,
                f"LOAD of {named} is refused: this server loads only allow-listed documents "
                f"({', '.join(settings.load_allowlist) or 'none is allowed'}).",
            )
        refused = sparql_guard.refused_targets(
            sparql_guard.service_targets(update, base), settings.service_allowlist
        )
        if refused:
            named = ", ".join(t.written or "(nothing)" for t in refused)
            raise UpdateRequestError(
                403, f"SERVICE calls to {named} are refused: the endpoint is not allow-listed."
            )
        text = add_using_clauses(update, using, using_named)
    except UpdateRequestError as error:
        return text_error(error.status, error.message, error.headers)

    def edit(store: ox.Store) -> None:
        try:
            store.update(text, base_iri=base)
        except SyntaxError as error:
            raise ChangeError(f"SPARQL Update syntax error: {error}") from error
        except OSError as error:
            raise ChangeError(f"the update could not be run: {error}", status=502) from error
        except ValueError as error:
            raise ChangeError(f"the update could not be run: {error}") from error
        except RuntimeError as error:  # e.g. DROP (not SILENT) of a graph that does not exist
            raise ChangeError(f"the update failed: {error}", status=404) from error

    try:
        result = gate().apply(edit, author=token.name, message=change_message())
    except ValidationFailed as error:
        return change_error_response(error)
    except ChangeError as error:
        return text_error(error.status, error.message)
    except StoreError as error:
        return text_error(503, f"The triple store is not available: {error}")
    summary = change_summary(result)
    if result.record is None:
        body = "Update accepted: it changed nothing.\n"
        if not any(
            t.kind == "keyword" and t.text in ("GRAPH", "WITH", "USING")
            for t in sparql_guard.tokenize(text)
        ):
            body += (
                "Note: the update names no graph. In updates the default graph is the store's "
                "own (empty) default graph, not the union that queries see: name the "
                f"knowledge base with WITH <{KB_GRAPH}> or GRAPH <{KB_GRAPH}> {{ ... }}.\n"
            )
    else:
        body = (
            f"Update accepted as change {result.record.id}: {summary['added']} triple(s) added, "
            f"{summary['removed']} removed.\n"
        )
    return _change_headers(Response(body, 200, mimetype="text/plain"), result)


def _update_parameters(params: dict) -> tuple[str, list[str], list[str]]:
    if request.method != "POST":
        raise UpdateRequestError(
            405, "SPARQL Update requests must be sent with POST.", {"Allow": "POST"}
        )
    if params.get("query"):
        raise UpdateRequestError(400, "Send either a query or an update, not both.")
    if params.get("_direct_update"):
        if "update" in params:
            raise UpdateRequestError(
                400, "A direct update (application/sparql-update) cannot also have 'update'."
            )
        try:
            update = request.get_data(cache=True).decode("utf-8")
        except UnicodeDecodeError as error:
            raise UpdateRequestError(400, "The update is not valid UTF-8.") from error
    else:
        updates = params.get("update", [])
        if len(updates) != 1:
            raise UpdateRequestError(
                400, f"The 'update' parameter was given {len(updates)} times; send exactly one."
            )
        update = updates[0]
    if not update.strip():
        raise UpdateRequestError(400, "The update is empty.")
    limit = _settings().max_query_length
    if len(update) > limit:
        raise UpdateRequestError(
            413, f"The update is {len(update)} characters long; the limit is {limit}."
        )
    return update, params.get("using-graph-uri", []), params.get("using-named-graph-uri", [])


# -- Graph Store HTTP Protocol ---------------------------------------------------------------

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
    public = _settings().public_url.rstrip("/")
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
    settings = _settings()
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
    from api.negotiation import choose

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
        return text_error(error.status, error.message)
    except StoreError as error:
        return text_error(503, f"The triple store is not available: {error}")


def _gsp_read(graph, name) -> Response:
    if graph is None:
        raise GraphStoreError(400, "Name a graph: ?graph=<IRI> or ?default.")
    if isinstance(graph, ox.NamedNode) and graph.value in SERVICE_GRAPHS:
        quads = [q for q in current_app.extensions["hairkg.store"].dump() if q.graph_name == graph]
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
    return _change_headers(response, result)


# -- JSON editor API -------------------------------------------------------------------------


def _json_body() -> dict:
    settings = _settings()
    if request.content_length is not None and request.content_length > settings.max_write_bytes:
        raise ChangeError(f"the body is larger than {settings.max_write_bytes} bytes", status=413)
    if request.mimetype != JSON:
        raise ChangeError(f"send {JSON}, not {request.mimetype or 'no Content-Type'}", status=415)
    try:
        body = json.loads(request.get_data(cache=True) or b"null")
    except ValueError as error:
        raise ChangeError(f"the body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise ChangeError("the body must be a JSON object")
    return body


def _too_large_guard():
    settings = _settings()
    if request.content_length is not None and request.content_length > settings.max_write_bytes:
        raise ChangeError(f"the body is larger than {settings.max_write_bytes} bytes", status=413)


def _if_match_precondition(s: ox.NamedNode, *, must_exist: bool):
    if_match = request.headers.get("If-Match")
    if_none_match = request.headers.get("If-None-Match")

    def check(store: ox.Store) -> None:
        quads = editor.description_quads(store, s)
        if must_exist and not quads:
            raise ChangeError(f"there is no entity {editor.compact(s.value)}", status=404)
        if if_none_match and if_none_match.strip() == "*" and quads:
            raise PreconditionFailed(f"{editor.compact(s.value)} already exists (If-None-Match: *)")
        if if_match:
            current = editor.description_etag(quads) if quads else None
            offered = [v.strip().removeprefix("W/") for v in if_match.split(",")]
            if not (("*" in offered and current) or (current and current in offered)):
                raise PreconditionFailed(
                    f"{editor.compact(s.value)} was changed by someone else since you read it "
                    "(If-Match does not match its current ETag); read it again and redo the edit",
                    currentEtag=current,
                )

    return check


def _entity_response(result: CommitResult, s: ox.NamedNode, status: int = 200) -> Response:
    doc, etag = result.value if result.value else (None, None)
    body = {**change_summary(result), "entity": doc}
    response = Response(json.dumps(body), status, mimetype=JSON)
    if etag:
        response.headers["ETag"] = etag
    response.headers["Location"] = f"/api/v1/edit/entities/{doc['id']}" if doc else ""
    return _change_headers(response, result)


def _after(s: ox.NamedNode, store: ox.Store):
    return editor.describe(store, s), editor.description_etag(editor.description_quads(store, s))


@bp.get("/edit/entities/<identifier>")
def get_entity_document(identifier: str):
    s = editor.entity_iri(identifier)
    _, store = gate().asserted_store()
    doc = editor.describe(store, s)
    if doc is None:
        return problem_response(404, f"there is no entity {identifier!r} in the knowledge base")
    response = Response(json.dumps(doc), 200, mimetype=JSON)
    response.headers["ETag"] = editor.description_etag(editor.description_quads(store, s))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.post("/edit/entities")
def create_entity():
    token = require("write")
    _too_large_guard()
    body = _json_body()
    document = {k: v for k, v in body.items() if k != "message"}
    identifier = document.get("id") or editor.slug(str(document.get("label") or ""))
    document["id"] = identifier
    s = editor.entity_iri(identifier)
    quads = editor.entity_quads(s, document)

    def edit(store: ox.Store):
        if any(True for _ in store.quads_for_pattern(s, None, None)):
            raise ChangeError(
                f"{editor.compact(s.value)} already exists; use PUT or PATCH", status=409
            )
        store.bulk_extend(quads)
        return _after(s, store)

    result = gate().apply(
        edit, author=token.name, message=change_message(body), scope=Scope(frozenset({s.value}))
    )
    return _entity_response(result, s, 201)


@bp.put("/edit/entities/<identifier>")
def put_entity(identifier: str):
    token = require("write")
    _too_large_guard()
    body = _json_body()
    document = {k: v for k, v in body.items() if k != "message"}
    if document.get("id", identifier) != identifier:
        raise editor.EditError("id in the body differs from the id in the URL", "id")
    document["id"] = identifier
    s = editor.entity_iri(identifier)
    editor.entity_quads(s, document)  # 400 before taking the lock
    existed = {}

    def edit(store: ox.Store):
        existed["yes"] = bool(editor.subject_quads(store, s))
        editor.replace_entity(store, s, document)
        return _after(s, store)

    result = gate().apply(
        edit,
        author=token.name,
        message=change_message(body),
        precondition=_if_match_precondition(s, must_exist=False),
        scope=Scope(frozenset({s.value})),
    )
    return _entity_response(result, s, 200 if existed.get("yes") else 201)


@bp.patch("/edit/entities/<identifier>")
def patch_entity(identifier: str):
    token = require("write")
    _too_large_guard()
    body = _json_body()
    document = {k: v for k, v in body.items() if k != "message"}
    s = editor.entity_iri(identifier)

    def edit(store: ox.Store):
        editor.patch_entity(store, s, document)
        return _after(s, store)

    result = gate().apply(
        edit,
        author=token.name,
        message=change_message(body),
        precondition=_if_match_precondition(s, must_exist=True),
        scope=Scope(frozenset({s.value})),
    )
    return _entity_response(result, s)


@bp.post("/edit/entities/<identifier>/deprecate")
def deprecate_entity(identifier: str):
    token = require("write")
    _too_large_guard()
    body = _json_body()
    s = editor.entity_iri(identifier)
    replaced_by = body.get("replacedBy")
    target = editor.expand(replaced_by, "replacedBy") if replaced_by else None
    reason = body.get("reason")

    def edit(store: ox.Store):
        if target is not None and not any(
            True for _ in store.quads_for_pattern(target, None, None)
        ):
            raise editor.EditError(f"replacedBy: {replaced_by} does not exist", "replacedBy")
        editor.deprecate_entity(store, s, target, reason)
        return _after(s, store)

    result = gate().apply(
        edit,
        author=token.name,
        message=change_message(body) or f"deprecate {identifier}",
        precondition=_if_match_precondition(s, must_exist=True),
        scope=Scope(frozenset({s.value}), frozenset({target.value} if target else ())),
    )
    return _entity_response(result, s)


@bp.post("/edit/articles")
def register_article():
    token = require("write")
    _too_large_guard()
    body = _json_body()
    document = {k: v for k, v in body.items() if k != "message"}
    s, quads = editor.article_quads(document)
    url = next(q.object for q in quads if q.predicate.value.endswith("schema.org/url"))

    def edit(store: ox.Store):
        if any(True for _ in store.quads_for_pattern(s, None, None)):
            raise ChangeError(f"{editor.compact(s.value)} already exists", status=409)
        for q in store.quads_for_pattern(None, ox.NamedNode("http://schema.org/url"), None):
            if q.object.value.rstrip("/") == url.value.rstrip("/"):
                raise ChangeError(
                    f"the URL is already registered as {editor.compact(q.subject.value)}",
                    status=409,
                )
        store.bulk_extend(quads)
        return _after(s, store)

    def same_url(store) -> list[ox.Quad]:
        """The registered URLs the duplicate check above compares with: the URL with up to
        two trailing slashes, as xsd:anyURI, plain string or IRI (index look-ups, no scan)."""
        base = url.value.rstrip("/")
        forms = []
        for text in (base, base + "/", base + "//"):
            forms += [ox.Literal(text, datatype=url.datatype), ox.Literal(text)]
            with contextlib.suppress(ValueError):
                forms.append(ox.NamedNode(text))
        values = " ".join(sparql_term(term) for term in forms)
        rows = store.select(
            f"SELECT ?g ?s ?o WHERE {{ VALUES ?o {{ {values} }} "
            "GRAPH ?g { ?s <http://schema.org/url> ?o } }"
        )
        return [
            ox.Quad(r["s"], ox.NamedNode("http://schema.org/url"), r["o"], r["g"]) for r in rows
        ]

    result = gate().apply(
        edit,
        author=token.name,
        message=change_message(body),
        scope=Scope(frozenset({s.value}), extra=same_url),
    )
    return _entity_response(result, s, 201)


# -- history ---------------------------------------------------------------------------------


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as error:
        raise ChangeError(f"{name} must be an integer") from error
    if not low <= value <= high:
        raise ChangeError(f"{name} must be between {low} and {high}")
    return value


@bp.get("/history")
def history():
    limit = _int_arg("limit", 20, 1, 200)
    offset = _int_arg("offset", 0, 0, 1_000_000)
    total, records = list_changes(
        current_app.extensions["hairkg.store"], limit=limit, offset=offset
    )
    body = {
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": [r.summary() for r in records],
    }
    if offset + limit < total:
        body["next"] = f"/api/v1/history?limit={limit}&offset={offset + limit}"
    response = Response(json.dumps(body), 200, mimetype=JSON)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/history/<int:number>")
def history_item(number: int):
    record = get_change(current_app.extensions["hairkg.store"], number)
    if record is None:
        return problem_response(404, f"there is no change {number}")
    return Response(json.dumps(record.to_dict()), 200, mimetype=JSON)


@bp.post("/history/<int:number>/revert")
def revert(number: int):
    token = require("write")
    record = get_change(current_app.extensions["hairkg.store"], number)
    if record is None:
        return problem_response(404, f"there is no change {number}")
    body = {}
    if request.get_data(cache=True):
        body = _json_body()
    message = change_message(body) or f"revert change {number}"
    result = gate().apply(inverse_edit(record), author=token.name, message=message, reverts=number)
    response = Response(json.dumps(change_summary(result)), 200, mimetype=JSON)
    return _change_headers(response, result)
