"""A quality report in the spirit of ROBOT ``report``, over an rdflib graph.

Checks the terms hairkg mints (IRIs under the ``hk:`` and ``kb:`` namespaces) and the
ontology header. Severities follow ROBOT's default profile where it has the rule (see
``/work/shared/reference/conventions.md``); hairkg's own rules are marked below.

=========================== ======== =====================================================
rule                        severity what
=========================== ======== =====================================================
missing_label               error    an own term with no ``rdfs:label``
multiple_labels             error    two ``rdfs:label`` in the same language
duplicate_label             error    two terms with the same label (case-insensitive)
label_whitespace            error    leading, trailing or doubled whitespace in a label
label_formatting            error    a line break or tab in a label
missing_definition          warning  a class or property with no ``IAO:0000115``
multiple_definitions        error    two definitions in the same language
duplicate_definition        error    two terms with the same definition
annotation_whitespace       warning  leading or trailing whitespace in a definition/synonym
duplicate_exact_synonym     warning  one exact synonym on two terms
duplicate_label_synonym     error    a synonym of one term is the label of another
dangling_reference          error    an ``hk:``/``kb:`` IRI used but never declared (typed)
deprecated_reference        warning  use of an ``owl:deprecated`` term (hairkg: warning)
missing_obsolete_label      warning  a deprecated term whose label lacks "obsolete "
misused_replaced_by         error    ``IAO:0100001``/``dcterms:isReplacedBy`` on a live term
deprecated_boolean_datatype error    ``owl:deprecated`` not an ``xsd:boolean``
claim_without_provenance    error    an ``hk:Claim`` without ``hk:statedIn`` (hairkg)
claim_without_evidence      warning  a claim with no supporting, consistent or disputing
                                     study and no ``skos:editorialNote`` saying why (hairkg)
incomplete_claim            error    a claim without rdf:subject/predicate/object (hairkg)
invalid_xref                warning  a ``hasDbXref`` that is not a CURIE; a literal mapping
missing_ontology_title      error    ``dcterms:title`` on the ontology
missing_ontology_description error   ``dcterms:description`` on the ontology
missing_ontology_license    error    ``dcterms:license`` on the ontology
missing_ontology_version    warning  ``owl:versionIRI`` on the ontology (hairkg)
=========================== ======== =====================================================
"""

from __future__ import annotations

import re
from collections import defaultdict

from rdflib import OWL, RDF, RDFS, XSD, Graph, Literal, URIRef

from kb.rdf import (
    DCTERMS,
    HK,
    IAO_DEFINITION,
    IAO_TERM_REPLACED_BY,
    KB,
    OBOINOWL,
    SKOS,
)
from kb.validation.findings import SEVERITIES, Finding, count_by_severity, short

OWN = (str(HK), str(KB))
_BUILTIN = (str(OWL), str(RDF), str(RDFS), str(XSD))

_SCHEMA_TYPES = {
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    RDF.Property,
    OWL.Ontology,
    OWL.NamedIndividual,
    OWL.Restriction,
    OWL.AllDisjointClasses,
    RDFS.Class,
    RDFS.Datatype,
}
_PROPERTY_TYPES = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
_DEFINITIONS = (IAO_DEFINITION, SKOS.definition)
_SYNONYMS = (
    OBOINOWL.hasExactSynonym,
    OBOINOWL.hasNarrowSynonym,
    OBOINOWL.hasBroadSynonym,
    OBOINOWL.hasRelatedSynonym,
)
_MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
# Pointing at a deprecated term is how deprecation is recorded, not a use of it.
_DEPRECATION_LINKS = {IAO_TERM_REPLACED_BY, DCTERMS.isReplacedBy, OBOINOWL.consider, OWL.deprecated}
# A claim's evidence: a study that supports or disputes it, or the evidence of the
# hk:Correction that corrects it. Without any, an editorial note must say why.
_CLAIM_EVIDENCE = (HK.supportedBy, HK.consistentWith, HK.disputedBy)
_CURIE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*:[^\s]+$")


def _own(term: object) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(OWN)


def _is_true(value: object) -> bool:
    return isinstance(value, Literal) and str(value).strip().lower() in ("true", "1")


