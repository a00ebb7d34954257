"""Entity cards and typed views, answered from an in-memory snapshot of the concept graph.

The snapshot (``EntityGraph``) holds every triple whose subject is *not* an article: the
ontology, conditions, treatments, mechanisms, adverse effects, studies, claims, corrections.
That is small even when the articles number hundreds of thousands (articles live in the
related-content index, ``kb.related``), so an entity card is a few dictionary look-ups instead
of SPARQL round trips, and its cost does not grow with the number of articles.

Terms: an IRI is a ``str``; a blank node a ``str`` starting with ``_:``; a literal a ``Lit``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

from kb.namespaces import BASE, DCTERMS, HK, IAO_DEFINITION, KB, OBOINOWL, PREFIXES, SCHEMA, SKOS

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_SUBJECT = "http://www.w3.org/1999/02/22-rdf-syntax-ns#subject"
RDF_PREDICATE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate"
RDF_OBJECT = "http://www.w3.org/1999/02/22-rdf-syntax-ns#object"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
OWL = "http://www.w3.org/2002/07/owl#"
OWL_CLASS = OWL + "Class"
OWL_SAME_AS = OWL + "sameAs"
OWL_DEPRECATED = OWL + "deprecated"
OWL_INVERSE_OF = OWL + "inverseOf"
IAO_REPLACED_BY = "http://purl.obolibrary.org/obo/IAO_0100001"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"

ARTICLE = str(HK.Article)
CLAIM = str(HK.Claim)
CORRECTION = str(HK.Correction)
ABOUT = str(HK.about)
MENTIONS = str(HK.mentions)

SYNONYM_PROPERTIES = {
    str(OBOINOWL.hasExactSynonym): "exact",
    str(SKOS.altLabel): "exact",
    str(OBOINOWL.hasRelatedSynonym): "related",
    str(OBOINOWL.hasNarrowSynonym): "narrow",
    str(OBOINOWL.hasBroadSynonym): "broad",
    str(SKOS.hiddenLabel): "hidden",
}
XREF_PROPERTIES = (
    str(OBOINOWL.hasDbXref),
    str(SKOS.exactMatch),
    str(SKOS.closeMatch),
    str(SKOS.broadMatch),
    str(SKOS.narrowMatch),
    str(SKOS.relatedMatch),
    OWL_SAME_AS,
    str(SCHEMA.sameAs),
)
DEFINITION_PROPERTIES = (str(IAO_DEFINITION), str(SKOS.definition), RDFS_COMMENT)
LABEL_PROPERTIES = (RDFS_LABEL, str(SKOS.prefLabel), str(SCHEMA.name), str(DCTERMS.title))
# Shown in their own sections of a card, not again under "relations".
CARD_SECTIONS = {
    RDF_TYPE,
    *LABEL_PROPERTIES,
    *DEFINITION_PROPERTIES,
    *SYNONYM_PROPERTIES,
    *XREF_PROPERTIES,
}
# Incoming links that are not relations of the entity itself.
INCOMING_SKIP = {RDF_TYPE, RDF_SUBJECT, RDF_OBJECT, RDF_PREDICATE, ABOUT, MENTIONS}

ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,199}")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class Lit(NamedTuple):
    value: str
    lang: str = ""
    datatype: str = XSD_STRING


def local_name(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri:
            tail = iri.rsplit(sep, 1)[1]
            if tail:
                return tail
    return iri


def humanise(iri: str) -> str:
    """A readable fallback label: ``actsThrough`` -> ``acts through``."""
    return _CAMEL.sub(" ", local_name(iri)).replace("_", " ").lower()


def entity_id(iri: str) -> str | None:
    """The API id of an IRI: its name under ``{BASE}id/``, or ``prefix:Name`` for the
    ontology's own terms; None for IRIs the API does not serve."""
    base = str(KB)
    if iri.startswith(base):
        name = iri[len(base) :]
        return name if ID_PATTERN.fullmatch(name) else None
    hk = str(HK)
    if iri.startswith(hk):
        name = iri[len(hk) :]
        return "hk:" + name if ID_PATTERN.fullmatch(name) else None
    return None


def iri_for_id(identifier: str) -> str | None:
    """The inverse of ``entity_id``: None unless ``identifier`` matches the strict pattern."""
    if identifier.startswith("hk:"):
        name = identifier[3:]
        return str(HK) + name if ID_PATTERN.fullmatch(name) else None
    return str(KB) + identifier if ID_PATTERN.fullmatch(identifier) else None


