"""The OpenAPI paths and schemas of the change feed (``api/feed``, docs/feed.md), merged into
the JSON API's document by ``api.openapi.document.openapi_document``."""

from __future__ import annotations

from api.openapi.parts import get_operation, param, ref

SUBJECT = {
    "type": "object",
    "required": ["id", "iri"],
    "properties": {"id": {"type": "string"}, "iri": {"type": "string", "format": "uri"}},
}
ARTICLE = {
    "type": "object",
    "required": ["id", "iri", "url"],
    "properties": {
        "id": {"type": "string"},
        "iri": {"type": "string", "format": "uri"},
        "url": {"type": ["string", "null"], "description": "schema:url, when it has one."},
    },
}

FEED_SCHEMAS = {
    "ChangeEvent": {
        "type": "object",
        "description": "One committed change: the `data` of an `event: change` in the stream "
        "(whose `id` is `number`), an item of a page, and GET /api/v1/changes/{change}.",
        "required": ["number", "iri", "time", "author", "message", "added", "removed"],
        "properties": {
            "number": {"type": "integer", "minimum": 1},
            "iri": {"type": "string", "format": "uri"},
            "time": {"type": "string", "description": "ISO 8601, UTC."},
            "author": {"type": "string"},
            "message": {"type": "string"},
            "added": {"type": "integer", "description": "Asserted triples added."},
            "removed": {"type": "integer", "description": "Asserted triples removed."},
            "reverts": {"type": ["integer", "null"]},
            "version": {"type": "string", "description": "The dataset version it led to."},
            "subjectsRecorded": {
                "type": "boolean",
                "description": "False when the change touched too many subjects (or blank "
                "nodes) to list them: entities and articles are then empty.",
            },
            "entities": {"type": "array", "items": SUBJECT},
            "articles": {
                "type": "array",
                "items": ARTICLE,
                "description": "Articles touched directly or through one of their sections.",
            },
            "href": {"type": "string"},
        },
    },
    "ChangePage": {
        "type": "object",
        "required": ["since", "limit", "latest", "items"],
        "properties": {
            "since": {"type": "integer"},
            "limit": {"type": "integer"},
            "latest": {"type": "integer", "description": "The newest change number (0: none)."},
            "items": {"type": "array", "items": ref("ChangeEvent")},
            "next": {"type": "string", "description": "The next page, while there is one."},
        },
    },
}

_PROBLEM = {"application/problem+json": {"schema": ref("Problem")}}
CURSOR = {"type": "integer", "minimum": 0, "maximum": 10**12}


def feed_paths() -> dict:
    return {
        "/api/v1/changes": get_operation(
            "changeFeed",
            "The change feed: JSON pages, or Server-Sent Events",
            "The changes numbered above `since`, oldest first. With `Accept: "
            "text/event-stream`, a stream: a `retry:` hint, then one `event: change` per "
            "change (`id:` its number, `data:` a ChangeEvent), the missed ones first "
            "(after `Last-Event-ID`, else after `since`, else from now on), then live; "
            "`: heartbeat` comments; it ends after a while and the client reconnects with "
            "Last-Event-ID. A worker keeps a bounded number of streams: 503 past it.",
            [
                param("since", "query", "A change number: list the later ones.", CURSOR),
                param(
                    "limit",
                    "query",
                    "Changes per page (1-200, default 50).",
                    {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                ),
            ],
            {
                "200": {
                    "description": "A page of changes, or the event stream.",
                    "content": {
                        "application/json": {"schema": ref("ChangePage")},
                        "text/event-stream": {"schema": {"type": "string"}},
                    },
                },
                "400": {"description": "A bad since, limit or Last-Event-ID.", "content": _PROBLEM},
                "503": {
                    "description": "This worker holds as many streams as it may (Retry-After).",
                    "content": _PROBLEM,
                },
            },
            "changes",
        ),
        "/api/v1/changes/{change}": get_operation(
            "getChangeEvent",
            "One change as JSON, or as RDF Patch",
            "With `Accept: application/rdf-patch`, the change as one RDF Patch transaction "
            "(`H id`, `H prev`, `TX`, `D` and `A` quads with their graph names, the inferred "
            "graph included, `TC`): applied in order to the release, the patches give the "
            "live content graphs.",
            [param("change", "path", "Change number.", {"type": "integer", "minimum": 1})],
            {
                "200": {
                    "description": "The change.",
                    "content": {
                        "application/json": {"schema": ref("ChangeEvent")},
                        "application/rdf-patch": {"schema": {"type": "string"}},
                    },
                },
                "404": {"description": "No such change.", "content": _PROBLEM},
            },
            "changes",
        ),
    }
