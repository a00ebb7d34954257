"""Typed views of the concept graph: the treatments for a condition, the adverse effects and
mechanisms of a treatment, each with its evidence."""

from __future__ import annotations

from kb.rdf import (
    HK,
)
from kb.read.description.build import claims_about
from kb.read.description.card import claim_json
from kb.read.entities import RDF_OBJECT, RDF_PREDICATE, RDF_SUBJECT, ConceptGraph


def _linked(graph: ConceptGraph, iri: str, prop: str, *, inverse: str | None = None) -> list[str]:
    """Objects of ``iri prop ?x`` plus subjects of ``?x inverse iri`` (deduplicated)."""
    found = {v for v in graph.values(iri, prop) if isinstance(v, str) and not v.startswith("_:")}
    if inverse:
        found |= {s for p, s in graph.incoming.get(iri, []) if p == inverse}
    return sorted(found, key=lambda x: (graph.label(x), x))


def _claims_for(graph: ConceptGraph, subject: str, prop: str, obj: str) -> list[str]:
    out = []
    for claim in claims_about(graph, subject):
        if (
            graph.values(claim, RDF_PREDICATE)[:1] == [prop]
            and graph.values(claim, RDF_OBJECT)[:1] == [obj]
            and graph.values(claim, RDF_SUBJECT)[:1] == [subject]
        ):
            out.append(claim)
    return out


def _evidence(graph: ConceptGraph, claims: list[str], key: str = "evidenceLevel"):
    levels = []
    for claim in claims:
        level = claim_json(graph, claim)[key]
        if level and level not in levels:
            levels.append(level)
    return levels[0] if len(levels) == 1 else (levels or None)


def _population(graph: ConceptGraph, claims: list[str]) -> list:
    out: list = []
    for claim in claims:
        for who in claim_json(graph, claim)["population"]:
            if who not in out:
                out.append(who)
    return out


def treatments_for(graph: ConceptGraph, condition: str) -> list[dict]:
    out = []
    treats, treated_by = str(HK.treats), str(HK.treatedBy)
    for treatment in _linked(graph, condition, treated_by, inverse=treats):
        claims = _claims_for(graph, treatment, treats, condition)
        out.append(
            {
                "treatment": graph.ref(treatment),
                "evidenceLevel": _evidence(graph, claims),
                "certainty": _evidence(graph, claims, "certainty"),
                "population": _population(graph, claims),
                "claims": [claim_json(graph, c) for c in claims],
                "adverseEffects": [
                    graph.ref(a) for a in _linked(graph, treatment, str(HK.hasAdverseEffect))
                ],
            }
        )
    return out


def adverse_effects_of(graph: ConceptGraph, treatment: str) -> list[dict]:
    out = []
    has_effect = str(HK.hasAdverseEffect)
    for effect in _linked(graph, treatment, has_effect, inverse=str(HK.adverseEffectOf)):
        claims = _claims_for(graph, treatment, has_effect, effect)
        out.append(
            {
                "adverseEffect": graph.ref(effect),
                "evidenceLevel": _evidence(graph, claims),
                "claims": [claim_json(graph, c) for c in claims],
                "riskFactors": [
                    graph.ref(r)
                    for r in _linked(
                        graph, effect, str(HK.hasRiskFactor), inverse=str(HK.riskFactorFor)
                    )
                ],
            }
        )
    return out


def mechanisms_of(graph: ConceptGraph, treatment: str) -> list[dict]:
    out = []
    acts = str(HK.actsThrough)
    for mechanism in _linked(graph, treatment, acts):
        claims = _claims_for(graph, treatment, acts, mechanism)
        out.append(
            {
                "mechanism": graph.ref(mechanism),
                "definition": graph.definition(mechanism),
                "evidenceLevel": _evidence(graph, claims),
                "claims": [claim_json(graph, c) for c in claims],
                "involvedIn": [
                    graph.ref(x) for x in _linked(graph, mechanism, str(HK.mechanismInvolvedIn))
                ],
            }
        )
    return out
