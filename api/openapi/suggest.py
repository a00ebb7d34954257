"""The OpenAPI path item of tag suggestions (``api/views/suggest.py``), merged into the JSON
API's document by ``api.openapi.document``."""

from __future__ import annotations

from api.views.suggest import JSON, MAX_BODY_BYTES, TEXT_PATTERN
from kb.suggest.engine import (
    ABOUT,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    MENTIONS,
)


def openapi_operation() -> dict:
    """The OpenAPI 3.1 path item of ``POST /api/v1/suggest`` (added by ``api.openapi.document``)."""
    string = {"type": "string"}
    problem = {
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    }
    span = {
        "type": "object",
        "required": ["field", "offset", "length", "surface", "match", "block", "contrasted"],
        "properties": {
            "field": {"enum": ["title", "text"]},
            "offset": {"type": "integer", "minimum": 0},
            "length": {"type": "integer", "minimum": 1},
            "surface": string,
            "matched": string,
            "match": string,
            "block": {"enum": ["title", "heading", "body"]},
            "contrasted": {"type": "boolean"},
            "resolution": string,
        },
    }
    concept = {
        "type": "object",
        "required": ["id", "iri", "label", "type", "role", "score", "explanation", "spans"],
        "properties": {
            "id": string,
            "iri": string,
            "label": string,
            "type": string,
            "role": {"enum": [ABOUT, MENTIONS]},
            "score": {"type": "number", "minimum": 0, "maximum": 1},
            "explanation": {
                "type": "object",
                "required": ["summary", "reasons"],
                "properties": {
                    "summary": string,
                    "reasons": {"type": "array", "items": string},
                },
            },
            "spans": {"type": "array", "items": span},
        },
    }
    result = {
        "type": "object",
        "required": ["about", "mentions", "concepts", "unresolved", "document", "words"],
        "properties": {
            "url": {"type": ["string", "null"]},
            "words": {"type": "integer", "minimum": 0},
            "about": {"type": "array", "items": string},
            "mentions": {"type": "array", "items": string},
            "concepts": {"type": "array", "items": concept},
            "unresolved": {"type": "array", "items": {"type": "object"}},
            "document": {
                "type": "object",
                "required": ["kind", "title", "text", "headings"],
                "properties": {
                    "kind": {"enum": ["text", "html"]},
                    "title": string,
                    "text": string,
                    "headings": {"type": "array", "items": {"type": "object"}},
                },
            },
            "datasetVersion": string,
        },
    }
    body = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "title": {"type": "string", "maxLength": MAX_TITLE_CHARS, "pattern": TEXT_PATTERN},
            # No maxLength: text or html above MAX_TEXT_CHARS is answered 413, not 422.
            "text": {"type": "string", "pattern": TEXT_PATTERN},
            "url": {
                "type": "string",
                "maxLength": 2048,
                "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\u0000-\\u001f]*$",
            },
            "html": {"type": "string", "pattern": TEXT_PATTERN},
        },
        "oneOf": [{"required": ["text"]}, {"required": ["html"]}],
    }
    return {
        "post": {
            "operationId": "suggestTags",
            "summary": "Suggest the concepts an article is about or mentions",
            "description": (
                'Send {"title", "text"} (plain text or Markdown) or {"url", "html"}. Answers the '
                "concepts of the knowledge base the article names, each with id, label, type, "
                "matched spans (offsets in code points into `document.text` or the title), a "
                "score and a proposed role with its explanation. Nothing is written: "
                "POST /api/v1/suggest/accept registers the confirmed tags through the write "
                f"API. Text or HTML above {MAX_TEXT_CHARS} characters, or a body above "
                f"{MAX_BODY_BYTES} bytes, is 413."
            ),
            "tags": ["suggest"],
            "parameters": [],
            "requestBody": {"required": True, "content": {JSON: {"schema": body}}},
            "responses": {
                "200": {
                    "description": "The suggestions.",
                    "content": {JSON: {"schema": result}},
                },
                "400": {"description": "Not JSON, not UTF-8, or binary data.", **problem},
                "413": {"description": "Too large.", **problem},
                "415": {"description": "Not application/json.", **problem},
                "422": {"description": "Wrong fields or types (`invalid-params`).", **problem},
                "503": {"description": "The knowledge base is not available.", **problem},
            },
        }
    }
