"""One entity's neighbourhood read from the store, for pages that must show the store's current
state (the Linked Data page) rather than the read indexes' snapshot.

Three fixed queries, the entity's IRI bound through ``kb.store.client.sparql_term`` (a name
from a request never reaches SPARQL text any other way); the first two keep what the content
graphs hold (ontology, kb, inferred; never the history or proposals, whose records are
literals about their own nodes):

1. the entity's statements both ways, its blank-node values' statements, the claims whose
   subject or object it is and the corrections of it or of those claims, with their graphs
   (a statement only the inferred graph holds is marked inferred);
2. the class hierarchy, the inverse and the symmetric properties of the ontology (to order
   types and show a link and its inverse once);
3. the labels and types of every IRI those mention, 400 at a time (in the default graph: a
   look-up per IRI and property, many times faster than naming the graph).

They fill a small ``EntityGraph``: ``describe`` reads it exactly as it reads the indexes'.
``entity_triples`` is the entity's RDF description (Turtle, JSON-LD, ...).
"""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from kb.rdf import CONTENT_GRAPHS, HK, INFERRED_GRAPH, REPLACED_BY
from kb.read.entities import (
    ABOUT,
    ARTICLE,
    LABEL_PROPERTIES,
    MENTIONS,
    OWL,
    OWL_DEPRECATED,
    RDF_OBJECT,
    RDF_SUBJECT,
    RDF_TYPE,
    RDFS_LABEL,
    RDFS_SUBCLASS,
    EntityGraph,
    graph_term,
)
from kb.store.client import SparqlStore, sparql_term, values_clause

BATCH = 400
TAGS = (ABOUT, MENTIONS)


def _iri(value: str) -> str:
    return sparql_term(ox.NamedNode(value))


def _in_content(variable: str) -> str:
    return values_clause(variable, [ox.NamedNode(g) for g in CONTENT_GRAPHS])


def read_neighbourhood(store: SparqlStore, iri: str) -> tuple[EntityGraph, set[tuple]] | None:
    """(the entity's neighbourhood as a graph, the triples only the reasoner stated), or None
    when the store holds no statement about ``iri`` either way."""
    node = _iri(iri)
    subject, object_ = _iri(RDF_SUBJECT), _iri(RDF_OBJECT)
    correction = _iri(str(HK.Correction))
    # Every branch starts from the entity's IRI written in a triple pattern (an index look-up
    # in any engine); the graphs are kept to the content graphs below.
    rows = store.select(
        "SELECT DISTINCT ?g ?s ?p ?o WHERE { "
        f"{{ GRAPH ?g {{ {node} ?p ?o }} BIND({node} AS ?s) }} "
        f"UNION {{ GRAPH ?g {{ ?s ?p {node} }} BIND({node} AS ?o) }} "
        f"UNION {{ {node} ?p0 ?s FILTER(isBlank(?s)) GRAPH ?g {{ ?s ?p ?o }} }} "
        f"UNION {{ {{ ?s {subject} {node} }} UNION {{ ?s {object_} {node} }} "
        "GRAPH ?g { ?s ?p ?o } } "
        f"UNION {{ {{ ?s ?q {node} }} UNION {{ {{ ?c {subject} {node} }} UNION "
        f"{{ ?c {object_} {node} }} ?s ?q ?c }} ?s a {correction} GRAPH ?g {{ ?s ?p ?o }} }} }}"
    )
    rows = [row for row in rows if row["g"].value in CONTENT_GRAPHS]
    if not rows:
        return None
    graphs: dict[tuple, set[str]] = defaultdict(set)
    for row in rows:
        s, o = graph_term(row["s"]), graph_term(row["o"])
        if isinstance(s, str) and o is not None:
            graphs[(s, row["p"].value, o)].add(row["g"].value)
    triples = list(graphs)
    inferred = {t for t, found in graphs.items() if found == {str(INFERRED_GRAPH)}}

    triples += _ontology_structure(store)
    hierarchy: dict[str, list[str]] = defaultdict(list)
    for s, p, o in triples:
        if p == RDFS_SUBCLASS and isinstance(o, str):
            hierarchy[s].append(o)
    mentioned = {iri}
    for s, p, o in triples[: len(graphs)]:
        mentioned.update(t for t in (s, p, o) if isinstance(t, str) and not t.startswith("_:"))
    todo = [o for s, p, o in triples[: len(graphs)] if s == iri and p == RDF_TYPE]
    while todo:  # the entity's classes' ancestors are shown (and labelled) too
        cls = todo.pop()
        if isinstance(cls, str) and cls not in mentioned | {iri}:
            mentioned.add(cls)
        todo += [c for c in hierarchy.get(cls, ()) if c not in mentioned]
    about_them = _labels_and_types(store, sorted(mentioned))
    # An article's own statements are read with the articles, as the indexes read them: of
    # its links to the entity only its tags (about, mentions) are kept, so that a link and
    # its inverse are shown the same way here and on the card.
    articles = {s for s, p, o in about_them if p == RDF_TYPE and o == ARTICLE} - {iri}
    triples = [
        (s, p, o) for s, p, o in triples if not (s in articles and o == iri and p not in TAGS)
    ]
    return EntityGraph(triples + about_them), inferred


