"""An entity's page model, read from the store: its statements, incoming links, claims, corrections
and neighbourhood."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from markupsafe import Markup

from api.render.graph_picture import Neighbour, neighbourhood_svg
from api.render.terms import (
    OWL_NS,
    RDF_NS,
    RDF_TYPE,
    RDFS_LABEL,
    RDFS_NS,
    Labeller,
    Term,
    _fallback_label,
    is_local,
    xref_link,
)
from kb.rdf import (
    DEPRECATION_REASON,
    HK,
    INFERRED_GRAPH,
    KB,
    OBO,
    OBOINOWL,
    REPLACED_BY,
    SCHEMA,
    SKOS,
)
from kb.store.client import SparqlStore, sparql_term

LABEL_PREDICATES = (RDFS_LABEL, str(SKOS.prefLabel))


DEFINITION_PREDICATES = (str(OBO.IAO_0000115), str(SKOS.definition))


SYNONYM_PREDICATES = {
    str(OBOINOWL.hasExactSynonym): "exact",
    str(OBOINOWL.hasNarrowSynonym): "narrow",
    str(OBOINOWL.hasBroadSynonym): "broad",
    str(OBOINOWL.hasRelatedSynonym): "related",
    str(SKOS.altLabel): "alternative label",
}


XREF_LITERAL_PREDICATES = (str(OBOINOWL.hasDbXref),)


XREF_IRI_PREDICATES = {
    str(SKOS.exactMatch): "exact match",
    str(SKOS.closeMatch): "close match",
    str(SKOS.broadMatch): "broad match",
    str(SKOS.narrowMatch): "narrow match",
    str(SKOS.relatedMatch): "related match",
    OWL_NS + "sameAs": "same as",
    str(SCHEMA.sameAs): "same as",
    RDFS_NS + "seeAlso": "see also",
}


REIFICATION = {RDF_NS + "subject", RDF_NS + "predicate", RDF_NS + "object"}


HIDDEN_TYPES = {OWL_NS + "NamedIndividual", OWL_NS + "Thing"}


CORRECTION = str(HK.Correction)


@dataclass
class Statement:
    predicate: Term
    value: Term
    inferred: bool = False
    details: list[tuple[Term, Term]] = field(default_factory=list)  # for blank-node values


@dataclass
class ClaimView:
    node: Term
    role: str  # "subject" or "object": where the entity appears in the claim
    subject: Term | None = None
    predicate: Term | None = None
    object: Term | None = None
    status: Term | None = None
    stated_in: list[Term] = field(default_factory=list)
    supported_by: list[Term] = field(default_factory=list)
    other: list[tuple[Term, Term]] = field(default_factory=list)
    corrections: list[CorrectionView] = field(default_factory=list)


@dataclass
class CorrectionView:
    node: Term
    properties: list[tuple[Term, Term]] = field(default_factory=list)


@dataclass
class EntityView:
    iri: str
    name: str
    label: str
    definitions: list[Term] = field(default_factory=list)
    types: list[tuple[Term, bool]] = field(default_factory=list)  # (class, inferred)
    synonyms: list[tuple[str, Term]] = field(default_factory=list)
    xrefs: list[tuple[str, str, str | None]] = field(default_factory=list)  # (kind, text, url)
    attributes: list[Statement] = field(default_factory=list)
    outgoing: list[Statement] = field(default_factory=list)
    incoming: list[Statement] = field(default_factory=list)
    claims: list[ClaimView] = field(default_factory=list)
    comments: list[Term] = field(default_factory=list)
    picture: Markup | None = None
    deprecated: bool = False
    successor: Term | None = None  # dcterms:isReplacedBy / obo:IAO_0100001 (kb.rdf.REPLACED_BY)
    successor_iri: str | None = None
    deprecation_reason: Term | None = None


def _graph_is_inferred(graph: ox.NamedNode | None) -> bool:
    return graph is not None and graph.value == str(INFERRED_GRAPH)


def load_entity(store: SparqlStore, iri: str) -> EntityView | None:
    """Everything the page shows about ``iri``, in four queries; None when it is unknown."""
    node = sparql_term(ox.NamedNode(iri))
    out_rows = store.select(
        "SELECT DISTINCT ?g ?p ?o ?bp ?bo WHERE { GRAPH ?g { "
        f"{node} ?p ?o . OPTIONAL {{ FILTER(isBlank(?o)) ?o ?bp ?bo }} }} }}"
    )
    in_rows = store.select(f"SELECT DISTINCT ?g ?s ?p WHERE {{ GRAPH ?g {{ ?s ?p {node} }} }}")
    if not out_rows and not in_rows:
        return None
    rdf_subject, rdf_object = (sparql_term(ox.NamedNode(RDF_NS + x)) for x in ("subject", "object"))
    claim_rows = store.select(
        "SELECT DISTINCT ?c ?role ?dir ?p ?v ?vp ?vv WHERE { "
        f"{{ ?c {rdf_subject} {node} BIND('subject' AS ?role) }} UNION "
        f"{{ ?c {rdf_object} {node} BIND('object' AS ?role) }} "
        "{ ?c ?p ?v BIND('out' AS ?dir) } UNION { ?v ?p ?c BIND('in' AS ?dir) } "
        "OPTIONAL { FILTER(!isLiteral(?v) && (isBlank(?v) || EXISTS { ?v a "
        f"{sparql_term(ox.NamedNode(CORRECTION))} }})) ?v ?vp ?vv }} }}"
    )

    iris = {iri}
    for row in out_rows:
        iris.update(t.value for t in (row["p"], row["o"], row["bp"], row["bo"]) if _is_iri(t))
    for row in in_rows:
        iris.update(t.value for t in (row["s"], row["p"]) if _is_iri(t))
    for row in claim_rows:
        iris.update(
            t.value for t in (row["c"], row["p"], row["v"], row["vp"], row["vv"]) if _is_iri(t)
        )
    labeller = Labeller(store)
    labeller.fetch(iris)

    name = iri[len(str(KB)) :]
    view = EntityView(iri=iri, name=name, label=labeller.label(iri))
    _fill_outgoing(view, out_rows, labeller)
    _fill_incoming(view, in_rows, labeller)
    _fill_claims(view, claim_rows, labeller)
    view.picture = neighbourhood_svg(view.label, _neighbours(view, labeller))
    return view


def _is_iri(term: object) -> bool:
    return isinstance(term, ox.NamedNode)


def _fill_outgoing(view: EntityView, rows: list, labeller: Labeller) -> None:
    # Group per (predicate, object); a fact is inferred only when no asserted graph has it.
    facts: dict[tuple[str, str], dict] = {}
    for row in rows:
        p, o = row["p"], row["o"]
        key = (p.value, str(o))
        fact = facts.setdefault(key, {"p": p, "o": o, "inferred": True, "details": {}})
        if not _graph_is_inferred(row["g"]):
            fact["inferred"] = False
        if row["bp"] is not None:
            fact["details"][(row["bp"].value, str(row["bo"]))] = (row["bp"], row["bo"])
    for fact in sorted(facts.values(), key=lambda f: (f["p"].value, str(f["o"]))):
        p, o, inferred = fact["p"].value, fact["o"], fact["inferred"]
        if p in LABEL_PREDICATES:
            continue
        if p in DEFINITION_PREDICATES and isinstance(o, ox.Literal):
            view.definitions.append(labeller.term(o))
        elif p == RDFS_NS + "comment" and isinstance(o, ox.Literal):
            view.comments.append(labeller.term(o))
        elif p == RDF_TYPE and isinstance(o, ox.NamedNode):
            if o.value not in HIDDEN_TYPES:
                view.types.append((labeller.term(o), inferred))
        elif p in SYNONYM_PREDICATES and isinstance(o, ox.Literal):
            view.synonyms.append((SYNONYM_PREDICATES[p], labeller.term(o)))
        elif p in XREF_LITERAL_PREDICATES and isinstance(o, ox.Literal):
            text, url = xref_link(o.value)
            view.xrefs.append(("database cross-reference", text, url))
        elif p in XREF_IRI_PREDICATES and isinstance(o, ox.NamedNode) and not is_local(o.value):
            view.xrefs.append((XREF_IRI_PREDICATES[p], _fallback_label(o.value), o.value))
        elif p == OWL_NS + "deprecated":
            view.deprecated = isinstance(o, ox.Literal) and o.value in ("true", "1")
        elif p in REPLACED_BY and isinstance(o, ox.NamedNode):
            if view.successor_iri is None or p == REPLACED_BY[0]:
                view.successor, view.successor_iri = labeller.term(o), o.value
        elif p == str(DEPRECATION_REASON) and isinstance(o, ox.Literal):
            view.deprecation_reason = labeller.term(o)
        else:
            statement = Statement(labeller.term(fact["p"]), labeller.term(o), inferred)
            if p == str(OBO.IAO_0000119) and isinstance(o, ox.Literal) and not statement.value.href:
                statement.value.href = xref_link(o.value)[1]  # a CURIE such as PMID:123
            statement.details = [
                (labeller.term(bp), labeller.term(bo))
                for bp, bo in sorted(
                    fact["details"].values(), key=lambda d: (d[0].value, str(d[1]))
                )
            ]
            if isinstance(o, ox.Literal):
                view.attributes.append(statement)
            else:
                view.outgoing.append(statement)
    # One entry per external resource, naming every way the entity is mapped to it.
    merged: dict[str, tuple[list[str], str, str | None]] = {}
    for kind, text, url in view.xrefs:
        key = url or text
        if key in merged:
            if kind not in merged[key][0]:
                merged[key][0].append(kind)
        else:
            merged[key] = ([kind], text, url)
    view.xrefs = sorted(
        ((", ".join(kinds), text, url) for kinds, text, url in merged.values()),
        key=lambda x: x[1].lower(),
    )
    # The same text under several predicates (OBO scope + its SKOS mirror): one entry.
    scopes: dict[tuple[str, str | None], list[str]] = {}
    terms: dict[tuple[str, str | None], Term] = {}
    for scope, term in view.synonyms:
        key = (term.label, term.language)
        scopes.setdefault(key, []).append(scope)
        terms[key] = term
    view.synonyms = [
        (
            ", ".join(s for s in scopes[key] if s != "alternative label" or len(scopes[key]) == 1),
            terms[key],
        )
        for key in sorted(terms, key=lambda k: k[0].lower())
    ]
    view.types.sort(key=lambda t: (t[1], t[0].external, t[0].label.lower()))
    view.outgoing.sort(key=lambda s: (s.predicate.label.lower(), s.value.label.lower()))
    view.attributes.sort(key=lambda s: s.predicate.label.lower())


def _fill_incoming(view: EntityView, rows: list, labeller: Labeller) -> None:
    facts: dict[tuple[str, str], dict] = {}
    for row in rows:
        s, p = row["s"], row["p"]
        if p.value in REIFICATION:
            continue  # shown with the claims
        fact = facts.setdefault((p.value, str(s)), {"p": p, "s": s, "inferred": True})
        if not _graph_is_inferred(row["g"]):
            fact["inferred"] = False
    for fact in facts.values():
        view.incoming.append(
            Statement(labeller.term(fact["p"]), labeller.term(fact["s"]), fact["inferred"])
        )
    view.incoming.sort(key=lambda s: (s.predicate.label.lower(), s.value.label.lower()))


def _fill_claims(view: EntityView, rows: list, labeller: Labeller) -> None:
    claims: dict[str, ClaimView] = {}
    corrections: dict[str, dict[str, CorrectionView]] = defaultdict(dict)
    seen: set[tuple] = set()
    for row in sorted(rows, key=lambda r: tuple(str(r[k]) for k in ("c", "dir", "p", "v"))):
        c = row["c"]
        claim = claims.setdefault(str(c), ClaimView(labeller.term(c), row["role"].value))
        p, v, direction = row["p"].value, row["v"], row["dir"].value
        is_correction_node = row["vp"] is not None
        if is_correction_node and not isinstance(v, ox.Literal):
            correction = corrections[str(c)].setdefault(str(v), CorrectionView(labeller.term(v)))
            key = (str(c), str(v), row["vp"].value, str(row["vv"]))
            skip = (*LABEL_PREDICATES, RDF_TYPE, str(HK.corrects))
            if key not in seen and row["vp"].value not in skip:
                seen.add(key)
                correction.properties.append((labeller.term(row["vp"]), labeller.term(row["vv"])))
        key = (str(c), direction, p, str(v))
        if key in seen:
            continue
        seen.add(key)
        if direction == "in":
            if p != str(HK.correctedBy) and not is_correction_node:
                claim.other.append((labeller.term(row["p"]), labeller.term(v)))
            continue
        term = labeller.term(v)
        if p == RDF_NS + "subject":
            claim.subject = term
        elif p == RDF_NS + "predicate":
            claim.predicate = term
        elif p == RDF_NS + "object":
            claim.object = term
        elif p == str(HK.claimStatus):
            claim.status = term
        elif p == str(HK.statedIn):
            claim.stated_in.append(term)
        elif p == str(HK.supportedBy):
            claim.supported_by.append(term)
        elif p in (RDF_TYPE, *LABEL_PREDICATES) or is_correction_node:
            continue
        else:
            claim.other.append((labeller.term(row["p"]), term))
    for key, claim in claims.items():
        claim.corrections = list(corrections[key].values())
        for correction in claim.corrections:
            correction.properties.sort(key=lambda pv: (pv[0].label.lower(), pv[1].label))
    view.claims = sorted(
        claims.values(),
        key=lambda c: (c.status.label if c.status else "", c.node.label.lower()),
    )


def _neighbours(view: EntityView, labeller: Labeller) -> list[Neighbour]:
    found: dict[str, Neighbour] = {}
    for statements, outgoing in ((view.outgoing, True), (view.incoming, False)):
        for statement in statements:
            value = statement.value
            if value.kind != "iri":
                continue
            neighbour = found.setdefault(
                value.key,
                Neighbour(value.key, value.label, value.href, labeller.kinds.get(value.key)),
            )
            (neighbour.outgoing if outgoing else neighbour.incoming).append(
                statement.predicate.label
            )
    # Local entities first, then by how many relations link them, then by label.
    return sorted(
        found.values(),
        key=lambda n: (
            not is_local(n.key),
            -(len(n.outgoing) + len(n.incoming)),
            n.label.lower(),
        ),
    )


def describe_entity(store: SparqlStore, iri: str) -> list[ox.Triple]:
    """The entity's triples both ways, its blank-node values, the claims about it and the
    labels of everything it links to."""
    node = sparql_term(ox.NamedNode(iri))
    label = sparql_term(ox.NamedNode(RDFS_LABEL))
    subject, object_ = (sparql_term(ox.NamedNode(RDF_NS + x)) for x in ("subject", "object"))
    return store.construct(
        "CONSTRUCT { "
        f"{node} ?p ?o . ?o ?bp ?bo . ?s ?q {node} . ?x {label} ?xl . ?c ?cp ?co . "
        "} WHERE { "
        f"{{ {node} ?p ?o OPTIONAL {{ FILTER(isBlank(?o)) ?o ?bp ?bo }} }} "
        f"UNION {{ ?s ?q {node} }} "
        f"UNION {{ {{ {node} ?p2 ?x }} UNION {{ ?x ?q2 {node} }} "
        f"FILTER(isIRI(?x)) ?x {label} ?xl }} "
        f"UNION {{ {{ ?c {subject} {node} }} UNION {{ ?c {object_} {node} }} ?c ?cp ?co }} "
        "}"
    )


def successor_of(triples: list[ox.Triple], iri: str) -> str | None:
    """The successor a deprecated entity's description names (None when it is live)."""
    mine = [t for t in triples if isinstance(t.subject, ox.NamedNode) and t.subject.value == iri]
    deprecated = any(
        t.predicate.value == OWL_NS + "deprecated" and t.object.value in ("true", "1") for t in mine
    )
    found = sorted(
        (REPLACED_BY.index(t.predicate.value), t.object.value)
        for t in mine
        if t.predicate.value in REPLACED_BY and isinstance(t.object, ox.NamedNode)
    )
    return found[0][1] if deprecated and found else None
