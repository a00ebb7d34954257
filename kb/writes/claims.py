"""Claims in editor documents: the ``claims`` key of an entity document, each written as an
``hk:Claim`` whose ``rdf:subject`` is the entity (docs/modelling.md), and read back."""

from __future__ import annotations

import pyoxigraph as ox

from kb.rdf import HK, KB, SKOS, claim_iri, compact
from kb.writes.values import (
    NAMED_INDIVIDUAL,
    RDF,
    RDF_TYPE,
    RDFS_LABEL,
    XSD,
    EditError,
    as_list,
    checked_text,
    english,
    entity_iri,
    expand,
    kb_graph,
    subject_quads,
)

CLAIM_KEYS = {
    "id",
    "predicate",
    "object",
    "status",
    "statedIn",
    "supportedBy",
    "consistentWith",
    "disputedBy",
    "evidenceLevel",
    "certainty",
    "population",
    "quote",
    "caveat",
    "note",
    "label",
    "negated",
}
CLAIM_STATUSES = {"supported": HK.Supported, "disputed": HK.Disputed, "corrected": HK.Corrected}
CERTAINTIES = {
    "high": HK.HighCertainty,
    "moderate": HK.ModerateCertainty,
    "low": HK.LowCertainty,
    "very low": HK.VeryLowCertainty,
}


def _enum(value: object, choices: dict, field: str):
    key = " ".join(checked_text(value, field).lower().replace("-", " ").replace("_", " ").split())
    key = key.removeprefix("hk:").removesuffix(" certainty")
    for name, iri in choices.items():
        if key in (name, name.replace(" ", ""), str(iri).rsplit("#", 1)[-1].lower()):
            return ox.NamedNode(str(iri))
    raise EditError(f"{field}: one of {sorted(choices)}", field)


def claim_quads(s: ox.NamedNode, claim: object, field: str) -> list[ox.Quad]:
    """The triples of one claim whose subject is ``s`` (see the module docstring)."""
    if not isinstance(claim, dict):
        raise EditError(f"{field}: expected a claim object", field)
    unknown = set(claim) - CLAIM_KEYS
    if unknown:
        raise EditError(f"{field}: unknown key(s) {sorted(unknown)}", field)
    for required in ("predicate", "object", "statedIn", "evidenceLevel", "certainty"):
        if not claim.get(required):
            raise EditError(f"{field}.{required} is required", field)
    p = expand(claim["predicate"], f"{field}.predicate")
    o = expand(claim["object"], f"{field}.object")
    # an existing claim keeps its IRI (corrections and other claims point at it)
    c = (
        entity_iri(claim["id"])
        if claim.get("id")
        else ox.NamedNode(claim_iri(s.value, p.value, o.value))
    )
    g = kb_graph()

    def q(predicate: str, obj) -> ox.Quad:
        return ox.Quad(c, ox.NamedNode(predicate), obj, g)

    status = _enum(claim.get("status", "supported"), CLAIM_STATUSES, f"{field}.status")
    text = claim.get("label") or f"{compact(s.value)} {compact(p.value)} {compact(o.value)}"
    out = [
        q(RDF_TYPE, ox.NamedNode(NAMED_INDIVIDUAL)),
        q(RDF_TYPE, ox.NamedNode(str(HK.Claim))),
        q(RDFS_LABEL, english(text, f"{field}.label")),
        q(RDF + "subject", s),
        q(RDF + "predicate", p),
        q(RDF + "object", o),
        q(str(HK.claimStatus), status),
        q(str(HK.evidenceLevel), expand(claim["evidenceLevel"], f"{field}.evidenceLevel")),
        q(str(HK.certainty), _enum(claim["certainty"], CERTAINTIES, f"{field}.certainty")),
    ]
    for key in ("statedIn", "supportedBy", "consistentWith", "disputedBy", "population"):
        for v in as_list(claim.get(key, []), f"{field}.{key}"):
            out.append(q(str(HK[key]), expand(v, f"{field}.{key}")))
    for key, prop in (("quote", HK.quote), ("caveat", HK.caveat)):
        if claim.get(key):
            out.append(q(str(prop), ox.Literal(checked_text(claim[key], f"{field}.{key}"))))
    if claim.get("note"):
        out.append(q(str(SKOS.editorialNote), english(claim["note"], f"{field}.note")))
    if claim.get("negated"):
        out.append(q(str(HK.negated), ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))))
    return out


def claims_of(store: ox.Store, s: ox.NamedNode) -> list[ox.NamedNode]:
    """The claims in the KB graph whose rdf:subject is ``s``."""
    subject = ox.NamedNode(RDF + "subject")
    return sorted(
        {q.subject for q in store.quads_for_pattern(None, subject, s, kb_graph())},
        key=lambda n: n.value,
    )


def claims_quads(store: ox.Store, s: ox.NamedNode) -> list[ox.Quad]:
    return [q for c in claims_of(store, s) for q in subject_quads(store, c)]


def describe_claim(store: ox.Store, c: ox.NamedNode) -> dict:
    doc: dict = {"id": c.value.removeprefix(str(KB))}
    single = {
        RDF + "predicate": "predicate",
        RDF + "object": "object",
        str(HK.claimStatus): "status",
        str(HK.evidenceLevel): "evidenceLevel",
        str(HK.certainty): "certainty",
        str(HK.quote): "quote",
        str(HK.caveat): "caveat",
        str(SKOS.editorialNote): "note",
        RDFS_LABEL: "label",
    }
    many = {
        str(HK[k]): k
        for k in ("statedIn", "supportedBy", "consistentWith", "disputedBy", "population")
    }
    for quad in subject_quads(store, c):
        p, o = quad.predicate.value, quad.object
        value = compact(o.value) if isinstance(o, ox.NamedNode) else o.value
        if p in single:
            doc[single[p]] = value
        elif p in many:
            doc.setdefault(many[p], []).append(value)
        elif p == str(HK.negated):
            doc["negated"] = o.value in ("true", "1")
    for key, choices in (("status", CLAIM_STATUSES), ("certainty", CERTAINTIES)):
        names = {compact(str(iri)): name for name, iri in choices.items()}
        if doc.get(key) in names:
            doc[key] = names[doc[key]]
    return doc
