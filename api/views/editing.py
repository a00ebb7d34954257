"""Writes over HTTP: SPARQL 1.1 Update (called from ``api.views.sparql``), the SPARQL 1.1 Graph
Store HTTP Protocol at ``/store``, the JSON editor API under ``/api/v1/edit`` and the change
history under ``/api/v1/history``.

Every write needs a bearer token with the ``write`` scope (``api.auth``) and goes through the
write gate (``kb.writes.gate``): computed on an in-memory copy, validated, committed as one
transaction with its history record, or rejected with 422 and the validation report. Reads
stay open.
"""

from __future__ import annotations

import contextlib

import pyoxigraph as ox
from flask import Blueprint, Response, json, request

from api.auth import AuthError, require
from api.errors import problem_response
from api.state import current_settings, current_store
from api.views.writes import (
    auth_error_response,
    change_error_response,
    change_headers,
    change_message,
    change_summary,
    gate,
)
from kb.store.client import sparql_term
from kb.writes import documents as editor
from kb.writes.gate import Scope
from kb.writes.history import RevertConflict, get_change, inverse_edit, list_changes
from kb.writes.results import ChangeError, CommitResult, PreconditionFailed

bp = Blueprint("editing", __name__, url_prefix="/api/v1")

JSON = "application/json"


# -- CORS for writes --------------------------------------------------------------------------
#
# Browser pages on other origins may write only from origins the operator lists in
# HAIRKG_CORS_WRITE_ORIGINS (exact origins; "*" is not honoured): for them a preflight allows
# Authorization and the write methods, and write answers name the origin. Every other origin
# gets no Authorization in its preflight, so a browser never sends a token cross-origin. The
# editor pages hairkg serves (the tag-suggestion page) are same-origin and need none of this.


# -- answers ---------------------------------------------------------------------------------


def editor_error_response(error: Exception) -> Response:
    """The editor API's answer to a refused write (registered for the blueprint below, and
    used by the suggestion page's save, which calls :func:`register_article_document`)."""
    if isinstance(error, ChangeError):
        return change_error_response(error)
    if isinstance(error, AuthError):
        return auth_error_response(error)
    if isinstance(error, editor.EditError):
        extra = (
            {"invalid-params": [{"name": error.field, "reason": str(error)}]} if error.field else {}
        )
        return problem_response(400, str(error), **extra)
    if isinstance(error, RevertConflict):
        return problem_response(409, str(error))
    raise error


EDITOR_ERRORS = (ChangeError, AuthError, editor.EditError, RevertConflict)
for _error in EDITOR_ERRORS:
    bp.register_error_handler(_error, editor_error_response)


# -- SPARQL 1.1 Update (POST /sparql) --------------------------------------------------------


# -- Graph Store HTTP Protocol ---------------------------------------------------------------


# -- JSON editor API -------------------------------------------------------------------------


def json_body() -> dict:
    settings = current_settings()
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
    settings = current_settings()
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
    return change_headers(response, result)


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
    body = json_body()
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
    body = json_body()
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
    body = json_body()
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
    body = json_body()
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
    require("write")
    _too_large_guard()
    return register_article_document(json_body())


def register_article_document(body: dict) -> Response:
    """Registers the article ``body`` describes (the document of ``POST /api/v1/edit/articles``)
    through the write gate, as the request's token (which must have the ``write`` scope)."""
    token = require("write")
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
    total, records = list_changes(current_store(), limit=limit, offset=offset)
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
    record = get_change(current_store(), number)
    if record is None:
        return problem_response(404, f"there is no change {number}")
    return Response(json.dumps(record.to_dict()), 200, mimetype=JSON)


@bp.post("/history/<int:number>/revert")
def revert(number: int):
    token = require("write")
    record = get_change(current_store(), number)
    if record is None:
        return problem_response(404, f"there is no change {number}")
    body = {}
    if request.get_data(cache=True):
        body = json_body()
    message = change_message(body) or f"revert change {number}"
    result = gate().apply(inverse_edit(record), author=token.name, message=message, reverts=number)
    response = Response(json.dumps(change_summary(result)), 200, mimetype=JSON)
    return change_headers(response, result)
