"""The schema.org view of an entity: its hairkg types and properties aligned to schema.org ones."""

from __future__ import annotations

import json
import threading
from collections import defaultdict

import pyoxigraph as ox

from api.render.terms import (
    OWL_NS,
    RDF_TYPE,
    RDFS_LABEL,
)
from kb.rdf import (
    OBO,
    OBOINOWL,
    ONTOLOGY_GRAPH,
    SCHEMA,
    SKOS,
)
from kb.store.client import SparqlStore, sparql_term

_alignment_lock = threading.Lock()


_alignment_cache: dict[str, tuple[dict[str, set[str]], dict[str, set[str]]]] = {}


def schema_alignment(store: SparqlStore) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(property -> schema.org properties, class -> schema.org classes) as the ontology states
    them (rdfs:subPropertyOf / rdfs:subClassOf, transitively), cached per dataset version."""
    version = store.version()
    with _alignment_lock:
        if version in _alignment_cache:
            return _alignment_cache[version]
    ontology = sparql_term(ox.NamedNode(str(ONTOLOGY_GRAPH)))
    schema = json.dumps(str(SCHEMA))
    rows = store.select(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT DISTINCT ?kind ?term ?target WHERE { GRAPH "
        + ontology
        + " { { ?term rdfs:subPropertyOf+ ?target BIND('p' AS ?kind) } UNION "
        "{ ?term rdfs:subClassOf+ ?target BIND('c' AS ?kind) } } "
        f"FILTER(isIRI(?term) && isIRI(?target) && STRSTARTS(STR(?target), {schema})) }}"
    )
    properties: dict[str, set[str]] = defaultdict(set)
    classes: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        (properties if row["kind"].value == "p" else classes)[row["term"].value].add(
            row["target"].value
        )
    result = (dict(properties), dict(classes))
    with _alignment_lock:
        _alignment_cache.clear()
        _alignment_cache[version] = result
    return result


def schema_view(triples: list[ox.Triple], iri: str, store: SparqlStore) -> list[ox.Triple]:
    """schema.org statements implied by the ontology's alignment, for the entity itself:
    types, aligned properties, and name/description/alternateName/sameAs from the OBO and
    SKOS annotations. Added to every RDF format, so consumers that only know schema.org
    can read the entity."""
    properties, classes = schema_alignment(store)
    entity = ox.NamedNode(iri)
    direct = {
        RDFS_LABEL: "name",
        str(OBO.IAO_0000115): "description",
        str(SKOS.altLabel): "alternateName",
        str(OBOINOWL.hasExactSynonym): "alternateName",
        str(SKOS.exactMatch): "sameAs",
        OWL_NS + "sameAs": "sameAs",
    }
    extra: list[ox.Triple] = []
    rdf_type = ox.NamedNode(RDF_TYPE)
    for triple in triples:
        if triple.subject != entity:
            continue
        p, o = triple.predicate.value, triple.object
        if p == RDF_TYPE and isinstance(o, ox.NamedNode):
            for target in classes.get(o.value, ()):
                extra.append(ox.Triple(entity, rdf_type, ox.NamedNode(target)))
        elif p in direct:
            if direct[p] == "sameAs" and not isinstance(o, ox.NamedNode):
                continue
            extra.append(ox.Triple(entity, ox.NamedNode(str(SCHEMA) + direct[p]), o))
        for target in properties.get(p, ()):
            extra.append(ox.Triple(entity, ox.NamedNode(target), o))
    return extra
