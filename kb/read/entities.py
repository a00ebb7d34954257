"""Entity cards and typed views, answered from an in-memory snapshot of the concept graph.

The snapshot (``EntityGraph``) holds every triple whose subject is *not* an article: the
ontology, conditions, treatments, mechanisms, adverse effects, studies, claims, corrections.
That is small even when the articles number hundreds of thousands (articles live in the
related-content index, ``kb.read.related``), so an entity card is a few dictionary look-ups instead
of SPARQL round trips, and its cost does not grow with the number of articles.

Terms: an IRI is a ``str``; a blank node a ``str`` starting with ``_:``; a literal a ``Lit``.
What the graph answers is ``ConceptGraph``'s, over either storage: ``EntityGraph`` (dictionaries,
built from the store's triples) or the memory-mapped columns of a shared snapshot
(``kb.read.columnar.graph.MappedEntityGraph``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, MutableMapping
from typing import NamedTuple

from kb.rdf import (
    DCTERMS,
    HK,
    IAO_DEFINITION,
    ID_PATTERN,
    KB,
    OBOINOWL,
    SCHEMA,
    SKOS,
    compact,
)

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
# Incoming links that are not relations of the entity itself.
INCOMING_SKIP = {RDF_TYPE, RDF_SUBJECT, RDF_OBJECT, RDF_PREDICATE, ABOUT, MENTIONS}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class Lit(NamedTuple):
    value: str
    lang: str = ""
    datatype: str = XSD_STRING


def graph_term(node) -> str | Lit | None:
    """A pyoxigraph term as the entity graph holds it: an IRI string, ``_:label`` for a blank
    node, a ``Lit``; None for a triple term (not used in the graph)."""
    import pyoxigraph as ox

    if isinstance(node, ox.NamedNode):
        return node.value
    if isinstance(node, ox.BlankNode):
        return "_:" + node.value
    if isinstance(node, ox.Literal):
        return Lit(node.value, node.language or "", node.datatype.value)
    return None


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


def _pick_literal(values: Iterable) -> Lit | None:
    """English first, then untagged, then anything; ties broken by value for determinism."""
    literals = [v for v in values if isinstance(v, Lit)]
    if not literals:
        return None

    def rank(lit: Lit):
        lang = lit.lang.lower()
        return (0 if lang in ("en", "en-gb", "en-us") else 1 if not lang else 2, lit.value)

    return min(literals, key=rank)


class ConceptGraph:
    """What the concept graph answers, over either storage: ``EntityGraph`` (dictionaries in
    memory) or ``kb.read.columnar.graph.MappedEntityGraph`` (a snapshot's memory-mapped columns).

    A storage provides ``spo`` (subject -> {predicate: values sorted by ``_term_key``}, the
    predicates in the order the triples came), ``incoming`` (IRI -> sorted (predicate, subject)
    pairs), ``article_titles`` (article IRI -> title, updated in place by article refreshes),
    ``primary_of`` (a secondary inverse property -> its primary) and ``own_label``; everything
    else is derived here, once."""

    spo: Mapping[str, Mapping[str, list]]
    incoming: Mapping[str, list[tuple[str, str]]]
    article_titles: MutableMapping[str, str]
    primary_of: Mapping[str, str]

    def __init__(self) -> None:
        self._ancestors: dict[str, tuple[str, ...]] = {}  # one entry per class asked about

    def own_label(self, iri: str) -> str | None:
        """The label the graph states for ``iri`` (``LABEL_PROPERTIES``, English first)."""
        raise NotImplementedError

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
        found = self.own_label(iri)
        if found is None:
            found = self.article_titles.get(iri)
        return humanise(iri) if found is None else found

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

    def subjects_with(self, prop: str) -> list[str]:
        """The subjects that have a value of ``prop``, in the order of ``entities()``."""
        return [s for s, props in self.spo.items() if prop in props]

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


class EntityGraph(ConceptGraph):
    """The non-article triples in memory, with labels, types and class ancestry."""

    def __init__(self, triples: Iterable[tuple[str, str, object]], article_titles=None):
        super().__init__()
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
            s: {p: vs if len(vs) == 1 else sorted(vs, key=_term_key) for p, vs in ps.items()}
            for s, ps in spo.items()
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
        # ``a owl:inverseOf b``: a is the primary direction, b its (often inferred) mirror
        self.primary_of: dict[str, str] = {}
        for a, props in self.spo.items():
            for b in props.get(OWL_INVERSE_OF, ()):
                if isinstance(b, str) and b not in self.primary_of and a not in self.primary_of:
                    self.primary_of[b] = a

    def own_label(self, iri: str) -> str | None:
        return self._labels.get(iri)


def _term_key(term) -> tuple:
    if isinstance(term, Lit):
        return (1, term.value, term.lang, term.datatype)
    return (0, term, "", "")


# -- entity cards -------------------------------------------------------------------------


# -- typed views --------------------------------------------------------------------------