class _Checker:
    def __init__(self, graph: Graph, locations: dict[str, tuple[str, int]] | None):
        self.g = graph
        self.locations = locations or {}
        self.findings: list[Finding] = []

    def add(
        self, severity: str, rule: str, message: str, node: object = None, at: object = None
    ) -> None:
        where = self.locations.get(str(at if at is not None else node)) if node or at else None
        self.findings.append(
            Finding(
                severity,
                rule,
                message,
                str(node) if node is not None else None,
                where[0] if where else None,
                where[1] if where else None,
            )
        )

    # -- term inventory ----------------------------------------------------------------

    def inventory(self) -> None:
        g = self.g
        self.classes = {c for c in g.subjects(RDF.type, OWL.Class) if isinstance(c, URIRef)}
        self.classes |= {c for c in g.subjects(RDF.type, RDFS.Class) if isinstance(c, URIRef)}
        self.properties = {
            p for t in _PROPERTY_TYPES for p in g.subjects(RDF.type, t) if isinstance(p, URIRef)
        }
        self.declared = {s for s in g.subjects(RDF.type, None) if isinstance(s, URIRef)}
        self.individuals = {
            s
            for s, t in g.subject_objects(RDF.type)
            if isinstance(s, URIRef) and t not in _SCHEMA_TYPES and s not in self.classes
        }
        self.deprecated = {s for s, v in g.subject_objects(OWL.deprecated) if _is_true(v)}
        own = {t for t in self.classes | self.properties | self.individuals if _own(t)}
        self.terms = sorted(own)

    # -- labels ------------------------------------------------------------------------

    def labels(self) -> None:
        by_label: dict[tuple[str, str], list[URIRef]] = defaultdict(list)
        for term in self.terms:
            labels = sorted(self.g.objects(term, RDFS.label), key=str)
            if not labels:
                self.add("error", "missing_label", f"{short(term)} has no rdfs:label", term)
                continue
            per_lang: dict[str, list[str]] = defaultdict(list)
            for label in labels:
                lang = getattr(label, "language", None) or ""
                text = str(label)
                per_lang[lang].append(text)
                if "\n" in text or "\t" in text or "\r" in text:
                    self.add(
                        "error",
                        "label_formatting",
                        f"label {text!r} of {short(term)} contains a line break or tab",
                        term,
                    )
                elif text != text.strip() or "  " in text:
                    self.add(
                        "error",
                        "label_whitespace",
                        f"label {text!r} of {short(term)} has leading, trailing or double spaces",
                        term,
                    )
                by_label[(lang, " ".join(text.split()).casefold())].append(term)
            for lang, texts in sorted(per_lang.items()):
                if len(texts) > 1:
                    shown = ", ".join(repr(t) for t in texts)
                    self.add(
                        "error",
                        "multiple_labels",
                        f"{short(term)} has {len(texts)} labels"
                        f"{' in @' + lang if lang else ''}: {shown}",
                        term,
                    )
        self._duplicates(by_label, "duplicate_label", "label", "error")

    def _duplicates(
        self,
        groups: dict[tuple[str, str], list[URIRef]],
        rule: str,
        what: str,
        severity: str,
    ) -> None:
        for (_lang, text), terms in sorted(groups.items()):
            unique = sorted(set(terms))
            if len(unique) < 2:
                continue
            for term in unique:
                others = ", ".join(short(t) for t in unique if t != term)
                self.add(
                    severity,
                    rule,
                    f"{short(term)} has the same {what} {text!r} as {others}",
                    term,
                )

    # -- definitions and synonyms ------------------------------------------------------

    def definitions(self) -> None:
        by_def: dict[tuple[str, str], list[URIRef]] = defaultdict(list)
        by_syn: dict[tuple[str, str], list[URIRef]] = defaultdict(list)
        for term in self.terms:
            defs = [d for p in _DEFINITIONS for d in self.g.objects(term, p)]
            needs = (term in self.classes or term in self.properties) and (
                term not in self.deprecated
            )
            if not defs and needs:
                kind = "class" if term in self.classes else "property"
                self.add(
                    "warning",
                    "missing_definition",
                    f"{kind} {short(term)} has no definition (IAO:0000115)",
                    term,
                )
            per_lang: dict[str, int] = defaultdict(int)
            for d in defs:
                per_lang[getattr(d, "language", None) or ""] += 1
                by_def[(getattr(d, "language", None) or "", " ".join(str(d).split()))].append(term)
            for lang, n in sorted(per_lang.items()):
                if n > 1:
                    self.add(
                        "error",
                        "multiple_definitions",
                        f"{short(term)} has {n} definitions{' in @' + lang if lang else ''}",
                        term,
                    )
            annotations = defs + [s for p in _SYNONYMS for s in self.g.objects(term, p)]
            for a in annotations:
                if isinstance(a, Literal) and str(a) != str(a).strip():
                    self.add(
                        "warning",
                        "annotation_whitespace",
                        f"annotation {str(a)!r} of {short(term)} has leading or trailing spaces",
                        term,
                    )
            for s in self.g.objects(term, OBOINOWL.hasExactSynonym):
                key = (getattr(s, "language", None) or "", " ".join(str(s).split()).casefold())
                by_syn[key].append(term)
        self._duplicates(by_def, "duplicate_definition", "definition", "error")
        self._duplicates(by_syn, "duplicate_exact_synonym", "exact synonym", "warning")
        self.synonyms_that_are_labels()

    def synonyms_that_are_labels(self) -> None:
        """A synonym (any scope) that is another term's label: a search for that label would
        land on two terms, and a parent's synonym would pass for its child."""
        labelled: dict[str, set[URIRef]] = defaultdict(set)
        for term in self.terms:
            for label in self.g.objects(term, RDFS.label):
                labelled[" ".join(str(label).split()).casefold()].add(term)
        for term in self.terms:
            for p in _SYNONYMS:
                for synonym in self.g.objects(term, p):
                    others = labelled.get(" ".join(str(synonym).split()).casefold(), set())
                    for other in sorted(others - {term}):
                        self.add(
                            "error",
                            "duplicate_label_synonym",
                            f"synonym {str(synonym)!r} of {short(term)} is the label of "
                            f"{short(other)}: remove it, or make it a synonym of that term",
                            term,
                        )

    # -- references --------------------------------------------------------------------

    def references(self) -> None:
        dangling: dict[URIRef, set] = defaultdict(set)
        deprecated_uses: dict[tuple, set] = defaultdict(set)
        for s, p, o in self.g:
            for term, role in ((p, "property"), (o, "object")):
                if not isinstance(term, URIRef):
                    continue
                if _own(term) and term not in self.declared:
                    dangling[term].add(s)
                if (
                    term in self.deprecated
                    and s not in self.deprecated
                    and p not in _DEPRECATION_LINKS
                    and s != term
                ):
                    deprecated_uses[(term, role)].add(s)
        for term, users in sorted(dangling.items()):
            named = sorted((u for u in users if isinstance(u, URIRef)), key=str)
            first = named[0] if named else None
            message = f"{short(term)} is referenced but never declared"
            if named:
                message += f" (used by {', '.join(short(u) for u in named[:5])}"
                message += f" and {len(named) - 5} more)" if len(named) > 5 else ")"
            self.add("error", "dangling_reference", message, term, at=first)
        for (term, role), users in sorted(deprecated_uses.items()):
            named = sorted((u for u in users if isinstance(u, URIRef)), key=str)
            replaced = self.g.value(term, IAO_TERM_REPLACED_BY)
            hint = f"; use {short(replaced)} instead" if replaced is not None else ""
            for user in named or [None]:
                self.add(
                    "warning",
                    "deprecated_reference",
                    f"{short(user) if user else 'a blank node'} uses deprecated "
                    f"{role} {short(term)}{hint}",
                    user if user is not None else term,
                )

    def deprecation(self) -> None:
        for term, value in sorted(self.g.subject_objects(OWL.deprecated)):
            if not (isinstance(value, Literal) and value.datatype == XSD.boolean):
                self.add(
                    "error",
                    "deprecated_boolean_datatype",
                    f"owl:deprecated on {short(term)} must be an xsd:boolean (write `true`)",
                    term,
                )
        for term in sorted(self.deprecated):
            if not _own(term):
                continue
            labels = [str(x) for x in self.g.objects(term, RDFS.label)]
            if labels and not any(x.startswith("obsolete ") for x in labels):
                self.add(
                    "warning",
                    "missing_obsolete_label",
                    f"deprecated {short(term)} should have a label starting with 'obsolete '",
                    term,
                )
        successors = (IAO_TERM_REPLACED_BY, DCTERMS.isReplacedBy)
        for term in sorted({t for p in successors for t in self.g.subjects(p, None)}):
            if term not in self.deprecated:
                self.add(
                    "error",
                    "misused_replaced_by",
                    f"{short(term)} has 'term replaced by' but is not owl:deprecated",
                    term,
                )

    # -- claims ------------------------------------------------------------------------

    def claims(self) -> None:
        claim_classes = {HK.Claim}
        changed = True
        while changed:
            changed = False
            for sub, sup in self.g.subject_objects(RDFS.subClassOf):
                if sup in claim_classes and isinstance(sub, URIRef) and sub not in claim_classes:
                    claim_classes.add(sub)
                    changed = True
        claims = sorted({c for k in claim_classes for c in self.g.subjects(RDF.type, k)}, key=str)
        for claim in claims:
            if claim in self.deprecated:
                continue
            if self.g.value(claim, HK.statedIn) is None:
                self.add(
                    "error",
                    "claim_without_provenance",
                    f"claim {short(claim)} has no hk:statedIn (the article that states it)",
                    claim,
                )
            has_study = any(self.g.value(claim, p) is not None for p in _CLAIM_EVIDENCE) or any(
                self.g.value(c, HK.correctionEvidence) is not None
                for c in self.g.subjects(HK.corrects, claim)
            )
            if not has_study and self.g.value(claim, SKOS.editorialNote) is None:
                self.add(
                    "warning",
                    "claim_without_evidence",
                    f"claim {short(claim)} has no hk:supportedBy, hk:consistentWith or "
                    "hk:disputedBy study, and no skos:editorialNote saying why",
                    claim,
                )
            missing = [
                name
                for name, p in (
                    ("rdf:subject", RDF.subject),
                    ("rdf:predicate", RDF.predicate),
                    ("rdf:object", RDF.object),
                )
                if self.g.value(claim, p) is None
            ]
            if missing:
                self.add(
                    "error",
                    "incomplete_claim",
                    f"claim {short(claim)} has no {', '.join(missing)}",
                    claim,
                )

    # -- cross-references --------------------------------------------------------------

    def xrefs(self) -> None:
        for s, x in sorted(self.g.subject_objects(OBOINOWL.hasDbXref), key=str):
            text = str(x)
            if isinstance(x, URIRef) or not _CURIE.match(text) or "://" in text:
                self.add(
                    "warning",
                    "invalid_xref",
                    f"cross-reference {text!r} on {short(s)} is not a CURIE (PREFIX:ID)",
                    s,
                )
        for p in _MAPPINGS:
            for s, x in sorted(self.g.subject_objects(p), key=str):
                if isinstance(x, Literal):
                    self.add(
                        "warning",
                        "invalid_xref",
                        f"{short(p)} on {short(s)} is the literal {str(x)!r}; use an IRI",
                        s,
                    )

    # -- ontology header ---------------------------------------------------------------

    def ontology_header(self) -> None:
        for onto in sorted(self.g.subjects(RDF.type, OWL.Ontology), key=str):
            for rule, prop, severity in (
                ("missing_ontology_title", DCTERMS.title, "error"),
                ("missing_ontology_description", DCTERMS.description, "error"),
                ("missing_ontology_license", DCTERMS.license, "error"),
                ("missing_ontology_version", OWL.versionIRI, "warning"),
            ):
                if self.g.value(onto, prop) is None:
                    self.add(severity, rule, f"ontology {short(onto)} has no {short(prop)}", onto)


def quality_findings(
    graph: Graph, locations: dict[str, tuple[str, int]] | None = None
) -> list[Finding]:
    """Run every check on ``graph`` (ontology and data together); findings in rule order.

    ``locations`` maps subject IRIs to (file, line), to point each finding at the place
    where the term is written.
    """
    c = _Checker(graph, locations)
    c.inventory()
    c.ontology_header()
    c.labels()
    c.definitions()
    c.references()
    c.deprecation()
    c.claims()
    c.xrefs()
    return c.findings


__all__ = ["OWN", "SEVERITIES", "Finding", "count_by_severity", "quality_findings", "short"]
