"""The JSON API's documents: article references and articles, pages of items, and the JSON-LD
(schema.org) form of entity cards and articles."""

from __future__ import annotations

from kb.rdf import HK, KB, SCHEMA
from kb.read.description.card import claim_json
from kb.read.entities import CLAIM, entity_id, local_name
from kb.read.indexes import (
    Indexes,
)
from kb.read.related_model import Article

API_PREFIX = "/api/v1"


def article_ref(article: Article) -> dict:
    return {
        "id": entity_id(article.iri),
        "iri": article.iri,
        "title": article.title,
        "url": article.url,
        "summary": article.summary,
        "date": article.date or None,
    }


def article_json(indexes: Indexes, article: Article) -> dict:
    graph = indexes.graph
    out = article_ref(article)
    out["about"] = [graph.ref(c) for c in article.about]
    out["mentions"] = [graph.ref(c) for c in article.mentions]
    claims = set()
    sections = {s for p, s in graph.incoming.get(article.iri, []) if p == str(HK.sectionOf)}
    for target in (article.iri, *sections):
        for prop, subject in graph.incoming.get(target, []):
            if prop == str(HK.statedIn) and graph.is_a(subject, CLAIM):
                claims.add(subject)
    out["claims"] = [claim_json(graph, c) for c in sorted(claims)]
    out["links"] = {
        "self": f"{API_PREFIX}/articles/{out['id']}",
        "related": f"{API_PREFIX}/articles/{out['id']}/related",
    }
    return out


def _page(items: list, limit: int, offset: int) -> dict:
    return {
        "total": len(items),
        "limit": limit,
        "offset": offset,
        "items": items[offset : offset + limit],
    }


SCHEMA_TYPES = {
    "Condition": "MedicalCondition",
    "HairLossDisorder": "MedicalCondition",
    "AdverseEffect": "MedicalCondition",
    "Treatment": "MedicalTherapy",
    "Procedure": "TherapeuticProcedure",
    "Drug": "Drug",
    "Device": "MedicalDevice",
    "Study": "MedicalStudy",
    "RiskFactor": "MedicalRiskFactor",
    "Article": "MedicalWebPage",
    "Claim": "Claim",
}


def _ld_context() -> dict:
    return {
        "@vocab": str(SCHEMA),
        "schema": str(SCHEMA),
        "hk": str(HK),
        "kb": str(KB),
        "id": "@id",
    }


def json_ld(card: dict) -> dict:
    """The card as JSON-LD with schema.org terms (and hk: for relations schema.org lacks)."""
    types = [t.get("id") or t["iri"] for t in card["types"]]
    schema_types = sorted(
        {
            SCHEMA_TYPES[local_name(t["iri"])]
            for t in card["types"]
            if local_name(t["iri"]) in SCHEMA_TYPES
        }
    )
    doc: dict = {
        "@context": _ld_context(),
        "@id": card["iri"],
        "@type": [*schema_types, *[t for t in types if t and t.startswith("hk:")]],
        "name": card["label"],
        "identifier": card["id"],
    }
    if card["definition"]:
        doc["description"] = card["definition"]
    if card["synonyms"]:
        doc["alternateName"] = [s["text"] for s in card["synonyms"]]
    links = [x for x in card["xrefs"] if x["id"].startswith(("http://", "https://"))]
    same = [x["id"] for x in links if x["property"] != "rdfs:seeAlso"]
    see_also = [{"@id": x["id"]} for x in links if x["property"] == "rdfs:seeAlso"]
    codes = [x["id"] for x in card["xrefs"] if not x["id"].startswith(("http://", "https://"))]
    if see_also:
        doc["rdfs:seeAlso"] = see_also
    if same:
        doc["sameAs"] = same
    if codes:
        doc["code"] = [
            {
                "@type": "MedicalCode",
                "codingSystem": c.split(":", 1)[0],
                "codeValue": c.split(":", 1)[-1],
            }
            for c in codes
        ]
    for group in card["relations"]:
        if group["direction"] != "outgoing":
            continue
        key = group["property"]["id"]
        doc[key] = [
            {"@id": item["object"]["iri"], "name": item["object"]["label"]}
            for item in group["items"]
        ]
    return doc


def _json_ld_article(body: dict) -> dict:
    return {
        "@context": _ld_context(),
        "@id": body["iri"],
        "@type": "MedicalWebPage",
        "url": body["url"],
        "name": body["title"],
        "description": body["summary"],
        "datePublished": body["date"],
        "about": [{"@id": c["iri"], "name": c["label"]} for c in body["about"]],
        "mentions": [{"@id": c["iri"], "name": c["label"]} for c in body["mentions"]],
    }
