"""Entity cards: an entity's description for the JSON API (labels, definition, synonyms, cross-
references, attributes, relations, claims, sources and corrections)."""

from __future__ import annotations

from kb.rdf import (
    DEPRECATION_REASON,
    HK,
    compact,
)
from kb.read.entities import (
    CLAIM,
    CORRECTION,
    DEFINITION_PROPERTIES,
    INCOMING_SKIP,
    LABEL_PROPERTIES,
    OWL,
    OWL_DEPRECATED,
    RDF_OBJECT,
    RDF_PREDICATE,
    RDF_SUBJECT,
    RDF_TYPE,
    SYNONYM_PROPERTIES,
    XREF_PROPERTIES,
    EntityGraph,
    Lit,
    entity_id,
    local_name,
)
from kb.read.successors import is_deprecated, successor

# Shown in their own sections of a card, not again under "relations".
CARD_SECTIONS = {
    RDF_TYPE,
    *LABEL_PROPERTIES,
    *DEFINITION_PROPERTIES,
    *SYNONYM_PROPERTIES,
    *XREF_PROPERTIES,
}


def entity_card(
    graph: EntityGraph, iri: str, article_counts: tuple[int, int] | None = None
) -> dict:
    """The card of one entity: identity, definition, synonyms, xrefs, relations, sources."""
    types = graph.all_types(iri)
    card: dict = {
        "id": entity_id(iri),
        "iri": iri,
        "label": graph.label(iri),
        "type": local_name(graph.primary_type(iri) or (types[0] if types else "")) or None,
        "types": [graph.ref(t) for t in types],
        "definition": graph.definition(iri),
        "synonyms": [{"text": text, "scope": scope} for text, scope in graph.synonyms(iri)],
        "xrefs": _xrefs(graph, iri),
        "deprecated": is_deprecated(graph, iri),
        "replacedBy": graph.ref(nxt) if (nxt := successor(graph, iri)) else None,
        "deprecationReason": next(
            (v.value for v in graph.values(iri, str(DEPRECATION_REASON)) if isinstance(v, Lit)),
            None,
        ),
        "relations": relations(graph, iri),
        "attributes": _attributes(graph, iri),
        "sources": sources(graph, iri),
        "corrections": corrections(graph, iri),
        "links": {"self": f"/api/v1/entities/{entity_id(iri)}", "html": iri},
    }
    if article_counts is not None:
        about, mentions = article_counts
        card["articles"] = {
            "about": about,
            "mentions": mentions,
            "href": f"/api/v1/entities/{entity_id(iri)}/articles",
        }
    return card


def _xrefs(graph: EntityGraph, iri: str) -> list[dict]:
    out = []
    for prop in XREF_PROPERTIES:
        for value in graph.values(iri, prop):
            text = value.value if isinstance(value, Lit) else value
            if text.startswith("_:"):
                continue
            entry = {"id": text, "property": compact(prop)}
            if text not in [x["id"] for x in out]:
                out.append(entry)
    return out


def _attributes(graph: EntityGraph, iri: str) -> list[dict]:
    """Literal-valued properties outside the card's own sections (e.g. needle length)."""
    out = []
    for prop, values in sorted(graph.spo.get(iri, {}).items()):
        if prop in CARD_SECTIONS or prop == OWL_DEPRECATED or prop == str(DEPRECATION_REASON):
            continue
        literals = [v for v in values if isinstance(v, Lit)]
        if literals:
            out.append(
                {
                    "property": {"iri": prop, "label": graph.label(prop)},
                    "values": [graph.value_json(v) for v in literals],
                }
            )
    return out