def _ontology_structure(store: SparqlStore) -> list[tuple]:
    sub_class, inverse = _iri(RDFS_SUBCLASS), _iri(OWL + "inverseOf")
    rdf_type, symmetric = _iri(RDF_TYPE), _iri(OWL + "SymmetricProperty")
    rows = store.select(
        "SELECT DISTINCT ?g ?s ?p ?o WHERE { "
        f"{{ GRAPH ?g {{ ?s {sub_class} ?o }} BIND({sub_class} AS ?p) }} "
        f"UNION {{ GRAPH ?g {{ ?s {inverse} ?o }} BIND({inverse} AS ?p) }} "
        f"UNION {{ GRAPH ?g {{ ?s {rdf_type} {symmetric} }} "
        f"BIND({rdf_type} AS ?p) BIND({symmetric} AS ?o) }} "
        "FILTER(isIRI(?s) && isIRI(?o)) }"
    )
    return [
        (row["s"].value, row["p"].value, row["o"].value)
        for row in rows
        if row["g"].value in CONTENT_GRAPHS
    ]


def _labels_and_types(store: SparqlStore, iris: list[str]) -> list[tuple]:
    branches = " UNION ".join(
        f"{{ ?x {_iri(p)} ?o BIND({_iri(p)} AS ?p) }}" for p in (*LABEL_PROPERTIES, RDF_TYPE)
    )
    out = []
    for start in range(0, len(iris), BATCH):
        batch = [ox.NamedNode(i) for i in iris[start : start + BATCH]]
        rows = store.select(
            f"SELECT DISTINCT ?x ?p ?o WHERE {{ {values_clause('x', batch)} {branches} }}"
        )
        for row in rows:
            value = graph_term(row["o"])
            if value is not None:
                out.append((row["x"].value, row["p"].value, value))
    return out


def entity_triples(store: SparqlStore, iri: str) -> list[ox.Triple]:
    """The entity's RDF description: its triples both ways, its blank-node values, the claims
    about it and the labels of everything it links to."""
    node = _iri(iri)
    label = _iri(RDFS_LABEL)
    subject, object_ = _iri(RDF_SUBJECT), _iri(RDF_OBJECT)
    return store.construct(
        "CONSTRUCT { "
        f"{node} ?p ?o . ?o ?bp ?bo . ?s ?q {node} . ?x {label} ?xl . ?c ?cp ?co . "
        "} WHERE { "
        f"{{ {node} ?p ?o OPTIONAL {{ FILTER(isBlank(?o)) ?o ?bp ?bo }} }} "
        f"UNION {{ ?s ?q {node} }} "
        f"UNION {{ {{ {node} ?p2 ?x }} UNION {{ ?x ?q2 {node} }} "
        f"FILTER(isIRI(?x)) ?x {label} ?xl }} "
        f"UNION {{ {{ ?c {subject} {node} }} UNION {{ ?c {object_} {node} }} ?c ?cp ?co }} "
        "}"
    )


def successor_in(triples: list[ox.Triple], iri: str) -> str | None:
    """The successor a deprecated entity's description names (None when it is live)."""
    mine = [t for t in triples if isinstance(t.subject, ox.NamedNode) and t.subject.value == iri]
    deprecated = any(
        t.predicate.value == OWL_DEPRECATED and t.object.value in ("true", "1") for t in mine
    )
    found = sorted(
        (REPLACED_BY.index(t.predicate.value), t.object.value)
        for t in mine
        if t.predicate.value in REPLACED_BY and isinstance(t.object, ox.NamedNode)
    )
    return found[0][1] if deprecated and found else None
