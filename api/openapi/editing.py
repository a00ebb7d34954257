"""The OpenAPI paths of the editor API and the history (``api/editing.py``), merged into the
JSON API's document by ``api.openapi.document.openapi_document``. Writes need a bearer token with
the
``write`` scope; see docs/editing.md."""

from __future__ import annotations

from api.openapi.parts import get_operation, param

ENTITY_ID = param(
    "id",
    "path",
    "Entity id (the name after `https://w3id.org/hairkg/id/`).",
    {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,119}$"},
)
CHANGE_ID = param(
    "change",
    "path",
    "Change number (see GET /api/v1/history).",
    {"type": "integer", "minimum": 1},
)
MESSAGE = param(
    "X-Change-Message",
    "header",
    "Message recorded in the history (or `message` in the JSON body).",
    {"type": "string", "maxLength": 2000},
)
IF_MATCH = param(
    "If-Match",
    "header",
    "The entity's ETag as read: the write is refused (412) if it changed since.",
    {"type": "string"},
)
ENTITY_DOCUMENT = {
    "type": "object",
    "description": "An entity document: names are CURIEs, IRIs or entity ids.",
    "properties": {
        "id": {"type": "string"},
        "types": {"type": "array", "items": {"type": "string"}},
        "label": {"type": "string"},
        "definition": {"type": "string"},
        "definitionSource": {"type": "array", "items": {"type": "string"}},
        "synonyms": {"type": "array"},
        "xrefs": {"type": "array", "items": {"type": "string"}},
        "relations": {"type": "object"},
        "attributes": {"type": "object"},
        "sources": {"type": "array", "items": {"type": "string"}},
        "claims": {
            "type": "array",
            "description": "The entity's claims (it is their rdf:subject); a clinical relation "
            "such as hk:treats is refused without its supported claim. Giving claims replaces "
            "them all.",
            "items": {
                "type": "object",
                "required": ["predicate", "object", "statedIn", "evidenceLevel", "certainty"],
                "properties": {
                    "predicate": {"type": "string"},
                    "object": {"type": "string"},
                    "status": {"type": "string", "enum": ["supported", "disputed", "corrected"]},
                    "statedIn": {"type": "array", "items": {"type": "string"}},
                    "supportedBy": {"type": "array", "items": {"type": "string"}},
                    "consistentWith": {"type": "array", "items": {"type": "string"}},
                    "disputedBy": {"type": "array", "items": {"type": "string"}},
                    "evidenceLevel": {"type": "string"},
                    "certainty": {
                        "type": "string",
                        "enum": ["high", "moderate", "low", "very low"],
                    },
                    "population": {"type": "array", "items": {"type": "string"}},
                    "quote": {"type": "string"},
                    "caveat": {"type": "string"},
                    "note": {"type": "string"},
                    "label": {"type": "string"},
                    "negated": {"type": "boolean"},
                },
            },
        },
        "message": {"type": "string"},
    },
}
ARTICLE_DOCUMENT = {
    "type": "object",
    "required": ["url", "title", "about"],
    "properties": {
        "id": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "summary": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "about": {"type": "array", "items": {"type": "string"}},
        "mentions": {"type": "array", "items": {"type": "string"}},
        "author": {"type": "array", "items": {"type": "string"}},
        "reviewedBy": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The medical reviewer(s): a name or a person's IRI.",
        },
        "lastReviewed": {
            "type": "string",
            "format": "date",
            "description": "The date of the last medical review (needs reviewedBy).",
        },
        "message": {"type": "string"},
    },
}


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"type": "object"}}},
    }


def _write(op_id, summary, description, params, body_schema, ok: dict) -> dict:
    responses = {
        **ok,
        "400": _problem("The document is malformed (named in `invalid-params`)."),
        "401": _problem("No or unknown bearer token."),
        "403": _problem("The token lacks the `write` scope."),
        "409": _problem("Conflict (exists already, or the store kept changing)."),
        "412": _problem("If-Match does not match the entity's current ETag."),
        "413": _problem("The body is over the write limit."),
        "415": _problem("Send application/json."),
        "422": _problem("Validation rejected the change; `errors` lists rule, node, message."),
        "503": {
            **_problem(
                "Nothing was written; try again after Retry-After: another write (through "
                "this host or another host on the same store: the store's write lease) held "
                "the write lock too long, the store is unavailable, or the host's reasoner "
                "process (HermiT, shared by the workers) could not be reached."
            ),
            "headers": {
                "Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer"},
                }
            },
        },
    }
    op = {
        "operationId": op_id,
        "summary": summary,
        "description": description,
        "tags": ["editing"],
        "security": [{"bearer": []}],
        "parameters": params,
        "responses": responses,
    }
    if body_schema is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body_schema}},
        }
    return op


CHANGE_OK = {"description": "Accepted: the change, the new version, warnings and the entity."}


