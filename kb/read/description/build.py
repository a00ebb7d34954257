"""The one builder of entity descriptions: ``describe(graph, iri)`` reads a ``ConceptGraph`` (the
read indexes' whole graph, or one entity's neighbourhood read from the store) into the model.

Which statement goes to which section, how values are labelled and in which order everything
comes are decided here, once, for the JSON card and the Linked Data page alike.
"""

from __future__ import annotations

from collections.abc import Collection

from kb.rdf import (
    BASE,
    DEPRECATION_REASON,
    HK,
    IAO_DEFINITION,
    IAO_DEFINITION_SOURCE,
    OBOINOWL,
    OWL_DEPRECATED,
    REPLACED_BY,
    SCHEMA,
    SKOS,
    compact,
)
from kb.read.description.model import (
    Claim,
    Correction,
    EntityDescription,
    Ref,
    Relation,
    Statement,
    Synonym,
    Text,
    TypeOf,
    Value,
    Xref,
)
from kb.read.description.terms import KNOWN_LABELS, RDFS_SEE_ALSO, iri_text, xref_link
from kb.read.entities import (
    ABOUT,
    ARTICLE,
    CLAIM,
    CORRECTION,
    DEFINITION_PROPERTIES,
    LABEL_PROPERTIES,
    MENTIONS,
    OWL,
    RDF_OBJECT,
    RDF_PREDICATE,
    RDF_SUBJECT,
    RDF_TYPE,
    RDFS_COMMENT,
    SYNONYM_PROPERTIES,
    XSD_STRING,
    ConceptGraph,
    Lit,
    entity_id,
    humanise,
)
from kb.read.successors import is_deprecated, successor

RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
ALT_LABEL = str(SKOS.altLabel)
SCOPES = ("exact", "related", "narrow", "broad", "hidden")
# Mappings to other vocabularies, in words. A literal value is a CURIE (or a URL); an IRI
# value under hairkg's own base is a relation, not a cross-reference.
XREF_KINDS = {
    str(OBOINOWL.hasDbXref): "database cross-reference",
    str(SKOS.exactMatch): "exact match",
    str(SKOS.closeMatch): "close match",
    str(SKOS.broadMatch): "broad match",
    str(SKOS.narrowMatch): "narrow match",
    str(SKOS.relatedMatch): "related match",
    OWL + "sameAs": "same as",
    str(SCHEMA.sameAs): "same as",
    RDFS_SEE_ALSO: "see also",
}
REIFICATION = (RDF_SUBJECT, RDF_PREDICATE, RDF_OBJECT)
TAGS = (ABOUT, MENTIONS)
# Shown in their own sections, never as attributes or relations.
SECTIONS = {
    RDF_TYPE,
    *LABEL_PROPERTIES,
    *DEFINITION_PROPERTIES,
    *SYNONYM_PROPERTIES,
    OWL_DEPRECATED,
    str(DEPRECATION_REASON),
}
# Incoming links that are not relations of the entity (types of a class's instances, the
# claims that reify statements about it; article tags have their own section).
INCOMING_SKIP = {RDF_TYPE, *REIFICATION, *TAGS}
SYMMETRIC = OWL + "SymmetricProperty"


def describe(
    graph: ConceptGraph, iri: str, inferred: Collection[tuple] | None = None
) -> EntityDescription:
    """The description of ``iri``. ``inferred`` holds the triples only the reasoner stated,
    when the source knows (None: it does not, and nothing is marked inferred)."""
    return _Builder(graph, inferred).entity(iri)


def describe_claim(graph: ConceptGraph, claim: str) -> Claim:
    return _Builder(graph, None).claim(claim, None)


def claims_about(graph: ConceptGraph, iri: str) -> list[str]:
    """Reified claims (hk:Claim) whose subject or object is ``iri``, sorted by IRI."""
    found = {
        subject
        for prop, subject in graph.incoming.get(iri, [])
        if prop in (RDF_SUBJECT, RDF_OBJECT) and graph.is_a(subject, CLAIM)
    }
    return sorted(found)


def _rank(lit: Lit) -> tuple:
    lang = lit.lang.lower()
    return (0 if lang in ("en", "en-gb", "en-us") else 1 if not lang else 2, lit.value)


