"""Merging a term into another (``POST /api/v1/edit/entities/{id}/merge-into/{target}``) and the
editors' picks of an article's related content (``GET``/``PUT /api/v1/edit/articles/{id}/related``),
issue 17 parts 2 and 3. Writes need the ``write`` scope and go through the write gate like
every other editor write (``api.views.editing``), with its errors."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, Response, json, request

from api.auth import require
from api.errors import problem_response
from api.views.editing import EDITOR_ERRORS, editor_error_response, json_body
from api.views.writes import change_headers, change_message, change_summary, gate
from kb.writes import documents as editor
from kb.writes.curation.merge import class_hierarchy, merge_into, referrers
from kb.writes.curation.picks import (
    current_pick_nodes,
    is_article,
    pick_node,
    picks_from_body,
    read_picks,
    set_picks,
)
from kb.writes.gate import Scope

bp = Blueprint("curation", __name__, url_prefix="/api/v1")
JSON = "application/json"

for _error in EDITOR_ERRORS:
    bp.register_error_handler(_error, editor_error_response)


@bp.post("/edit/entities/<identifier>/merge-into/<target_id>")
def merge_entity(identifier: str, target_id: str):
    token = require("write")
    body = json_body() if request.get_data(cache=True) else {}
    source, target = editor.entity_iri(identifier), editor.entity_iri(target_id)
    store = gate().store
    subjects = {source.value, target.value} | referrers(store, source.value)

    def edit(memory: ox.Store):
        moved = merge_into(memory, source, target)
        return moved, editor.describe(memory, target)

    result = gate().apply(
        edit,
        author=token.name,
        message=change_message(body) or f"merge {identifier} into {target_id}",
        scope=Scope(frozenset(subjects), extra=class_hierarchy),
    )
    moved, target_doc = result.value
    response = Response(
        json.dumps({**change_summary(result), "moved": moved, "entity": target_doc}),
        200,
        mimetype=JSON,
    )
    response.headers["Location"] = f"/api/v1/edit/entities/{target_id}"
    return change_headers(response, result)


def _picks_scope(article: ox.NamedNode, named: list[str], ranks: int) -> Scope:
    """The article, its pick nodes now and after the change, and the articles it names."""
    nodes = current_pick_nodes(gate().store, article.value)
    nodes |= {pick_node(article.value, n).value for n in range(1, ranks + 1)}
    return Scope(frozenset({article.value, *nodes}), frozenset(named))


@bp.get("/edit/articles/<identifier>/related")
def get_related_picks(identifier: str):
    article = editor.entity_iri(identifier)
    _, quads = gate().scoped_snapshot(_picks_scope(article, [], 0))
    memory = ox.Store()
    memory.bulk_extend(quads)
    if not is_article(memory, article.value):
        return problem_response(404, f"there is no article {identifier!r} in the knowledge base")
    response = Response(json.dumps(read_picks(memory, article)), 200, mimetype=JSON)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.put("/edit/articles/<identifier>/related")
def put_related_picks(identifier: str):
    token = require("write")
    body = json_body()
    article = editor.entity_iri(identifier)
    pinned, blocked = picks_from_body(article, body)

    def edit(memory: ox.Store):
        set_picks(memory, article, pinned, blocked)
        return read_picks(memory, article)

    result = gate().apply(
        edit,
        author=token.name,
        message=change_message(body) or f"editors' picks of {identifier}",
        scope=_picks_scope(article, pinned + blocked, len(pinned)),
    )
    response = Response(
        json.dumps({**change_summary(result), "picks": result.value}), 200, mimetype=JSON
    )
    return change_headers(response, result)