def editing_paths() -> dict:
    return {
        "/api/v1/edit/entities": {
            "post": _write(
                "createEntity",
                "Create an entity",
                "Validated before it is committed; recorded in the history.",
                [MESSAGE],
                ENTITY_DOCUMENT,
                {"201": CHANGE_OK},
            )
        },
        "/api/v1/edit/entities/{id}": {
            **get_operation(
                "getEntityDocument",
                "The editable document of an entity, with its ETag",
                "Send the ETag back as If-Match when writing.",
                [ENTITY_ID],
                {
                    "200": {"description": "The entity document (ETag header)."},
                    "404": _problem("No such entity."),
                },
                "editing",
            ),
            "put": _write(
                "replaceEntity",
                "Replace an entity's description",
                "The entity's triples in the KB graph become exactly the document.",
                [ENTITY_ID, IF_MATCH, MESSAGE],
                ENTITY_DOCUMENT,
                {"200": CHANGE_OK, "201": CHANGE_OK},
            ),
            "patch": _write(
                "patchEntity",
                "Change parts of an entity",
                "Each key given replaces that part; in relations/attributes each property given.",
                [ENTITY_ID, IF_MATCH, MESSAGE],
                ENTITY_DOCUMENT,
                {"200": CHANGE_OK, "404": _problem("No such entity.")},
            ),
        },
        "/api/v1/edit/entities/{id}/deprecate": {
            "post": _write(
                "deprecateEntity",
                "Deprecate an entity",
                "owl:deprecated true, IAO:0100001 replaced-by, 'obsolete ' label; the IRI stays.",
                [ENTITY_ID, IF_MATCH, MESSAGE],
                {
                    "type": "object",
                    "properties": {"replacedBy": {"type": "string"}, "reason": {"type": "string"}},
                },
                {"200": CHANGE_OK},
            )
        },
        "/api/v1/edit/articles": {
            "post": _write(
                "registerArticle",
                "Register an article",
                "url, title, summary, date, about and mentions.",
                [MESSAGE],
                ARTICLE_DOCUMENT,
                {"201": CHANGE_OK},
            )
        },
        "/api/v1/history": get_operation(
            "listChanges",
            "Accepted changes, newest first",
            "Who, when, message, and how many triples were added/removed.",
            [
                {
                    "name": "limit",
                    "in": "query",
                    "description": "Changes per page (1-200, default 20).",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                },
                {
                    "name": "offset",
                    "in": "query",
                    "description": "Changes to skip.",
                    "schema": {"type": "integer", "minimum": 0, "maximum": 1000000},
                },
            ],
            {
                "200": {"description": "total, limit, offset, items, next"},
                "400": _problem("A parameter is out of range."),
            },
            "history",
        ),
        "/api/v1/history/{change}": get_operation(
            "getChange",
            "One change with the triples it added and removed",
            "The triples as N-Quads lines.",
            [CHANGE_ID],
            {"200": {"description": "The change."}, "404": _problem("No such change.")},
            "history",
        ),
        "/api/v1/history/{change}/revert": {
            "post": _write(
                "revertChange",
                "Undo a change",
                "Applies the inverse change through the same gate; recorded as a new change.",
                [CHANGE_ID, MESSAGE],
                None,
                {"200": CHANGE_OK, "404": _problem("No such change.")},
            )
        },
    }


SECURITY_SCHEMES = {"bearer": {"type": "http", "scheme": "bearer"}}


# -- curation (issue 17, parts 2 and 3: api.views.editorial.curation) ---------------------------

ARTICLE_ID = param(
    "id",
    "path",
    "Article id (the name after `https://w3id.org/hairkg/id/`).",
    {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,119}$"},
)
TARGET_ID = param(
    "target",
    "path",
    "Id of the entity that takes over the merged one's content.",
    {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,119}$"},
)
ARTICLE_IDS = {
    "type": "array",
    "maxItems": 50,
    "uniqueItems": True,
    "items": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,119}$"},
}
PICKS = {
    "type": "object",
    "required": ["article", "pinned", "blocked"],
    "properties": {
        "article": {"type": "string"},
        "pinned": {"type": "array", "items": {"type": "string"}},
        "blocked": {"type": "array", "items": {"type": "string"}},
    },
}


def curation_paths() -> dict:
    return {
        "/api/v1/edit/entities/{id}/merge-into/{target}": {
            "post": _write(
                "mergeEntity",
                "Merge an entity into another",
                "Moves every triple pointing at the entity (links, article tags, claims' "
                "subjects and objects), its synonyms (its label as an exact synonym), "
                "cross-references and links to the target, and deprecates it with the target "
                "as its successor: one validated change, recorded and revertible. 404: unknown "
                "id; 409: either term is deprecated; 422: into itself, or incompatible types.",
                [ENTITY_ID, TARGET_ID, MESSAGE],
                None,
                {
                    "200": {"description": "The change, what moved, and the target's document."},
                    "404": _problem("No such entity."),
                },
            )
        },
        "/api/v1/edit/articles/{id}/related": {
            **get_operation(
                "getRelatedPicks",
                "The editors' picks of an article's related content",
                "The articles pinned first (in order) and those never shown.",
                [ARTICLE_ID],
                {
                    "200": {
                        "description": "The picks.",
                        "content": {"application/json": {"schema": PICKS}},
                    },
                    "404": _problem("No such article."),
                },
                "editing",
            ),
            "put": _write(
                "putRelatedPicks",
                "Set the editors' picks of an article's related content",
                "Replaces the picks: the related answer shows the pinned articles first, in "
                "order, with the reason 'chosen by the editors', never the blocked ones, and "
                "fills the rest from the ranking. 422 (nothing stored): an unknown article id, "
                "an article pinned and blocked, the article itself, a duplicate.",
                [ARTICLE_ID, MESSAGE],
                {
                    "type": "object",
                    "properties": {
                        "pinned": ARTICLE_IDS,
                        "blocked": ARTICLE_IDS,
                        "message": {"type": "string"},
                    },
                },
                {"200": CHANGE_OK, "404": _problem("No such article.")},
            ),
        },
    }
