"""The SPARQL Update text of a change: quads as a block, the version precondition, and the one
request that commits a change with its history record."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kb.rdf import INFERRED_GRAPH, META_GRAPH
from kb.store.client import VERSION_PREDICATE, VERSION_SUBJECT, sparql_term


def _graph_key(quad: ox.Quad) -> str:
    return "" if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value


def _has_blank(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _triple_text(quad: ox.Quad) -> str:
    return f"{quad.subject} {quad.predicate} {quad.object} ."


def quads_block(quads: Iterable[ox.Quad]) -> str:
    """Quads as the body of a SPARQL template: default-graph triples, then GRAPH blocks."""
    by_graph: dict[str, list[ox.Quad]] = {}
    for q in quads:
        by_graph.setdefault(_graph_key(q), []).append(q)
    parts = []
    for name in sorted(by_graph):
        triples = "\n".join(sorted(_triple_text(q) for q in by_graph[name]))
        if name:
            parts.append(f"GRAPH {sparql_term(ox.NamedNode(name))} {{\n{triples}\n}}")
        else:
            parts.append(triples)
    return "\n".join(parts)


def _condition(version: str) -> str:
    meta = sparql_term(ox.NamedNode(str(META_GRAPH)))
    subject, predicate = sparql_term(VERSION_SUBJECT), sparql_term(VERSION_PREDICATE)
    if version == "unversioned":
        return f"FILTER NOT EXISTS {{ GRAPH {meta} {{ {subject} {predicate} ?anyVersion }} }}"
    return f"GRAPH {meta} {{ {subject} {predicate} {sparql_term(ox.Literal(version))} }}"


def inferred_delta(
    inferred_now: Iterable[ox.Quad], inferred_new: set[ox.Quad] | None
) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """(added, removed): what replacing the inferred graph ``inferred_now`` by the reasoner's
    new output ``inferred_new`` changes (nothing when the change was not reasoned over)."""
    if inferred_new is None:
        return [], []
    current = set(inferred_now)
    return sorted(inferred_new - current, key=str), sorted(current - inferred_new, key=str)


def commit_update(
    version: str,
    new_version: str,
    added: list[ox.Quad],
    removed: list[ox.Quad],
    after: set[ox.Quad],
    inferred_now: list[ox.Quad],
    inferred_new: set[ox.Quad] | None,
    record: list[ox.Quad],
) -> str:
    """The one SPARQL Update request that commits a change, every operation conditional on
    the dataset still being at ``version``."""
    condition = _condition(version)
    replaced = sorted({_graph_key(q) for q in removed if _has_blank(q)})
    operations = []
    for name in replaced:
        if name:
            graph = sparql_term(ox.NamedNode(name))
            operations.append(
                f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} "
                f"WHERE {{ {condition} GRAPH {graph} {{ ?s ?p ?o }} }}"
            )
        else:
            operations.append(f"DELETE {{ ?s ?p ?o }} WHERE {{ {condition} ?s ?p ?o }}")
    to_delete = [q for q in removed if _graph_key(q) not in replaced]
    to_insert = [q for q in added if _graph_key(q) not in replaced]
    to_insert += [q for q in after if _graph_key(q) in replaced]
    if inferred_new is not None:
        current = set(inferred_now)
        if any(_has_blank(q) for q in current - inferred_new):
            graph = sparql_term(ox.NamedNode(str(INFERRED_GRAPH)))
            operations.append(
                f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} "
                f"WHERE {{ {condition} GRAPH {graph} {{ ?s ?p ?o }} }}"
            )
            to_insert += sorted(inferred_new, key=str)
        else:
            new_inferences, old_inferences = inferred_delta(current, inferred_new)
            to_delete += old_inferences
            to_insert += new_inferences
    to_insert += record
    operations.append(
        f"DELETE {{\n{quads_block(to_delete)}\n}}\nINSERT {{\n{quads_block(to_insert)}\n}}\n"
        f"WHERE {{ {condition} }}"
    )
    meta = sparql_term(ox.NamedNode(str(META_GRAPH)))
    subject, predicate = sparql_term(VERSION_SUBJECT), sparql_term(VERSION_PREDICATE)
    old = (
        f"GRAPH {meta} {{ {subject} {predicate} {sparql_term(ox.Literal(version))} }}"
        if version != "unversioned"
        else ""
    )
    operations.append(
        f"DELETE {{ {old} }} INSERT {{ GRAPH {meta} {{ {subject} {predicate} "
        f"{sparql_term(ox.Literal(new_version))} }} }} WHERE {{ {condition} }}"
    )
    return " ;\n".join(operations)
