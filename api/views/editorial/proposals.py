"""Proposals and review: ``POST /api/v1/proposals`` (scope ``propose``) stores a change for
review without touching the live graph; ``GET`` lists and shows them with their term-level
diffs; ``.../approve`` (scope ``review``) applies one through the write gate, ``.../reject``
closes it with a reason. The page ``/editor/proposals`` does the same in a browser.
The rules (what "applies cleanly" means, where proposals are stored) are in
``kb.writes.proposals`` and docs/editing.md."""

from __future__ import annotations

from urllib.parse import urlencode

import pyoxigraph as ox
from flask import Blueprint, Response, json, render_template, request

from api.auth import require
from api.errors import problem_response
from api.http import secure_html
from api.state import current_store
from api.views.editing import EDITOR_ERRORS, editor_error_response, json_body
from api.views.sparql_update import UpdateRequestError, update_edit, vetted_update
from api.views.writes import change_headers, change_message, change_summary, gate
from kb.writes import documents as editor
from kb.writes import proposals
from kb.writes.gate import Scope
from kb.writes.results import ChangeError

bp = Blueprint("proposals", __name__, url_prefix="/api/v1")
page_bp = Blueprint("proposals_page", __name__)

JSON = "application/json"


def _update_request_error(error: UpdateRequestError) -> Response:
    return problem_response(
        error.status,
        error.message,
        **{"invalid-params": [{"name": "update", "reason": error.message}]},
    )


for _error in EDITOR_ERRORS:
    bp.register_error_handler(_error, editor_error_response)
bp.register_error_handler(UpdateRequestError, _update_request_error)


def _answer(body: dict, status: int = 200) -> Response:
    response = Response(json.dumps(body), status, mimetype=JSON)
    response.headers["Cache-Control"] = "no-cache"
    return response


# -- what a proposal can be ------------------------------------------------------------------


def _entity_change(document: object):
    """The edit of an entity document: the entity as it should be (created, or replaced as
    by PUT /api/v1/edit/entities/{id})."""
    if not isinstance(document, dict):
        raise editor.EditError("entity must be a JSON object (an editor API entity document)")
    document = dict(document)
    document["id"] = document.get("id") or editor.slug(str(document.get("label") or ""))
    s = editor.entity_iri(document["id"])
    editor.entity_quads(s, document)  # 400 for a malformed document, before the gate

    def edit(store: ox.Store) -> None:
        editor.replace_entity(store, s, document)

    return edit, Scope(frozenset({s.value}))


def _update_change(update: object):
    if not isinstance(update, str):
        raise UpdateRequestError(400, "update must be a string of SPARQL Update")
    text = vetted_update(update, [], [], request.url_root.rstrip("/") + "/sparql")
    return update_edit(text, request.url_root.rstrip("/") + "/sparql"), None


@bp.post("/proposals")
def submit_proposal():
    token = require("propose")
    body = json_body()
    kinds = [k for k in proposals.KINDS if k in body]
    if len(kinds) != 1:
        raise ChangeError(
            'send exactly one of "entity" (an editor API entity document) or "update" '
            "(SPARQL Update text)",
            **{"invalid-params": [{"name": "entity", "reason": "exactly one of entity, update"}]},
        )
    kind = kinds[0]
    message = body.get("message", "")
    if not isinstance(message, str):
        raise editor.EditError("message must be a string", "message")
    edit, scope = (_entity_change if kind == "entity" else _update_change)(body[kind])
    proposal = proposals.submit(
        gate(),
        author=token.name,
        message=change_message(body),
        kind=kind,
        request={"message": message, kind: body[kind]},
        edit=edit,
        scope=scope,
    )
    response = _answer(proposal.to_dict(), 202)
    response.headers["Location"] = f"/api/v1/proposals/{proposal.id}"
    return response


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ChangeError(f"{name} must be an integer from {low} to {high}")
    return int(raw)


@bp.get("/proposals")
def list_proposals():
    status = request.args.get("status")
    if status is not None and status not in proposals.STATUSES:
        raise ChangeError(f"status must be one of {', '.join(proposals.STATUSES)}")
    author = request.args.get("author") or None
    limit = _int_arg("limit", 20, 1, 200)
    offset = _int_arg("offset", 0, 0, 1_000_000)
    total, found = proposals.list_proposals(
        current_store(), status=status, author=author, limit=limit, offset=offset
    )
    body = {
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": [p.summary() | {"diff": p.diff} for p in found],
    }
    if offset + limit < total:
        args = {k: v for k, v in (("status", status), ("author", author)) if v}
        args |= {"limit": limit, "offset": offset + limit}
        body["next"] = f"/api/v1/proposals?{urlencode(args)}"
    return _answer(body)


@bp.get("/proposals/<identifier>")
def show_proposal(identifier: str):
    proposal = proposals.get_proposal(current_store(), identifier)
    if proposal is None:
        return problem_response(404, f"there is no proposal {identifier!r}")
    return _answer(proposal.to_dict())


@bp.post("/proposals/<identifier>/approve")
def approve_proposal(identifier: str):
    token = require("review")
    result = proposals.approve(gate(), identifier, reviewer=token.name)
    body = {**change_summary(result), "proposal": identifier, "status": "approved"}
    return change_headers(_answer(body), result)


@bp.post("/proposals/<identifier>/reject")
def reject_proposal(identifier: str):
    token = require("review")
    body = json_body()
    proposal = proposals.reject(gate(), identifier, reviewer=token.name, reason=body.get("reason"))
    return _answer(proposal.summary())


# -- the reviewers' page -----------------------------------------------------------------------


@page_bp.get("/editor/proposals")
def proposals_page():
    response = Response(render_template("proposals.html"), mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return secure_html(response)
