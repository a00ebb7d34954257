"""The component schemas of the JSON API's OpenAPI document: entity references, cards, pages, typed
views, articles and problems."""

from __future__ import annotations

from api.openapi.parts import ref

NULLABLE_STRING = {"type": ["string", "null"]}


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
            "type": {
                "type": "string",
                "description": "Most specific class; `Article` for articles.",
            },
            "matched": {
                "type": "string",
                "description": "The label, synonym or article title that matched.",
            },
            "match": {
                "type": "string",
                "enum": ["exact", "prefix", "synonym", "words", "fuzzy"],
                "description": "`exact`: the query is the whole label or title; `prefix`: its "
                "start; `synonym`: a whole synonym or its start; `words`: the query starts at a "
                "later word of the text, or every word typed is one of its words (any order); "
                "`fuzzy`: within the typo distance (all normalised).",
            },
            "score": {"type": "number"},
            "url": {"type": "string", "description": "Articles only: the article's URL."},
            "deprecated": {
                "type": "boolean",
                "description": "Only with includeDeprecated=true: the term is deprecated.",
            },
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
            "deprecated": {"type": "boolean"},
            "replacedBy": {
                "oneOf": [ref("EntityRef"), {"type": "null"}],
                "description": "A deprecated term's successor (also sent as "
                '`Link: <iri>; rel="successor-version"`); its articles count as the '
                "successor's in related content.",
            },
            "deprecationReason": NULLABLE_STRING,
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
        "required": ["score", "pinned", "reasons"],
        "properties": {
            "score": {
                "type": ["number", "null"],
                "exclusiveMinimum": 0,
                "description": "null for an article the editors pinned (`pinned`: true), "
                "which comes first with the reason 'chosen by the editors'.",
            },
            "pinned": {"type": "boolean"},
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
