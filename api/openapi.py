"""The OpenAPI 3.1 document of the JSON API, and a small self-contained docs page built from it.

The document is written here by hand, next to the routes in ``api/rest.py``; the contract
tests (schemathesis, ``tests/test_api_contract.py``) check every route against it on a live
server, so the two cannot drift apart silently.
"""

from __future__ import annotations

import html
from functools import lru_cache

from flask import json

from api.openapi_editing import SECURITY_SCHEMES, editing_paths
from api.openapi_parts import get_operation, param, ref

ID_PATTERN = r"^(hk:)?[A-Za-z0-9][A-Za-z0-9._~-]{0,199}$"

NULLABLE_STRING = {"type": ["string", "null"]}


ID_PARAM = param(
    "id",
    "path",
    "Entity id: the name after `https://w3id.org/hairkg/id/` (or `hk:Name` for ontology terms).",
    {"type": "string", "pattern": ID_PATTERN, "maxLength": 203},
    example="microneedling",
)
ARTICLE_ID_PARAM = param(
    "id",
    "path",
    "Article id: the name after `https://w3id.org/hairkg/id/`.",
    {"type": "string", "pattern": ID_PATTERN, "maxLength": 203},
    example="microneedling-for-hair-loss",
)


def _page_params(default: int, maximum: int, max_offset: int = 10_000) -> list[dict]:
    return [
        param(
            "limit",
            "query",
            f"Items per page (1-{maximum}).",
            {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
        ),
        param(
            "offset",
            "query",
            "Items to skip.",
            {"type": "integer", "minimum": 0, "maximum": max_offset, "default": 0},
        ),
    ]


def _problem(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": ref("Problem")}},
    }


def _ok(schema_name: str, description: str, *, json_ld: bool = False) -> dict:
    content = {"application/json": {"schema": ref(schema_name)}}
    if json_ld:
        content["application/ld+json"] = {"schema": ref("JsonLd")}
    return {
        "description": description,
        "headers": {
            "ETag": {"schema": {"type": "string"}, "description": "Changes when the KB changes."},
            "Cache-Control": {"schema": {"type": "string"}},
        },
        "content": content,
    }


def _responses(schema_name: str, description: str, *, not_found=True, json_ld=False) -> dict:
    responses = {
        "200": _ok(schema_name, description, json_ld=json_ld),
        "304": {"description": "Not modified: the If-None-Match ETag is current."},
        "400": _problem("A parameter is malformed (named in `invalid-params`)."),
        "422": _problem("A parameter is well-formed but out of range (named in `invalid-params`)."),
    }
    if not_found:
        responses["404"] = _problem("No such entity or article.")
    if json_ld:
        responses["406"] = _problem("None of the offered media types is acceptable.")
    return responses


ENTITY_REF = {
    "type": "object",
    "required": ["iri", "label"],
    "properties": {
        "id": NULLABLE_STRING,
        "iri": {"type": "string"},
        "label": {"type": "string"},
        "type": {"type": "string"},
    },
}
LOOSE_OBJECT = {"type": "object"}


def _page_schema(item: dict, extra: dict | None = None) -> dict:
    properties = {
        "total": {"type": "integer", "minimum": 0},
        "limit": {"type": "integer"},
        "offset": {"type": "integer"},
        "items": {"type": "array", "items": item},
    }
    properties.update(extra or {})
    return {
        "type": "object",
        "required": ["total", "limit", "offset", "items"],
        "properties": properties,
    }


def _view_schema(
    asked: str,
    item: str,
    linked: str,
    *,
    required: list[str] | None = None,
    details: dict | None = None,
) -> dict:
    """A page of a typed view of the entity ``asked`` about: each item an entity ``item``
    with its ``details``, the evidence level and claims behind it, and the entities
    ``linked`` to it."""
    return _page_schema(
        {
            "type": "object",
            "required": required if required is not None else [item, linked],
            "properties": {
                item: ref("EntityRef"),
                **(details or {}),
                "evidenceLevel": {},
                "claims": {"type": "array", "items": ref("Claim")},
                linked: {"type": "array", "items": ref("EntityRef")},
            },
        },
        {asked: ref("EntityRef")},
    )


ARTICLE = {
    "type": "object",
    "required": ["id", "iri", "title", "url", "summary"],
    "properties": {
        "id": NULLABLE_STRING,
        "iri": {"type": "string"},
        "title": {"type": "string"},
        "url": {"type": "string"},
        "summary": {"type": "string"},
        "date": NULLABLE_STRING,
    },
}

SCHEMAS = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "invalid-params": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "reason"],
                    "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
                },
            },
        },
    },
    "EntityRef": ENTITY_REF,
    "SearchHit": {
        "type": "object",
        "required": ["id", "iri", "label", "type", "matched", "match", "score"],
        "properties": {
            "id": {"type": "string"},
            "iri": {"type": "string"},
            "label": {"type": "string"},
            "type": {"type": "string"},
            "matched": {"type": "string", "description": "The label or synonym that matched."},
            "match": {"type": "string", "enum": ["exact", "prefix", "synonym", "fuzzy"]},
            "score": {"type": "number"},
        },
    },
    "SearchResult": _page_schema(
        ref("SearchHit"), {"query": {"type": "string"}, "type": NULLABLE_STRING}
    ),
    "EntityCard": {
        "type": "object",
        "required": ["id", "iri", "label", "types", "synonyms", "xrefs", "relations", "sources"],
        "properties": {
            "id": NULLABLE_STRING,
            "iri": {"type": "string"},
            "label": {"type": "string"},
            "type": NULLABLE_STRING,
            "types": {"type": "array", "items": ref("EntityRef")},
            "definition": NULLABLE_STRING,
            "synonyms": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["text", "scope"],
                    "properties": {"text": {"type": "string"}, "scope": {"type": "string"}},
                },
            },
            "xrefs": {"type": "array", "items": LOOSE_OBJECT},
            "relations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["property", "direction", "items"],
                    "properties": {
                        "property": LOOSE_OBJECT,
                        "direction": {"type": "string", "enum": ["outgoing", "incoming"]},
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["subject", "object"],
                                "properties": {
                                    "subject": ref("EntityRef"),
                                    "object": ref("EntityRef"),
                                },
                            },
                        },
                    },
                },
            },
            "attributes": {"type": "array", "items": LOOSE_OBJECT},
            "sources": {"type": "array", "items": ref("Claim")},
            "corrections": {"type": "array", "items": LOOSE_OBJECT},
            "articles": LOOSE_OBJECT,
        },
        "description": "The card of a concept; for an article id, the article (as in "
        "/articles/{id}) with `type: Article`.",
    },
    "Claim": {
        "type": "object",
        "required": ["iri", "label"],
        "properties": {
            "id": NULLABLE_STRING,
            "iri": {"type": "string"},
            "label": {"type": "string"},
            "text": {"type": "string"},
            "statedIn": {"type": "array"},
            "supportedBy": {"type": "array"},
            "evidenceLevel": {},
            "status": {
                "type": ["string", "null"],
                "description": "Supported, Disputed or Corrected: only a supported claim is "
                "asserted as fact",
            },
            "certainty": {},
            "population": {"type": "array"},
            "provenance": LOOSE_OBJECT,
            "corrections": {"type": "array"},
        },
    },
    "JsonLd": {
        "type": "object",
        "required": ["@context", "@id"],
        "properties": {"@context": LOOSE_OBJECT, "@id": {"type": "string"}},
    },
    "Article": ARTICLE,
    "ArticleDetail": {
        "allOf": [ARTICLE],
        "type": "object",
        "required": ["about", "mentions", "claims"],
        "properties": {
            "about": {"type": "array", "items": ref("EntityRef")},
            "mentions": {"type": "array", "items": ref("EntityRef")},
            "claims": {"type": "array", "items": ref("Claim")},
        },
    },
    "ArticleList": _page_schema(ref("Article")),
    "EntityArticles": _page_schema(
        {"allOf": [ARTICLE], "properties": {"role": {"enum": ["about", "mentions"]}}},
        {"entity": ref("EntityRef"), "role": NULLABLE_STRING},
    ),
    "RelatedItem": {
        "allOf": [ARTICLE],
        "type": "object",
        "required": ["score", "reasons"],
        "properties": {
            "score": {"type": "number", "exclusiveMinimum": 0},
            "reasons": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
    },
    "RelatedResult": {
        "type": "object",
        "required": ["article", "limit", "offset", "count", "hasMore", "items"],
        "properties": {
            "article": ref("Article"),
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "count": {"type": "integer"},
            "hasMore": {"type": "boolean"},
            "items": {"type": "array", "items": ref("RelatedItem")},
        },
    },
    "TreatmentsView": _view_schema(
        "condition",
        "treatment",
        "adverseEffects",
        details={"certainty": {}, "population": {"type": "array", "items": {}}},
    ),
    "AdverseEffectsView": _view_schema("treatment", "adverseEffect", "riskFactors"),
    "MechanismsView": _view_schema(
        "treatment",
        "mechanism",
        "involvedIn",
        required=["mechanism"],
        details={"definition": NULLABLE_STRING},
    ),
}


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    paths = {
        "/api/v1/search": get_operation(
            "search",
            "Autocomplete over labels and synonyms",
            "Prefix, case- and accent-insensitive, typo-tolerant. Ranked: exact label > "
            "label prefix > synonym > fuzzy; ties by label then id.",
            [
                param(
                    "q",
                    "query",
                    "Text typed so far (1-200 characters).",
                    {"type": "string", "minLength": 1, "maxLength": 200},
                    required=True,
                    example="minoxidl",
                ),
                param(
                    "type",
                    "query",
                    "Only entities of this class (local name, e.g. `Treatment`, `Condition`; "
                    "case-insensitive). A class with no entities gives an empty page.",
                    {"type": "string", "pattern": "^(hk:)?[A-Za-z][A-Za-z0-9]{0,63}$"},
                ),
                *_page_params(10, 50, 1000),
            ],
            _responses("SearchResult", "Ranked hits.", not_found=False),
            "search",
        ),
        "/api/v1/entities/{id}": get_operation(
            "getEntity",
            "Entity card",
            "Identity, types, definition, synonyms, cross-references, relations grouped by "
            "property (both ends labelled), sources (claims with provenance), corrections. "
            "JSON-LD with a schema.org context when `Accept: application/ld+json`.",
            [ID_PARAM],
            _responses("EntityCard", "The entity card.", json_ld=True),
            "entities",
        ),
        "/api/v1/entities/{id}/articles": get_operation(
            "getEntityArticles",
            "Articles about or mentioning an entity",
            "Articles tagged with the entity, `about` first, then by URL.",
            [
                ID_PARAM,
                param(
                    "role",
                    "query",
                    "Only this tag.",
                    {"type": "string", "enum": ["about", "mentions"]},
                ),
                *_page_params(20, 100),
            ],
            _responses("EntityArticles", "Articles."),
            "entities",
        ),
        "/api/v1/conditions/{id}/treatments": get_operation(
            "getConditionTreatments",
            "Treatments for a condition",
            "With the evidence level of the claims behind each and its adverse effects.",
            [ID_PARAM, *_page_params(50, 200)],
            _responses("TreatmentsView", "Treatments."),
            "views",
        ),
        "/api/v1/treatments/{id}/adverse-effects": get_operation(
            "getTreatmentAdverseEffects",
            "Adverse effects of a treatment",
            "With their risk factors and evidence level.",
            [ID_PARAM, *_page_params(50, 200)],
            _responses("AdverseEffectsView", "Adverse effects."),
            "views",
        ),
        "/api/v1/treatments/{id}/mechanisms": get_operation(
            "getTreatmentMechanisms",
            "Mechanisms a treatment acts through",
            "With definitions and the conditions each mechanism is involved in.",
            [ID_PARAM, *_page_params(50, 200)],
            _responses("MechanismsView", "Mechanisms."),
            "views",
        ),
        "/api/v1/articles": get_operation(
            "listArticles",
            "Articles",
            "Newest first, then by URL.",
            [
                param(
                    "about",
                    "query",
                    "Only articles about this entity id.",
                    {"type": "string", "pattern": ID_PATTERN, "maxLength": 203},
                ),
                *_page_params(20, 100),
            ],
            _responses("ArticleList", "Articles.", not_found=False),
            "articles",
        ),
        "/api/v1/articles/{id}": get_operation(
            "getArticle",
            "One article",
            "With its `about` / `mentions` concepts and the claims it states.",
            [ARTICLE_ID_PARAM],
            _responses("ArticleDetail", "The article."),
            "articles",
        ),
        "/api/v1/articles/{id}/related": get_operation(
            "getArticleRelated",
            "Related articles",
            "Ranked by shared and ontology-linked concepts (see /api/v1/related).",
            [ARTICLE_ID_PARAM, *_page_params(5, 50, 200)],
            _responses("RelatedResult", "Ranked related articles."),
            "related",
        ),
        "/api/v1/related": get_operation(
            "getRelatedByUrl",
            "Related articles for an article URL",
            "Other articles ranked by the concepts they share with this one: `about` counts "
            "more than `mentions`, rare concepts more than common ones, and concepts linked "
            "through hk:treats / hk:actsThrough / hk:mechanismInvolvedIn / skos:broader count "
            "with lower weight. Each item has a score and human-readable reasons. Ties are "
            "broken by URL. An unknown URL is a 404.",
            [
                param(
                    "url",
                    "query",
                    "The article's URL (schema:url); scheme and host are case-insensitive, a "
                    "trailing slash and a fragment are ignored.",
                    {
                        "type": "string",
                        "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]+",
                        "maxLength": 2048,
                    },
                    required=True,
                    example="https://example.org/article",
                ),
                *_page_params(5, 50, 200),
            ],
            _responses("RelatedResult", "Ranked related articles."),
            "related",
        ),
    }
    from api.suggest import openapi_operation as suggest_operation

    paths["/api/v1/suggest"] = suggest_operation()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hairkg JSON API",
            "version": "1.0.0",
            "description": "Entity cards, autocomplete, typed views and related content over "
            "the hairkg knowledge graph. Read-only; CORS open; ETags change when the "
            "knowledge base changes; errors are RFC 9457 problem documents.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "search"},
            {"name": "entities"},
            {"name": "views"},
            {"name": "articles"},
            {"name": "related"},
        ],
        "paths": {**paths, **editing_paths()},
        "components": {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
    }


