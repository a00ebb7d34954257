"""Every IRI namespace hairkg mints or uses, in one place.

Entity IRIs live under ``BASE`` so the service can resolve them: ``{BASE}id/{name}`` is
served at ``/id/{name}``; the ontology document ``{BASE}ontology`` at ``/ontology``.
"""

from rdflib import Namespace

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


def sparql_prologue() -> str:
    """PREFIX declarations for every namespace above, for queries written by people."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())
