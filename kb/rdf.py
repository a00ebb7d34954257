"""RDF terms in one place: every IRI namespace hairkg mints or uses, prefixed names
(:func:`compact`), the id pattern of served entities, and the conversion of terms between
pyoxigraph and rdflib.

Entity IRIs live under ``BASE`` so the service can resolve them: ``{BASE}id/{name}`` is
served at ``/id/{name}``; the ontology document ``{BASE}ontology`` at ``/ontology``.
"""

from __future__ import annotations

import re

import pyoxigraph as ox
from rdflib import BNode, Literal, Namespace, URIRef

BASE = "https://w3id.org/hairkg/"

ONTOLOGY_IRI = BASE + "ontology"
HK = Namespace(ONTOLOGY_IRI + "#")  # classes and properties of the ontology
KB = Namespace(BASE + "id/")  # entities of the knowledge base
GRAPH = Namespace(BASE + "graph/")  # named graphs of the dataset

# Named graphs: asserted ontology, asserted knowledge base, reasoner output, service metadata.
ONTOLOGY_GRAPH = GRAPH.ontology
KB_GRAPH = GRAPH.kb
INFERRED_GRAPH = GRAPH.inferred
META_GRAPH = GRAPH.meta
PROPOSALS_GRAPH = GRAPH.proposals  # changes awaiting review (kb.writes.proposal_records)
# What hairkg's own queries read as their default graph (the knowledge itself): the store's
# union default graph also holds the service's bookkeeping (META_GRAPH, the change history),
# which no index, card or page should read.
CONTENT_GRAPHS = (str(ONTOLOGY_GRAPH), str(KB_GRAPH), str(INFERRED_GRAPH))

SCHEMA = Namespace("http://schema.org/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
OBO = Namespace("http://purl.obolibrary.org/obo/")
OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
PROV = Namespace("http://www.w3.org/ns/prov#")
VOID = Namespace("http://rdfs.org/ns/void#")
SH = Namespace("http://www.w3.org/ns/shacl#")

IAO_DEFINITION = OBO.IAO_0000115
IAO_DEFINITION_SOURCE = OBO.IAO_0000119
IAO_TERM_REPLACED_BY = OBO.IAO_0100001
# A deprecated term's successor: Dublin Core's property and OBO's "term replaced by". hairkg
# writes both (Linked Data clients read the first, OBO tools the second) and reads either.
REPLACED_BY = (str(DCTERMS.isReplacedBy), str(IAO_TERM_REPLACED_BY))
OWL_DEPRECATED = "http://www.w3.org/2002/07/owl#deprecated"
# Why a deprecated term was retired (required when it has no successor: ontology/shapes.ttl).
DEPRECATION_REASON = HK.deprecationReason

# Prefixes used in files we write, in the query UI and in CLI output.
PREFIXES: dict[str, str] = {
    "hk": str(HK),
    "kb": str(KB),
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": str(SKOS),
    "schema": str(SCHEMA),
    "dcterms": str(DCTERMS),
    "obo": str(OBO),
    "oboInOwl": str(OBOINOWL),
    "prov": str(PROV),
    "sh": str(SH),
    "void": str(VOID),
}


# The id of a served entity: its name under {BASE}id/ (``/id/{id}``, ``/api/v1/entities/{id}``),
# or the local name of an ontology term after ``hk:``.
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,199}")
# Ids the editor API mints for new entities: a stricter subset of ID_PATTERN.
NEW_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,119}$")

_LOCAL_NAME = re.compile(r"[\w.~-]+")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def claim_iri(subject: str, predicate: str, obj: str) -> str:
    """The IRI of the claim behind ``subject predicate obj`` when an editor or a template
    mints it: ``kb:claim-<subject>-<predicate>-<object>``, each local name in kebab case."""

    def words(iri: str) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "-", re.split(r"[/#]", iri)[-1]).lower()

    return f"{KB}claim-{words(subject)}-{words(predicate)}-{words(obj)}"


def compact(iri: str) -> str:
    """``prefix:local`` under the longest namespace of PREFIXES that covers ``iri`` with a
    plain local name, else the IRI itself."""
    best = ""
    for name, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(PREFIXES.get(best, "")):
            best = name
    if best:
        local = iri[len(PREFIXES[best]) :]
        if _LOCAL_NAME.fullmatch(local):
            return f"{best}:{local}"
    return iri


def to_oxigraph(term: object) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and term.datatype != _XSD_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported RDF term {term!r}")


def to_rdflib(
    term: object, bnodes: dict[str, BNode] | None = None, prefix: str = ""
) -> URIRef | BNode | Literal:
    """A pyoxigraph term as an rdflib term. With ``bnodes``, blank nodes are relabelled
    deterministically (``{prefix}b0``, ``{prefix}b1``, ... in order of first sight)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        if bnodes is None:
            return BNode(term.value)
        b = bnodes.get(term.value)
        if b is None:
            b = bnodes[term.value] = BNode(f"{prefix}b{len(bnodes)}")
        return b
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        if dt in (_XSD_STRING, _RDF_LANGSTRING):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    raise TypeError(f"unsupported RDF term {term!r}")
