"""Bulk loads for engines that cannot take a whole N-Quads dataset in one Graph Store
Protocol request (``kb.store.engines.Engine.bulk_load``): the dataset split into its graphs,
as N-Triples bodies for the graph store or as SPARQL Update texts.

Updates keep every triple that holds a blank node of a graph in one ``INSERT {...} WHERE {}``
(a blank node names the same node within one operation only; Virtuoso also refuses blank
nodes in ``INSERT DATA``); the other triples go in ``INSERT DATA`` chunks.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox

CHUNK_TRIPLES = 5000


def graphs_of(data: bytes) -> dict[str, list[ox.Triple]]:
    """The triples of each named graph of an N-Quads dataset; default-graph quads refused."""
    graphs: dict[str, list[ox.Triple]] = {}
    for quad in ox.parse(data, format=ox.RdfFormat.N_QUADS):
        if not isinstance(quad.graph_name, ox.NamedNode):
            raise ValueError("a bulk load holds named graphs only (a quad in the default graph)")
        graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    return graphs


def ntriples(triples: list[ox.Triple]) -> bytes:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


def insert_updates(graph: str, triples: list[ox.Triple]) -> Iterator[str]:
    """SPARQL Update texts that add ``triples`` to ``graph``."""
    name = str(ox.NamedNode(graph))
    with_blank = [t for t in triples if _has_blank_node(t)]
    plain = [t for t in triples if not _has_blank_node(t)]
    if with_blank:
        yield f"INSERT {{ GRAPH {name} {{\n{_lines(with_blank)}}} }} WHERE {{}}"
    for start in range(0, len(plain), CHUNK_TRIPLES):
        yield f"INSERT DATA {{ GRAPH {name} {{\n{_lines(plain[start : start + CHUNK_TRIPLES])}}} }}"


def _lines(triples: list[ox.Triple]) -> str:
    return "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in triples)


def _has_blank_node(triple: ox.Triple) -> bool:
    return isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode)
