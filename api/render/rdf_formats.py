"""The RDF formats the Linked Data pages offer, and serialising triples in one of them."""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph

from kb.rdf import (
    PREFIXES,
    SCHEMA,
)


@dataclass(frozen=True)
class RdfFormat:
    name: str
    media_type: str
    extension: str
    rdflib_format: str


HTML = "text/html"


TURTLE = RdfFormat("Turtle", "text/turtle", "ttl", "turtle")


NTRIPLES = RdfFormat("N-Triples", "application/n-triples", "nt", "nt")


JSONLD = RdfFormat("JSON-LD", "application/ld+json", "jsonld", "json-ld")


RDFXML = RdfFormat("RDF/XML", "application/rdf+xml", "rdf", "xml")


RDF_FORMATS = (TURTLE, NTRIPLES, JSONLD, RDFXML)


BY_EXTENSION = {f.extension: f for f in RDF_FORMATS} | {"json": JSONLD, "owl": RDFXML}


BY_MEDIA_TYPE = {f.media_type: f for f in RDF_FORMATS}


# Turtle first: what a client that accepts anything (curl, */*) gets; browsers rank HTML higher.
OFFERED = [TURTLE.media_type, HTML, JSONLD.media_type, NTRIPLES.media_type, RDFXML.media_type]


# Aliases a client may ask for; the body is the same as the canonical type's.
ALIASES = {"application/json": JSONLD, "text/plain": NTRIPLES, "application/xml": RDFXML}


JSONLD_CONTEXT: dict = {
    "@vocab": str(SCHEMA),
    **{name: iri for name, iri in PREFIXES.items() if name != "schema"},
    "schema": str(SCHEMA),
    "sameAs": {"@id": str(SCHEMA.sameAs), "@type": "@id"},
    "url": {"@id": str(SCHEMA.url), "@type": "@id"},
    "about": {"@id": str(SCHEMA.about), "@type": "@id"},
    "mentions": {"@id": str(SCHEMA.mentions), "@type": "@id"},
    "possibleTreatment": {"@id": str(SCHEMA.possibleTreatment), "@type": "@id"},
    "adverseOutcome": {"@id": str(SCHEMA.adverseOutcome), "@type": "@id"},
    "riskFactor": {"@id": str(SCHEMA.riskFactor), "@type": "@id"},
    "evidenceLevel": {"@id": str(SCHEMA.evidenceLevel), "@type": "@id"},
}


def serialise(triples: list[ox.Triple], rdf_format: RdfFormat) -> bytes:
    """Triples in the asked format, with the project's prefixes (and JSON-LD @context)."""
    graph = Graph(bind_namespaces="none")
    for name, iri in PREFIXES.items():
        graph.bind(name, iri, override=True)
    if triples:
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    if rdf_format is JSONLD:
        data = graph.serialize(format="json-ld", context=JSONLD_CONTEXT, auto_compact=True)
    elif rdf_format is NTRIPLES:
        # rdflib's N-Triples order is arbitrary; sorted lines are stable and diffable.
        lines = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode().splitlines()
        data = "".join(line + "\n" for line in sorted(set(lines)))
    else:
        data = graph.serialize(format=rdf_format.rdflib_format)
    return data.encode("utf-8") if isinstance(data, str) else data
