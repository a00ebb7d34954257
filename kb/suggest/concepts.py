"""The concepts a suggester looks for: their labels and synonyms from the concept graph, and the
patterns that find them."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from kb.rdf import HK, IAO_DEFINITION, OBOINOWL, SKOS
from kb.read.entities import (
    ARTICLE,
    CLAIM,
    CORRECTION,
    OWL,
    RDF_OBJECT,
    RDF_SUBJECT,
    RDF_TYPE,
    ConceptGraph,
    Lit,
    entity_id,
    humanise,
    local_name,
)
from kb.suggest.text import (
    _words,
    normalise_word,
)

# Kinds of node that are never proposed as tags: structure of the graph, not subjects.
UNTAGGED_TYPES = {
    ARTICLE,
    CLAIM,
    CORRECTION,
    str(HK.ArticleSection),
    str(HK.Comparison),
    str(HK.CostEstimate),
    str(HK.TreatmentSchedule),
    str(HK.AftercareInstruction),
    str(HK.InsuranceCoverage),
    str(HK.EvidenceLevel),
    str(HK.Population),  # "men", "women": who a claim applies to, not what an article is about
    str(HK.SourceDocument),
}


CONDITION_TYPES = {str(HK.Condition), str(HK.HairLossDisorder)}


TREATMENT_TYPES = {str(HK.Treatment), str(HK.CosmeticOption)}


# How a pattern names its concept, best first (ties between concepts go to the better one).
LABEL, EXACT, NARROW, OTHER, CITATION = 0, 1, 2, 3, 4


SCOPES = {
    str(OBOINOWL.hasExactSynonym): EXACT,
    str(OBOINOWL.hasNarrowSynonym): NARROW,
    str(OBOINOWL.hasRelatedSynonym): OTHER,
    str(OBOINOWL.hasBroadSynonym): OTHER,
    str(SKOS.altLabel): EXACT,
    str(SKOS.hiddenLabel): OTHER,
}


LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", str(SKOS.prefLabel))


ABBREVIATION = re.compile(r"[A-Z][A-Z0-9-]{1,5}")


STOPWORDS = _words(
    """a an the of in on at to for from by with without and or but not no is are was were be
    been being that this these those it its as into onto over under than then which who whom
    whose what when where why how can could may might must should would will shall do does did
    has have had their there them they he she his her our your you we i such other some any all
    each more most less least very also only about after before between through during per via
    one two three used use using type form part people person patient patients"""
)


_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Concept:
    index: int
    id: str
    iri: str
    label: str
    type: str  # local name of the most specific class
    types: frozenset[str]  # every class IRI
    cues: frozenset[str]  # normalised words from label, synonyms, definition
    neighbours: frozenset[int]  # concepts the ontology links to this one (either direction)
    components: frozenset[int] = frozenset()  # of a combination treatment (hk:hasComponent)
    # procedures that administer this product (hk:administers): naming the product ("PRP")
    # names them as a component of a combination
    administered_by: frozenset[int] = frozenset()

    @property
    def group(self) -> str:
        if self.types & CONDITION_TYPES:
            return "condition"
        if self.types & TREATMENT_TYPES:
            return "treatment"
        return "other"

    def ref(self) -> dict:
        return {"id": self.id, "iri": self.iri, "label": self.label, "type": self.type}


@dataclass(frozen=True)
class Pattern:
    text: str  # as written in the knowledge base
    concept: int
    kind: int
    abbreviation: bool


def _literal_texts(values) -> list[str]:
    return [v.value for v in values if isinstance(v, Lit) and v.value.strip()]


def _citation_patterns(label: str) -> list[str]:
    """ "Gupta et al. 2022 network meta-analysis ..." -> "Gupta et al. 2022", "Gupta 2022"."""
    m = re.match(r"\s*([A-Z][\w'-]+)(?: et al\.?)?,? \(?((?:19|20)\d\d)\b", label)
    if not m:
        return []
    author, year = m.groups()
    return [f"{author} et al. {year}", f"{author} {year}", f"{author} et al., {year}"]


def concepts_from_graph(graph: ConceptGraph) -> tuple[list[Concept], list[Pattern]]:
    """The taggable concepts of ``graph`` and every pattern that names one."""
    chosen: list[str] = []
    for iri in sorted(graph.entities()):
        identifier = entity_id(iri)
        if identifier is None or identifier.startswith("hk:") or graph.is_class(iri):
            continue
        types = graph.all_types(iri)
        if not types or any(t in UNTAGGED_TYPES for t in types):
            continue
        if not any(t.startswith(str(HK)) for t in types):
            continue
        if graph.values(iri, OWL + "deprecated"):
            continue
        chosen.append(iri)
    index_of = {iri: i for i, iri in enumerate(chosen)}
    patterns: list[Pattern] = []
    texts: dict[int, list[str]] = {}
    for i, iri in enumerate(chosen):
        label = graph.label(iri)
        own: list[tuple[str, int]] = []
        for prop in LABELS:
            own += [(t, LABEL) for t in _literal_texts(graph.values(iri, prop))]
        scoped = set()
        for prop, kind in SCOPES.items():
            for t in _literal_texts(graph.values(iri, prop)):
                # skos:altLabel mirrors the scoped synonyms: it counts only for texts without one
                if prop != str(SKOS.altLabel) or t not in scoped:
                    own.append((t, kind))
                    scoped.add(t)
        if any(t.endswith("Study") for t in graph.all_types(iri)):
            own += [(t, CITATION) for t in _citation_patterns(label)]
        best: dict[str, tuple[int, str]] = {}
        for text, kind in own:
            if text not in best or kind < best[text][0]:
                best[text] = (kind, text)
        for text, (kind, _) in sorted(best.items()):
            abbreviation = bool(ABBREVIATION.fullmatch(text)) and kind != LABEL
            patterns.append(Pattern(text, i, kind, abbreviation))
        definition = _literal_texts(graph.values(iri, str(IAO_DEFINITION)))
        texts[i] = [t for t, _ in own if not ABBREVIATION.fullmatch(t)] + definition[:1]
    # Cue words: content words of a concept's names and definition that few concepts share.
    words_of = {
        i: {
            normalise_word(w)
            for t in ts
            for w in _TOKEN.findall(t)
            if len(w) > 2 and w.lower() not in STOPWORDS and not w.isdigit()
        }
        for i, ts in texts.items()
    }
    spread = Counter(w for ws in words_of.values() for w in ws)
    common = max(3, len(chosen) // 12)
    neighbours: dict[int, set[int]] = {i: set() for i in range(len(chosen))}
    components: dict[int, frozenset[int]] = {}
    administered_by: dict[int, set[int]] = defaultdict(set)
    # One walk over every statement (a memory-mapped graph lists them a column at a time,
    # faster than looking each concept up again)
    for subject, props in graph.spo.items():
        # claims: subject and object of one statement
        subjects = [index_of[v] for v in props.get(RDF_SUBJECT, ()) if v in index_of]
        objects = [index_of[v] for v in props.get(RDF_OBJECT, ()) if v in index_of]
        for a in subjects:
            for b in objects:
                if a != b:
                    neighbours[a].add(b)
                    neighbours[b].add(a)
        i = index_of.get(subject)
        if i is None:
            continue
        for prop, values in props.items():
            if prop == RDF_TYPE:
                continue
            for value in values:
                j = index_of.get(value) if isinstance(value, str) else None
                if j is not None and j != i:
                    neighbours[i].add(j)
                    neighbours[j].add(i)
        parts = props.get(str(HK.hasComponent), ())
        components[i] = frozenset(index_of[v] for v in parts if v in index_of)
        for product in props.get(str(HK.administers), ()):
            if product in index_of:
                administered_by[index_of[product]].add(i)
    concepts = []
    for i, iri in enumerate(chosen):
        primary = graph.primary_type(iri)
        types = graph.all_types(iri)
        concepts.append(
            Concept(
                index=i,
                id=entity_id(iri) or iri,
                iri=iri,
                label=graph.label(iri) if graph.label(iri) else humanise(iri),
                type=local_name(primary or types[0]),
                types=frozenset(types),
                cues=frozenset(w for w in words_of[i] if spread[w] <= common),
                neighbours=frozenset(neighbours[i]),
                components=components[i] if len(components[i]) >= 2 else frozenset(),
                administered_by=frozenset(administered_by.get(i, ())),
            )
        )
    return concepts, patterns
