"""The OpenAPI 3.1 document of the JSON API, and a small self-contained docs page built from it.

The document is written here by hand, next to the routes in ``api/rest.py``; the contract
tests (schemathesis, ``tests/http/test_api_contract.py``) check every route against it on a live
server, so the two cannot drift apart silently.
"""

from __future__ import annotations

from functools import lru_cache

from api.openapi.editing import SECURITY_SCHEMES, curation_paths, editing_paths
from api.openapi.editorial import proposal_paths, release_paths
from api.openapi.feed import FEED_SCHEMAS, feed_paths
from api.openapi.parts import get_operation, param, ref
from api.openapi.schemas import SCHEMAS
from kb.rdf import ID_PATTERN as SERVED_ID

ID_PATTERN = rf"^(hk:)?{SERVED_ID.pattern}$"


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


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    paths = {
        "/api/v1/search": get_operation(
            "search",
            "Autocomplete over labels, synonyms and article titles",
            "Prefix, case- and accent-insensitive, typo-tolerant; articles are found by their "
            "title (`type=Article`). Ranked: whole label or title > whole synonym > label or "
            "title prefix > synonym prefix > words > fuzzy; ties by score, label, then id.",
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
                    "Only entities of this class (local name, e.g. `Treatment`, `Condition`, "
                    "`Article`; case-insensitive). A class with no entities gives an empty page.",
                    {"type": "string", "pattern": "^(hk:)?[A-Za-z][A-Za-z0-9]{0,63}$"},
                ),
                param(
                    "includeDeprecated",
                    "query",
                    "`true`: deprecated terms too (marked `deprecated`); left out by default.",
                    {"type": "string", "enum": ["true", "false"]},
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
    from api.openapi.suggest import openapi_operation as suggest_operation

    paths["/api/v1/suggest"] = suggest_operation()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hairkg JSON API",
            "version": "1.0.0",
            "description": "Entity cards, autocomplete, typed views and related content over "
            "the hairkg knowledge graph, tag suggestions, and the editors' write endpoints. "
            "Reads need no token and are open to every origin (CORS); writes need a bearer "
            "token with the `write` scope and are recorded in the history. ETags change "
            "when the knowledge base changes; errors are RFC 9457 problem documents.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "search"},
            {"name": "entities"},
            {"name": "views"},
            {"name": "articles"},
            {"name": "related"},
            {"name": "proposals"},
            {"name": "changes"},
        ],
        "paths": {
            **paths,
            **editing_paths(),
            **curation_paths(),
            **proposal_paths(),
            **release_paths(),
            **feed_paths(),
        },
        "components": {
            "schemas": {**SCHEMAS, **FEED_SCHEMAS},
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