def docs_html() -> str:
    """A readable page generated from the OpenAPI document (no JavaScript needed)."""
    doc = openapi_document()
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc(doc['info']['title'])} - reference</title>",
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;color:#1b1b1b}code,pre{font-family:ui-monospace,monospace;"
        "background:#f3f3f3;padding:.1em .3em;border-radius:3px}section{border-top:1px solid "
        "#ddd;padding:.5rem 0}h2{font-size:1.15rem}.m{color:#fff;background:#1a6;padding:"
        ".1em .4em;border-radius:3px;font-size:.85em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}"
        "</style></head><body>",
        f"<h1>{esc(doc['info']['title'])}</h1><p>{esc(doc['info']['description'])}</p>",
        "<p>Machine-readable: <a href='/api/v1/openapi.json'>/api/v1/openapi.json</a> "
        "(OpenAPI 3.1). Guide: <code>docs/api.md</code>.</p><nav aria-label='Endpoints'><ul>",
    ]
    operations = [(p, m, op) for p, item in doc["paths"].items() for m, op in item.items()]
    for path, method, op in operations:
        parts.append(
            f"<li><a href='#{esc(op['operationId'])}'>{method.upper()} {esc(path)}</a></li>"
        )
    parts.append("</ul></nav><main>")
    for path, method, op in operations:
        parts.append(
            f"<section id='{esc(op['operationId'])}'><h2><span class='m'>{method.upper()}</span> "
            f"<code>{esc(path)}</code> — {esc(op['summary'])}</h2><p>{esc(op['description'])}</p>"
        )
        parts.append(
            "<table><tr><th>parameter</th><th>in</th><th>schema</th><th>description</th></tr>"
        )
        for p in op["parameters"]:
            required = " (required)" if p.get("required") else ""
            parts.append(
                f"<tr><td><code>{esc(p['name'])}</code>{required}</td><td>{esc(p['in'])}</td>"
                f"<td><code>{esc(json.dumps(p['schema']))}</code></td>"
                f"<td>{esc(p['description'])}</td></tr>"
            )
        parts.append("</table><p>Responses: ")
        parts.append(
            ", ".join(
                f"<code>{esc(code)}</code> {esc(r['description'])}"
                for code, r in op["responses"].items()
            )
        )
        parts.append("</p></section>")
    parts.append("</main></body></html>")
    return "".join(parts)