def compact(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def _pick_literal(values: Iterable) -> Lit | None:
    """English first, then untagged, then anything; ties broken by value for determinism."""
    literals = [v for v in values if isinstance(v, Lit)]
    if not literals:
        return None

    def rank(lit: Lit):
        lang = lit.lang.lower()
        return (0 if lang in ("en", "en-gb", "en-us") else 1 if not lang else 2, lit.value)

    return min(literals, key=rank)


class EntityGraph:
    """The non-article triples in memory, with labels, types and class ancestry."""

    def __init__(self, triples: Iterable[tuple[str, str, object]], article_titles=None):
        spo: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        incoming: dict[str, list[tuple[str, str]]] = defaultdict(list)
        seen = set()
        for s, p, o in triples:
            if (s, p, o) in seen:  # the union default graph repeats triples kept in two graphs
                continue
            seen.add((s, p, o))
            spo[s][p].append(o)
            if isinstance(o, str) and not o.startswith("_:"):
                incoming[o].append((p, s))
        self.spo = {
            s: {p: sorted(vs, key=_term_key) for p, vs in ps.items()} for s, ps in spo.items()
        }
        self.incoming = {o: sorted(set(links)) for o, links in incoming.items()}
        self.article_titles: dict[str, str] = article_titles or {}
        self._labels: dict[str, str] = {}
        for s, props in self.spo.items():
            for prop in LABEL_PROPERTIES:
                lit = _pick_literal(props.get(prop, ()))
                if lit:
                    self._labels[s] = lit.value
                    break
        self._ancestors: dict[str, tuple[str, ...]] = {}
        # ``a owl:inverseOf b``: a is the primary direction, b its (often inferred) mirror
        self.primary_of: dict[str, str] = {}
        for a, props in self.spo.items():
            for b in props.get(OWL_INVERSE_OF, ()):
                if isinstance(b, str) and b not in self.primary_of and a not in self.primary_of:
                    self.primary_of[b] = a

    def mirrored(self, s: str, p: str, o: str) -> bool:
        """True when ``s p o`` only mirrors ``o primary s`` (p is a secondary inverse)."""
        primary = self.primary_of.get(p)
        return primary is not None and s in self.spo.get(o, {}).get(primary, ())

    # -- basic look-ups -------------------------------------------------------------------

    def has(self, iri: str) -> bool:
        return iri in self.spo

    def values(self, s: str, p: str) -> list:
        return self.spo.get(s, {}).get(p, [])

    def label(self, iri: str) -> str:
        if iri in self._labels:
            return self._labels[iri]
        if iri in self.article_titles:
            return self.article_titles[iri]
        return humanise(iri)

    def definition(self, iri: str) -> str | None:
        for prop in DEFINITION_PROPERTIES:
            lit = _pick_literal(self.values(iri, prop))
            if lit:
                return lit.value
        return None

    def direct_types(self, iri: str) -> list[str]:
        return [
            t for t in self.values(iri, RDF_TYPE) if isinstance(t, str) and not t.startswith("_:")
        ]

    def superclasses(self, cls: str) -> tuple[str, ...]:
        """``cls`` and its named ancestors through rdfs:subClassOf, nearest first."""
        cached = self._ancestors.get(cls)
        if cached is not None:
            return cached
        order, queue, seen = [], [cls], {cls}
        while queue:
            current = queue.pop(0)
            order.append(current)
            for parent in self.values(current, RDFS_SUBCLASS):
                if isinstance(parent, str) and not parent.startswith("_:") and parent not in seen:
                    seen.add(parent)
                    queue.append(parent)
        result = tuple(order)
        self._ancestors[cls] = result
        return result

    def all_types(self, iri: str) -> list[str]:
        """Asserted and inferred named types with their ancestors, most specific first."""
        result: list[str] = []
        for t in self.direct_types(iri):
            for cls in self.superclasses(t):
                if cls not in result and not cls.startswith(OWL):
                    result.append(cls)
        # Most specific first: a class before any of its ancestors, then by IRI.
        depth = {c: len(self.superclasses(c)) for c in result}
        return sorted(result, key=lambda c: (-depth[c], c))

    def primary_type(self, iri: str) -> str | None:
        types = [t for t in self.all_types(iri) if t.startswith(str(HK))]
        return types[0] if types else None

    def is_a(self, iri: str, cls: str) -> bool:
        return cls in self.all_types(iri)

    def is_class(self, iri: str) -> bool:
        return OWL_CLASS in self.direct_types(iri) or bool(self.values(iri, RDFS_SUBCLASS))

    def synonyms(self, iri: str) -> list[tuple[str, str]]:
        """(text, scope) pairs, deduplicated, in a stable order."""
        found = []
        for prop, scope in SYNONYM_PROPERTIES.items():
            for value in self.values(iri, prop):
                if isinstance(value, Lit) and (value.value, scope) not in found:
                    found.append((value.value, scope))
        return found

    def entities(self) -> Iterable[str]:
        return self.spo.keys()

    # -- JSON pieces ----------------------------------------------------------------------

    def ref(self, iri: str) -> dict:
        """A labelled reference to a node: id (when served), IRI, label."""
        ref = {"id": entity_id(iri), "iri": iri, "label": self.label(iri)}
        primary = self.primary_type(iri) if iri in self.spo else None
        if iri in self.article_titles:
            primary = ARTICLE
        if primary:
            ref["type"] = local_name(primary)
        return ref

    def value_json(self, value) -> dict:
        if isinstance(value, Lit):
            out = {"value": value.value}
            if value.lang:
                out["language"] = value.lang
            elif value.datatype != XSD_STRING:
                out["datatype"] = compact(value.datatype)
            return out
        if value.startswith("_:"):
            return {"blankNode": True}
        return self.ref(value)


def _term_key(term) -> tuple:
    if isinstance(term, Lit):
        return (1, term.value, term.lang, term.datatype)
    return (0, term, "", "")


# -- entity cards -------------------------------------------------------------------------


def entity_card(
    graph: EntityGraph, iri: str, article_counts: tuple[int, int] | None = None
) -> dict:
    """The card of one entity: identity, definition, synonyms, xrefs, relations, sources."""
    props = graph.spo.get(iri, {})
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
        "deprecated": any(
            isinstance(v, Lit) and v.value.lower() in ("true", "1")
            for v in props.get(OWL_DEPRECATED, [])
        ),
        "replacedBy": next(
            (graph.ref(v) for v in props.get(IAO_REPLACED_BY, []) if not isinstance(v, Lit)), None
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
        if prop in CARD_SECTIONS or prop == OWL_DEPRECATED:
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


# -- typed views --------------------------------------------------------------------------


def _linked(graph: EntityGraph, iri: str, prop: str, *, inverse: str | None = None) -> list[str]:
    """Objects of ``iri prop ?x`` plus subjects of ``?x inverse iri`` (deduplicated)."""
    found = {v for v in graph.values(iri, prop) if isinstance(v, str) and not v.startswith("_:")}
    if inverse:
        found |= {s for p, s in graph.incoming.get(iri, []) if p == inverse}
    return sorted(found, key=lambda x: (graph.label(x), x))


def _claims_for(graph: EntityGraph, subject: str, prop: str, obj: str) -> list[str]:
    out = []
    for claim in claims_about(graph, subject):
        if (
            graph.values(claim, RDF_PREDICATE)[:1] == [prop]
            and graph.values(claim, RDF_OBJECT)[:1] == [obj]
            and graph.values(claim, RDF_SUBJECT)[:1] == [subject]
        ):
            out.append(claim)
    return out


def _evidence(graph: EntityGraph, claims: list[str], key: str = "evidenceLevel"):
    levels = []
    for claim in claims:
        level = claim_json(graph, claim)[key]
        if level and level not in levels:
            levels.append(level)
    return levels[0] if len(levels) == 1 else (levels or None)


def _population(graph: EntityGraph, claims: list[str]) -> list:
    out: list = []
    for claim in claims:
        for who in claim_json(graph, claim)["population"]:
            if who not in out:
                out.append(who)
    return out


def treatments_for(graph: EntityGraph, condition: str) -> list[dict]:
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


def adverse_effects_of(graph: EntityGraph, treatment: str) -> list[dict]:
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


def mechanisms_of(graph: EntityGraph, treatment: str) -> list[dict]:
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


def is_served_iri(iri: str) -> bool:
    return iri.startswith(BASE)