def relations(graph: EntityGraph, iri: str) -> list[dict]:
    """IRI-valued links, both directions, grouped by property; each end labelled."""
    groups: dict[tuple[str, str], list[dict]] = {}
    me = graph.ref(iri)
    for prop, values in graph.spo.get(iri, {}).items():
        if prop in CARD_SECTIONS:
            continue
        for value in values:
            if isinstance(value, Lit) or value.startswith("_:"):
                continue
            if graph.mirrored(iri, prop, value):
                continue  # shown once, as the incoming primary link
            groups.setdefault((prop, "outgoing"), []).append(
                {"subject": me, "object": graph.ref(value)}
            )
    for prop, subject in graph.incoming.get(iri, []):
        if prop in INCOMING_SKIP or prop in CARD_SECTIONS or subject.startswith("_:"):
            continue
        if graph.is_a(subject, CLAIM) or graph.is_a(subject, CORRECTION):
            continue  # shown under sources / corrections
        if graph.mirrored(subject, prop, iri):
            continue  # shown once, as the outgoing primary link
        if subject in graph.values(iri, prop) and OWL + "SymmetricProperty" in graph.values(
            prop, RDF_TYPE
        ):
            continue  # a symmetric link is shown once, outgoing
        groups.setdefault((prop, "incoming"), []).append(
            {"subject": graph.ref(subject), "object": me}
        )
    out = []
    for (prop, direction), items in sorted(
        groups.items(), key=lambda kv: (kv[0][1] != "outgoing", kv[0][0])
    ):
        items.sort(key=lambda item: (item["subject"]["label"], item["object"]["label"]))
        out.append(
            {
                "property": {"iri": prop, "id": compact(prop), "label": graph.label(prop)},
                "direction": direction,
                "items": items,
            }
        )
    return out


def claims_about(graph: EntityGraph, iri: str) -> list[str]:
    """Reified claims (hk:Claim) whose subject or object is ``iri``, sorted by IRI."""
    found = set()
    for prop, subject in graph.incoming.get(iri, []):
        if prop in (RDF_SUBJECT, RDF_OBJECT) and graph.is_a(subject, CLAIM):
            found.add(subject)
    return sorted(found)


def claim_json(graph: EntityGraph, claim: str) -> dict:
    def first(prop):
        values = graph.values(claim, prop)
        return values[0] if values else None

    statement = {
        "subject": first(RDF_SUBJECT),
        "predicate": first(RDF_PREDICATE),
        "object": first(RDF_OBJECT),
    }
    out = {"id": entity_id(claim), "iri": claim, "label": graph.label(claim)}
    for key, value in statement.items():
        out[key] = None if value is None else graph.value_json(value)
    if statement["subject"] and statement["predicate"] and statement["object"]:
        out["text"] = " ".join(
            graph.label(v) if isinstance(v, str) else v.value
            for v in (statement["subject"], statement["predicate"], statement["object"])
        )
    provenance = {}
    evidence = None
    for prop, values in sorted(graph.spo.get(claim, {}).items()):
        if prop in (RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT, RDF_TYPE, *LABEL_PROPERTIES):
            continue
        name = local_name(prop)
        rendered = [graph.value_json(v) for v in values]
        if "evidence" in name.lower():
            evidence = rendered[0] if len(rendered) == 1 else rendered
        provenance[name] = rendered
    out["statedIn"] = provenance.pop("statedIn", [])
    out["supportedBy"] = provenance.pop("supportedBy", [])
    out["evidenceLevel"] = evidence
    # the editor's verdict, certainty and population, so that a reader (or an agent) never
    # takes a disputed or corrected statement, or one restricted to some people, as plain fact
    statuses = graph.values(claim, str(HK.claimStatus))
    out["status"] = local_name(statuses[0]) if statuses and isinstance(statuses[0], str) else None
    certainty = provenance.pop("certainty", [None])
    out["certainty"] = certainty[0] if certainty else None
    out["population"] = provenance.pop("population", [])
    out["provenance"] = provenance
    fixes = [c for p, c in graph.incoming.get(claim, []) if graph.is_a(c, CORRECTION)]
    out["corrections"] = [correction_json(graph, c) for c in sorted(set(fixes))]
    return out


def sources(graph: EntityGraph, iri: str) -> list[dict]:
    return [claim_json(graph, claim) for claim in claims_about(graph, iri)]


def correction_json(graph: EntityGraph, correction: str) -> dict:
    out = {
        "id": entity_id(correction),
        "iri": correction,
        "label": graph.label(correction),
        "definition": graph.definition(correction),
    }
    for prop, values in sorted(graph.spo.get(correction, {}).items()):
        if prop in (RDF_TYPE, *LABEL_PROPERTIES, *DEFINITION_PROPERTIES):
            continue
        out[local_name(prop)] = [graph.value_json(v) for v in values]
    return out


def corrections(graph: EntityGraph, iri: str) -> list[dict]:
    """Corrections that point at the entity itself or at one of the claims about it."""
    targets = {iri, *claims_about(graph, iri)}
    found = set()
    for target in targets:
        for _prop, subject in graph.incoming.get(target, []):
            if graph.is_a(subject, CORRECTION):
                found.add(subject)
    return [correction_json(graph, c) for c in sorted(found)]
