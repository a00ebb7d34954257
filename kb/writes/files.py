"""The file-side of writes: the release loaded as one change through the gate, and the asserted
graphs read back as rdflib graphs (export --to-files)."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import BNode, Graph
from rdflib.compare import isomorphic

from kb.rdf import INFERRED_GRAPH, KB_GRAPH, ONTOLOGY_GRAPH, to_rdflib
from kb.store.client import SparqlStore, sparql_term
from kb.writes.compute import canonical_quads, union_graph
from kb.writes.gate import ASSERTED_GRAPHS, Edit, WriteGate
from kb.writes.results import CommitResult
from kb.writes.update_text import _graph_key, _has_blank


def release_edit(quads: Iterable[ox.Quad], graphs: Iterable[str] = ASSERTED_GRAPHS) -> Edit:
    """An edit that makes ``graphs`` hold exactly the release's quads of those graphs. A
    graph's blank-node part is kept as it is when it is isomorphic to the release's (blank
    node labels differ between a parse and the store), so reloading the same files changes
    nothing."""
    graphs = list(graphs)
    target: dict[str, list[ox.Quad]] = {g: [] for g in graphs}
    for q in canonical_quads(quads):
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in target:
            target[q.graph_name.value].append(q)

    def edit(memory: ox.Store) -> None:
        for name, new in target.items():
            old = list(memory.quads_for_pattern(None, None, None, ox.NamedNode(name)))
            old_blank = [q for q in old if _has_blank(q)]
            new_blank = [q for q in new if _has_blank(q)]
            keep_blank = (
                bool(old_blank)
                and len(old_blank) == len(new_blank)
                and isomorphic(union_graph(old_blank), union_graph(new_blank))
            )
            for q in old:
                if not (keep_blank and _has_blank(q)):
                    memory.remove(q)
            memory.extend(q for q in new if not (keep_blank and _has_blank(q)))

    return edit


def load_release(
    gate: WriteGate,
    quads: Iterable[ox.Quad],
    *,
    author: str,
    message: str,
    graphs: Iterable[str] = ASSERTED_GRAPHS,
) -> CommitResult:
    """Makes the store hold the validated release ``quads`` (asserted graphs and, in the
    inferred graph, its inferences) as one change: under the write lock, one guarded
    transaction, one history record."""
    quads = list(quads)
    inferred = [q for q in quads if _graph_key(q) == str(INFERRED_GRAPH)]
    asserted = [q for q in quads if _graph_key(q) != str(INFERRED_GRAPH)]
    return gate.apply(
        release_edit(asserted, graphs), author=author, message=message, inferred=inferred
    )


def graph_triples(store: SparqlStore, graph: str, *, timeout_s: float = 120.0) -> list[ox.Triple]:
    g = sparql_term(ox.NamedNode(graph))
    return store.construct(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}", timeout_s=timeout_s
    )


def to_rdflib_graph(triples: Iterable[ox.Triple], prefix: str = "s") -> Graph:
    bnodes: dict[str, BNode] = {}
    g = Graph()
    for t in triples:
        g.add(tuple(to_rdflib(term, bnodes, prefix) for term in (t.subject, t.predicate, t.object)))
    return g


def asserted_graphs(store: SparqlStore) -> tuple[Graph, Graph]:
    """The store's asserted ontology and knowledge-base graphs, as rdflib graphs."""
    onto = to_rdflib_graph(graph_triples(store, str(ONTOLOGY_GRAPH)), "o")
    kb = to_rdflib_graph(graph_triples(store, str(KB_GRAPH)), "k")
    return onto, kb
