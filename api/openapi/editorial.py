"""The OpenAPI paths of the editorial workflow (``api/views/editorial``): proposals and their
review, and making dated releases. Merged into the JSON API's document by
``api.openapi.document.openapi_document``; see docs/editing.md."""

from __future__ import annotations

from api.openapi.editing import ENTITY_DOCUMENT, MESSAGE
from api.openapi.parts import get_operation, param

PROPOSAL_ID = param(
    "id",
    "path",
    "Proposal id (12 hexadecimal digits, from POST /api/v1/proposals).",
    {"type": "string", "pattern": "^[0-9a-f]{12}$"},
)


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"type": "object"}}},
    }


def _json(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


def _post(op_id, summary, description, scope, params, body, responses, required=True) -> dict:
    op = {
        "operationId": op_id,
        "summary": summary,
        "description": description,
        "tags": ["proposals"],
        "security": [{"bearer": []}],
        "parameters": params,
        "responses": {
            **responses,
            "401": _problem("No or unknown bearer token."),
            "403": _problem(
                f"The token lacks the `{scope}` scope"
                + (", or the reviewer is the proposal's author." if scope == "review" else ".")
            ),
            "415": _problem("Send application/json."),
        },
    }
    if body is not None:
        op["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": body}},
        }
    return op


PROPOSAL_BODY = {
    "type": "object",
    "description": "Exactly one of `entity` (an entity document: the entity as it should be, "
    "created or replaced as by PUT /api/v1/edit/entities/{id}) or `update` (SPARQL Update).",
    "properties": {
        "message": {"type": "string", "maxLength": 2000},
        "entity": ENTITY_DOCUMENT,
        "update": {"type": "string"},
    },
}


def proposal_paths() -> dict:
    return {
        "/api/v1/proposals": {
            **get_operation(
                "listProposals",
                "Proposals, newest first",
                "Each with its status, author, message, times, validation result and term diff.",
                [
                    param(
                        "status",
                        "query",
                        "Only proposals in this state.",
                        {"type": "string", "enum": ["open", "approved", "rejected"]},
                    ),
                    param(
                        "author", "query", "Only proposals by this token name.", {"type": "string"}
                    ),
                    param(
                        "limit",
                        "query",
                        "Proposals per page (1-200, default 20).",
                        {"type": "integer", "minimum": 1, "maximum": 200},
                    ),
                    param(
                        "offset",
                        "query",
                        "Proposals to skip.",
                        {"type": "integer", "minimum": 0, "maximum": 1000000},
                    ),
                ],
                {
                    "200": _json("total, limit, offset, items, next"),
                    "400": _problem("A parameter is out of range."),
                },
                "proposals",
            ),
            "post": _post(
                "submitProposal",
                "Propose a change for review",
                "Computed and validated against the current graph at once; the live graph is "
                "unchanged. Answered 202 with the proposal (Location header), whether or not it "
                "passes validation (`validation.passes`, `validation.report`).",
                "propose",
                [MESSAGE],
                PROPOSAL_BODY,
                {
                    "202": _json("The stored proposal."),
                    "400": _problem("Malformed body, entity document or update."),
                    "413": _problem("The body or the update is too large."),
                    "422": _problem("The change changes nothing, or involves blank nodes."),
                },
            ),
        },
        "/api/v1/proposals/{id}": get_operation(
            "getProposal",
            "One proposal with its change",
            "The term-level diff (`diff`, with labels), the triples added and removed "
            "(N-Quads lines), the validation report and the original request.",
            [PROPOSAL_ID],
            {"200": _json("The proposal."), "404": _problem("No such proposal.")},
            "proposals",
        ),
        "/api/v1/proposals/{id}/approve": {
            "post": _post(
                "approveProposal",
                "Approve a proposal: apply it",
                "Applies the change through the write gate against the graph as it is now; the "
                "change record names the proposal and its author.",
                "review",
                [PROPOSAL_ID],
                None,
                {
                    "200": _json("The change (`change`, `href`, `version`, counts, warnings)."),
                    "404": _problem("No such proposal."),
                    "409": _problem(
                        "Decided already, or the graph moved and the change no longer applies "
                        "cleanly (`missing`, `present` list the triples at fault)."
                    ),
                    "422": _problem("Validation against the current graph failed (`errors`)."),
                },
            )
        },
        "/api/v1/proposals/{id}/reject": {
            "post": _post(
                "rejectProposal",
                "Reject a proposal",
                "Closes an open proposal with a reason; who and when are recorded.",
                "review",
                [PROPOSAL_ID],
                {
                    "type": "object",
                    "required": ["reason"],
                    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 2000}},
                },
                {
                    "200": _json("The rejected proposal."),
                    "400": _problem("No reason given."),
                    "404": _problem("No such proposal."),
                    "409": _problem("Decided already."),
                },
            )
        },
    }


def release_paths() -> dict:
    return {
        "/api/v1/releases": {
            "post": _post(
                "makeRelease",
                "Make a dated, immutable release of the live graph",
                "Writes /releases/{version}/: the content graphs as N-Quads and Turtle (gzip), "
                "a VoID description, a changelog against the previous release (terms added, "
                "changed, deprecated, removed, with labels) and a manifest. The version is "
                "today's UTC date, then .2, .3 for more the same day; the body may name it. "
                "Answered 201 with the manifest and Location.",
                "admin",
                [],
                {
                    "type": "object",
                    "properties": {
                        "version": {
                            "type": "string",
                            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}([.][1-9][0-9]{0,3})?$",
                            "description": "Today's date (UTC), optionally .N.",
                        }
                    },
                },
                {
                    "201": _json("The release's manifest with the files' links."),
                    "400": _problem("Malformed body, or a version that is not today's date[.N]."),
                    "409": _problem("That release exists already: releases are never rewritten."),
                },
                required=False,
            )
        }
    }


__all__ = ["proposal_paths", "release_paths"]
