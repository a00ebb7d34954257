"""The JSON API's entity card: an ``EntityDescription`` as JSON (identity, types, definition,
synonyms, cross-references, deprecation, relations, attributes, claims with their sources and
the editors' verdict, corrections, links, article counts)."""

from __future__ import annotations

from kb.rdf import compact
from kb.read.description.build import describe, describe_claim
from kb.read.description.model import Claim, Correction, EntityDescription, Ref, Value
from kb.read.entities import ConceptGraph, local_name


def entity_card(
    graph: ConceptGraph, iri: str, article_counts: tuple[int, int] | None = None
) -> dict:
    """The card of one entity, from the read indexes' graph."""
    return card_json(describe(graph, iri), article_counts)


def claim_json(graph: ConceptGraph, claim: str) -> dict:
    return claim_document(describe_claim(graph, claim))


def ref_json(ref: Ref) -> dict:
    out = {"id": ref.id, "iri": ref.iri, "label": ref.label}
    if ref.type:
        out["type"] = ref.type
    return out


def value_json(value: Value) -> dict:
    if isinstance(value, Ref):
        return {"blankNode": True} if value.blank else ref_json(value)
    out = {"value": value.value}
    if value.language:
        out["language"] = value.language
    elif value.datatype:
        out["datatype"] = compact(value.datatype)
    return out


def card_json(description: EntityDescription, article_counts: tuple[int, int] | None) -> dict:
    me = ref_json(description.ref)
    name = description.ref.id
    synonyms: list[dict] = []
    for synonym in description.synonyms:
        for scope in synonym.scopes:
            entry = {"text": synonym.text, "scope": scope}
            if entry not in synonyms:
                synonyms.append(entry)
    xrefs: list[dict] = []
    for xref in description.xrefs:
        for raw, prop in xref.names:
            if raw not in [x["id"] for x in xrefs]:
                xrefs.append({"id": raw, "property": prop})
    card: dict = {
        "id": name,
        "iri": description.iri,
        "label": description.label,
        "type": description.type_name,
        "types": [ref_json(t.cls) for t in description.types],
        "definition": description.definition,
        "synonyms": synonyms,
        "xrefs": xrefs,
        "deprecated": description.deprecated,
        "replacedBy": ref_json(description.successor) if description.successor else None,
        "deprecationReason": (
            description.deprecation_reason.value if description.deprecation_reason else None
        ),
        "relations": _relation_groups(description, me),
        "attributes": _attribute_groups(description),
        "sources": [claim_document(c) for c in description.claims],
        "corrections": [correction_document(c) for c in description.corrections],
        "links": {"self": f"/api/v1/entities/{name}", "html": description.iri},
    }
    if article_counts is not None:
        about, mentions = article_counts
        card["articles"] = {
            "about": about,
            "mentions": mentions,
            "href": f"/api/v1/entities/{name}/articles",
        }
    return card


def _relation_groups(description: EntityDescription, me: dict) -> list[dict]:
    groups: list[dict] = []
    for relation in description.relations:
        if relation.other.blank:
            continue
        prop = relation.property
        if not groups or (groups[-1]["property"]["iri"], groups[-1]["direction"]) != (
            prop.iri,
            relation.direction,
        ):
            groups.append(
                {
                    "property": {"iri": prop.iri, "id": compact(prop.iri), "label": prop.label},
                    "direction": relation.direction,
                    "items": [],
                }
            )
        other = ref_json(relation.other)
        outgoing = relation.direction == "outgoing"
        groups[-1]["items"].append(
            {"subject": me, "object": other} if outgoing else {"subject": other, "object": me}
        )
    return groups


def _attribute_groups(description: EntityDescription) -> list[dict]:
    groups: list[dict] = []
    for statement in description.attributes:
        prop = statement.property
        if not groups or groups[-1]["property"]["iri"] != prop.iri:
            groups.append({"property": {"iri": prop.iri, "label": prop.label}, "values": []})
        groups[-1]["values"].append(value_json(statement.value))
    return groups


def claim_document(claim: Claim) -> dict:
    out: dict = {"id": claim.ref.id, "iri": claim.ref.iri, "label": claim.ref.label}
    parts = {"subject": claim.subject, "predicate": claim.predicate, "object": claim.object}
    for key, value in parts.items():
        out[key] = None if value is None else value_json(value)
    if claim.subject and claim.predicate and claim.object:
        out["text"] = " ".join(
            v.label if isinstance(v, Ref) else v.value
            for v in (claim.subject, claim.predicate, claim.object)
        )
    provenance: dict[str, list] = {}
    evidence = None
    for statement in claim.statements:
        provenance.setdefault(local_name(statement.property.iri), []).append(
            value_json(statement.value)
        )
    for name, rendered in provenance.items():
        if "evidence" in name.lower():
            evidence = rendered[0] if len(rendered) == 1 else rendered
    out["statedIn"] = provenance.pop("statedIn", [])
    out["supportedBy"] = provenance.pop("supportedBy", [])
    out["evidenceLevel"] = evidence
    # the editor's verdict, certainty and population, so that a reader (or an agent) never
    # takes a disputed or corrected statement, or one restricted to some people, as plain fact
    out["status"] = claim.status_name
    certainty = provenance.pop("certainty", [None])
    out["certainty"] = certainty[0] if certainty else None
    out["population"] = provenance.pop("population", [])
    out["provenance"] = provenance
    out["corrections"] = [correction_document(c) for c in claim.corrections]
    return out


def correction_document(correction: Correction) -> dict:
    out: dict = {
        "id": correction.ref.id,
        "iri": correction.ref.iri,
        "label": correction.ref.label,
        "definition": correction.definition,
    }
    for statement in correction.statements:
        out.setdefault(local_name(statement.property.iri), []).append(value_json(statement.value))
    return out
