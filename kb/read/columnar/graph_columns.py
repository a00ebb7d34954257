"""The columns of the concept graph (``graph_arrays``): what a snapshot directory holds for it,
written from either storage (``kb.read.entities.EntityGraph`` or the mapped one with its
article-title overlay); ``kb.read.columnar.graph`` reads them. Every name starts ``graph.``.

- ``graph.node``: the IRIs and blank nodes (``_:label``), looked up by value. A node's id is its
  row; the subjects come first, in the order of ``spo`` (node ``i < len(spo)`` is the ``i``-th
  subject), then the other nodes in the order they were met;
- ``graph.literal``: literal values, with ``graph.literal.lang`` and ``graph.literal.datatype``
  (rows of the small tables ``graph.lang`` and ``graph.datatype``);
- an object is coded as one ``int64``: a node id (``>= 0``) or ``-(literal id + 1)``;
- ``graph.out.offsets`` per subject, ``graph.out.pred`` (node ids) and ``graph.out.obj``: the
  subject's statements in the order of ``spo`` (predicates as they came, values sorted);
- ``graph.in.offsets`` per node, ``graph.in.pred`` and ``graph.in.subj``: the sorted
  (predicate, subject) pairs of ``incoming``;
- ``graph.predicates``: the node ids used as predicates (decoded once when opened);
- ``graph.label`` per subject with ``graph.labelled`` (1 when the graph states a label);
- ``graph.primary_of``: (secondary, primary) node-id pairs of ``primary_of``, in its order;
- ``graph.article.iri`` (looked up by value) and ``graph.article.title``: ``article_titles``.
"""

from __future__ import annotations

import numpy as np

from kb.read.columnar.tables import table_arrays
from kb.read.entities import ConceptGraph, Lit

PREFIX = "graph."


class _Coder:
    """Node and literal ids, given in the order terms are met."""

    def __init__(self) -> None:
        self.nodes: dict[str, int] = {}
        self.literals: dict[Lit, int] = {}

    def node(self, term: str) -> int:
        found = self.nodes.get(term)
        if found is None:
            found = self.nodes[term] = len(self.nodes)
        return found

    def object(self, term) -> int:
        if not isinstance(term, Lit):
            return self.node(term)
        found = self.literals.get(term)
        if found is None:
            found = self.literals[term] = len(self.literals)
        return -(found + 1)


def _small_table(name: str, values: list[str]) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """A table of the distinct ``values`` (sorted) and each value's row."""
    distinct = sorted(set(values))
    return table_arrays(name, distinct, lookup=False), {v: i for i, v in enumerate(distinct)}


def graph_arrays(graph: ConceptGraph) -> dict[str, np.ndarray]:
    """The columns of ``graph`` (see the module's docstring)."""
    coder = _Coder()
    subjects = list(graph.spo.keys())
    for subject in subjects:
        coder.node(subject)
    out_offsets, out_pred, out_obj = [0], [], []
    for _subject, props in graph.spo.items():
        for prop, values in props.items():
            pid = coder.node(prop)
            for value in values:
                out_pred.append(pid)
                out_obj.append(coder.object(value))
        out_offsets.append(len(out_pred))
    links: dict[int, list[tuple[int, int]]] = {}
    for target, pairs in graph.incoming.items():
        links[coder.node(target)] = [(coder.node(p), coder.node(s)) for p, s in pairs]
    primary = [(coder.node(b), coder.node(a)) for b, a in graph.primary_of.items()]
    node_count = len(coder.nodes)
    in_offsets = np.zeros(node_count + 1, dtype=np.int64)
    in_pred, in_subj = [], []
    for node in range(node_count):
        for pid, sid in links.get(node, ()):
            in_pred.append(pid)
            in_subj.append(sid)
        in_offsets[node + 1] = len(in_pred)
    labels = [graph.own_label(s) for s in subjects]
    literals = list(coder.literals)  # in id order
    arrays = table_arrays(PREFIX + "node", list(coder.nodes), lookup=True)
    arrays |= table_arrays(PREFIX + "literal", [lit.value for lit in literals], lookup=False)
    for field in ("lang", "datatype"):
        column = [getattr(lit, field) for lit in literals]
        table, row_of = _small_table(PREFIX + field, column)
        arrays |= table
        arrays[f"{PREFIX}literal.{field}"] = np.array([row_of[v] for v in column], dtype=np.int32)
    arrays[PREFIX + "out.offsets"] = np.array(out_offsets, dtype=np.int64)
    arrays[PREFIX + "out.pred"] = np.array(out_pred, dtype=np.int32)
    arrays[PREFIX + "out.obj"] = np.array(out_obj, dtype=np.int64)
    arrays[PREFIX + "in.offsets"] = in_offsets
    arrays[PREFIX + "in.pred"] = np.array(in_pred, dtype=np.int32)
    arrays[PREFIX + "in.subj"] = np.array(in_subj, dtype=np.int32)
    arrays[PREFIX + "predicates"] = np.unique(np.array(out_pred + in_pred, dtype=np.int32))
    arrays |= table_arrays(PREFIX + "label", [label or "" for label in labels], lookup=False)
    arrays[PREFIX + "labelled"] = np.array([label is not None for label in labels], dtype=np.uint8)
    arrays[PREFIX + "primary_of"] = np.array(primary, dtype=np.int32).reshape(-1, 2)
    titles = list(graph.article_titles.items())
    arrays |= table_arrays(PREFIX + "article.iri", [iri for iri, _t in titles], lookup=True)
    arrays |= table_arrays(PREFIX + "article.title", [t for _i, t in titles], lookup=False)
    return arrays
