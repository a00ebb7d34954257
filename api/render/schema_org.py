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
    # One hop in SPARQL, the closure here: a path with neither end fixed (``?t sub+ ?u``) is
    # not evaluated by every engine (Virtuoso: "transitive start not given").
    ontology = sparql_term(ox.NamedNode(str(ONTOLOGY_GRAPH)))
    rows = store.select(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT DISTINCT ?kind ?term ?target WHERE { GRAPH "
        + ontology
        + " { { ?term rdfs:subPropertyOf ?target BIND('p' AS ?kind) } UNION "
        "{ ?term rdfs:subClassOf ?target BIND('c' AS ?kind) } } "
        "FILTER(isIRI(?term) && isIRI(?target)) }"
    )
    edges: dict[str, dict[str, set[str]]] = {"p": defaultdict(set), "c": defaultdict(set)}
    for row in rows:
        edges[row["kind"].value][row["term"].value].add(row["target"].value)
    properties, classes = (_schema_targets(edges[kind]) for kind in ("p", "c"))
    result = (properties, classes)
    with _alignment_lock:
        _alignment_cache.clear()
        _alignment_cache[version] = result
    return result


def _schema_targets(parents: dict[str, set[str]]) -> dict[str, set[str]]:
    """term -> the schema.org terms among its ancestors (transitive closure of ``parents``)."""
    out: dict[str, set[str]] = {}
    for term in parents:
        seen: set[str] = set()
        todo = list(parents[term])
        while todo:
            parent = todo.pop()
            if parent not in seen:
                seen.add(parent)
                todo.extend(parents.get(parent, ()))
        targets = {t for t in seen if t.startswith(str(SCHEMA))}
        if targets:
            out[term] = targets
    return out


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


def page_json_ld(triples: list[ox.Triple], iri: str, store: SparqlStore) -> dict:
    """The schema.org JSON-LD embedded in the entity's or article's HTML page, for search
    engines: the entity with its schema.org types (from the ontology's alignment: a condition
    is a ``MedicalCondition``, an article a ``MedicalWebPage``), name, description, alternate
    names, sameAs, the aligned properties (``about``, ``adverseOutcome``, ...) with the
    labels of what they link to, and the schema.org properties asserted on it (``url``,
    ``author``, ``reviewedBy``, ``lastReviewed``, dates) where known."""
    entity = ox.NamedNode(iri)
    prefix = str(SCHEMA)
    labels: dict[str, str] = {}
    for triple in triples:
        if triple.predicate.value == RDFS_LABEL and isinstance(triple.object, ox.Literal):
            labels.setdefault(triple.subject.value, triple.object.value)
    types: set[str] = set()
    values: dict[str, list] = defaultdict(list)
    own = [t for t in triples if t.subject == entity and t.predicate.value.startswith(prefix)]
    for triple in schema_view(triples, iri, store) + own:
        name, value = triple.predicate.value[len(prefix) :], triple.object
        if triple.predicate.value == RDF_TYPE:
            if value.value.startswith(prefix):
                types.add(value.value[len(prefix) :])
            continue
        if not triple.predicate.value.startswith(prefix):
            continue
        if isinstance(value, ox.Literal):
            item = value.value
        elif isinstance(value, ox.NamedNode):
            item = value.value if name in ("sameAs", "url") else {"@id": value.value}
            if isinstance(item, dict) and value.value in labels:
                item["name"] = labels[value.value]
        else:
            continue
        if item not in values[name]:
            values[name].append(item)
    body: dict = {"@context": "https://schema.org", "@id": iri}
    body["@type"] = sorted(types) if len(types) > 1 else (next(iter(types), "Thing"))
    for name in sorted(values):
        found = values[name]
        if name in ("name", "description", "url", "lastReviewed", "datePublished"):
            body[name] = found[0]  # one value: the first (English labels come first)
        else:
            found.sort(key=lambda item: item["@id"] if isinstance(item, dict) else item)
            body[name] = found if len(found) > 1 else found[0]
    return body


def script_json(data: dict) -> str:
    """JSON for a ``<script type="application/ld+json">`` element: ``<``, ``>`` and ``&``
    escaped, so no text in the data can end the element."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