class _Builder:
    def __init__(self, graph: ConceptGraph, inferred: Collection[tuple] | None):
        self.graph = graph
        self.inferred = inferred
        self._refs: dict[str, Ref] = {}

    # -- terms ------------------------------------------------------------------------------

    def ref(self, iri: str) -> Ref:
        found = self._refs.get(iri)
        if found is None:
            if iri.startswith("_:"):
                found = Ref(iri, "(unnamed node)")
            else:
                graph = self.graph
                kind = graph.primary_type(iri) if graph.has(iri) else None
                if iri in graph.article_titles:
                    kind = ARTICLE
                label = graph.label(iri)
                if label == humanise(iri):  # nothing labels it
                    label = KNOWN_LABELS.get(iri, label)
                found = Ref(
                    iri,
                    label,
                    entity_id(iri),
                    kind.rsplit("#", 1)[-1] if kind else None,
                    external=not iri.startswith(BASE),
                )
            self._refs[iri] = found
        return found

    def value(self, term, prop: str = "") -> Value:
        if not isinstance(term, Lit):
            return self.ref(term)
        datatype = None if term.datatype in (XSD_STRING, RDF_LANGSTRING) else term.datatype
        url = term.value if term.value.startswith(("http://", "https://")) else None
        if url is None and prop == str(IAO_DEFINITION_SOURCE):
            url = xref_link(term.value)[1]  # a CURIE such as PMID:123
        return Text(term.value, term.lang, datatype, url)

    def is_inferred(self, s: str, p: str, o) -> bool:
        return self.inferred is not None and (s, p, o) in self.inferred

    def statement(self, s: str, p: str, o) -> Statement:
        details = []
        if isinstance(o, str) and o.startswith("_:"):
            details = [
                (self.ref(bp), self.value(bo, bp))
                for bp, values in sorted(self.graph.spo.get(o, {}).items())
                for bo in values
            ]
        return Statement(self.ref(p), self.value(o, p), self.is_inferred(s, p, o), details)

    def texts(self, iri: str, props: tuple[str, ...]) -> list[Text]:
        out = []
        for prop in props:
            literals = [v for v in self.graph.values(iri, prop) if isinstance(v, Lit)]
            out += [self.value(lit) for lit in sorted(literals, key=_rank)]
        return out

    # -- the entity -------------------------------------------------------------------------

    def entity(self, iri: str) -> EntityDescription:
        graph = self.graph
        claims = [self.claim(c, self._role(c, iri)) for c in claims_about(graph, iri)]
        corrections = self.corrections_of(iri, [c.ref.iri for c in claims])
        nxt = successor(graph, iri)
        reasons = self.texts(iri, (str(DEPRECATION_REASON),))
        relations, tagged_by = self.relations(
            iri, skip={c.ref.iri for c in claims} | {c.ref.iri for c in corrections}, nxt=nxt
        )
        return EntityDescription(
            ref=self.ref(iri),
            types=self.types(iri),
            definitions=self.texts(iri, (str(IAO_DEFINITION), str(SKOS.definition))),
            comments=self.texts(iri, (RDFS_COMMENT,)),
            synonyms=self.synonyms(iri),
            xrefs=self.xrefs(iri),
            attributes=self.attributes(iri),
            relations=relations,
            tagged_by=tagged_by,
            claims=claims,
            corrections=corrections,
            deprecated=is_deprecated(graph, iri),
            successor=self.ref(nxt) if nxt else None,
            deprecation_reason=reasons[0] if reasons else None,
        )

    def types(self, iri: str) -> list[TypeOf]:
        stated = set(self.graph.direct_types(iri))
        return [
            TypeOf(
                self.ref(cls),
                self.inferred is not None
                and (cls not in stated or self.is_inferred(iri, RDF_TYPE, cls)),
            )
            for cls in self.graph.all_types(iri)
        ]

    def synonyms(self, iri: str) -> list[Synonym]:
        """One entry per text with its scopes. skos:altLabel mirrors the OBO synonyms: it
        reads as an exact synonym only for a text that no OBO synonym property scopes."""
        found: dict[tuple[str, str], Synonym] = {}
        alternative: set[tuple[str, str]] = set()
        for prop, scope in SYNONYM_PROPERTIES.items():
            for value in self.graph.values(iri, prop):
                if not isinstance(value, Lit):
                    continue
                key = (value.value, value.lang)
                synonym = found.setdefault(key, Synonym(value.value, value.lang, []))
                if prop == ALT_LABEL:
                    alternative.add(key)
                elif scope not in synonym.scopes:
                    synonym.scopes.append(scope)
        for key in alternative:
            scopes = found[key].scopes
            if not [s for s in scopes if s != "hidden"]:
                scopes.append("exact")
        for synonym in found.values():
            synonym.scopes.sort(key=SCOPES.index)
        return sorted(found.values(), key=lambda s: (s.text.casefold(), s.text, s.language))

    def xrefs(self, iri: str) -> list[Xref]:
        found: dict[str, Xref] = {}
        for prop, kind in XREF_KINDS.items():
            for value in self.graph.values(iri, prop):
                if isinstance(value, Lit):
                    raw = value.value
                    text, url = xref_link(raw)
                elif value.startswith(("_:", BASE)):
                    continue  # a blank node, or one of hairkg's own entities: a relation
                else:
                    raw, text, url = value, iri_text(value), value
                xref = found.setdefault(url or text, Xref(text, url, [], []))
                if (raw, compact(prop)) not in xref.names:
                    xref.names.append((raw, compact(prop)))
                if kind not in xref.kinds:
                    xref.kinds.append(kind)
        return sorted(found.values(), key=lambda x: (x.text.casefold(), x.text))

    def attributes(self, iri: str) -> list[Statement]:
        out = []
        for prop, values in self.graph.spo.get(iri, {}).items():
            if prop in SECTIONS or prop in XREF_KINDS:
                continue
            out += [self.statement(iri, prop, v) for v in values if isinstance(v, Lit)]
        out.sort(key=lambda s: (s.property.label.casefold(), s.property.iri))
        return out

    def relations(
        self, iri: str, skip: set[str], nxt: str | None
    ) -> tuple[list[Relation], list[Relation]]:
        """(links both ways, article tags): a link and its inverse are shown once, as the
        primary property (``a owl:inverseOf b``: a), a symmetric link once, outgoing."""
        graph = self.graph
        incoming = set(graph.incoming.get(iri, ()))
        out: list[Relation] = []
        for prop, values in graph.spo.get(iri, {}).items():
            if prop in SECTIONS:
                continue
            for value in values:
                if isinstance(value, Lit) or (prop in XREF_KINDS and not value.startswith(BASE)):
                    continue
                if prop in REPLACED_BY and value == nxt:
                    continue  # shown as the successor
                primary = graph.primary_of.get(prop)
                if primary and ((primary, value) in incoming or graph.mirrored(iri, prop, value)):
                    continue  # shown once, as the incoming primary link
                statement = self.statement(iri, prop, value)
                out.append(
                    Relation(
                        statement.property,
                        "outgoing",
                        self.ref(value),
                        statement.inferred,
                        statement.details,
                    )
                )
        tags: list[Relation] = []
        for prop, subject in sorted(incoming):
            if subject.startswith("_:") or subject in skip:
                continue
            relation = Relation(
                self.ref(prop), "incoming", self.ref(subject), self.is_inferred(subject, prop, iri)
            )
            if prop in TAGS:
                tags.append(relation)
                continue
            if prop in INCOMING_SKIP or prop in SECTIONS:
                continue
            if graph.mirrored(subject, prop, iri):
                continue  # shown once, as the outgoing primary link
            if subject in graph.values(iri, prop) and SYMMETRIC in graph.values(prop, RDF_TYPE):
                continue  # shown once, outgoing
            out.append(relation)

        def order(r: Relation) -> tuple:
            return (
                r.direction != "outgoing",
                r.property.label.casefold(),
                r.property.iri,
                r.other.label.casefold(),
                r.other.iri,
            )

        return sorted(out, key=order), sorted(tags, key=order)

    # -- claims and corrections -------------------------------------------------------------

    def _role(self, claim: str, iri: str) -> str:
        return "subject" if iri in self.graph.values(claim, RDF_SUBJECT) else "object"

    def claim(self, claim: str, role: str | None) -> Claim:
        graph = self.graph

        def first(prop: str) -> Value | None:
            values = graph.values(claim, prop)
            return self.value(values[0]) if values else None

        statuses = [v for v in graph.values(claim, str(HK.claimStatus)) if isinstance(v, str)]
        statements = [
            self.statement(claim, prop, v)
            for prop, values in sorted(graph.spo.get(claim, {}).items())
            if prop not in (*REIFICATION, RDF_TYPE, *LABEL_PROPERTIES)
            for v in values
        ]
        fixes = self.correcting(claim)
        return Claim(
            ref=self.ref(claim),
            role=role,
            subject=first(RDF_SUBJECT),
            predicate=first(RDF_PREDICATE),
            object=first(RDF_OBJECT),
            status=self.ref(statuses[0]) if statuses else None,
            statements=statements,
            corrections=[self.correction(c) for c in fixes],
        )

    def correction(self, correction: str) -> Correction:
        leave_out = (RDF_TYPE, *LABEL_PROPERTIES, *DEFINITION_PROPERTIES)
        return Correction(
            ref=self.ref(correction),
            definition=self.graph.definition(correction),
            statements=[
                self.statement(correction, prop, v)
                for prop, values in sorted(self.graph.spo.get(correction, {}).items())
                if prop not in leave_out
                for v in values
            ],
        )

    def correcting(self, iri: str) -> list[str]:
        """The corrections of ``iri``: those that hk:corrects it (or that it is hk:correctedBy).
        A correction that only cites it (a study it is hk:supportedBy, the replacement claim
        it names, a claim stated in it) corrects something else: that is a relation."""
        graph = self.graph
        found = {s for p, s in graph.incoming.get(iri, []) if p == str(HK.corrects)}
        found |= {v for v in graph.values(iri, str(HK.correctedBy)) if isinstance(v, str)}
        return sorted(c for c in found if graph.is_a(c, CORRECTION))

    def corrections_of(self, iri: str, claims: list[str]) -> list[Correction]:
        """Corrections of the entity itself or of one of the claims about it."""
        found = {c for target in (iri, *claims) for c in self.correcting(target)}
        return [self.correction(c) for c in sorted(found)]
