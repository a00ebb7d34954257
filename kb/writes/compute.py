"""Computing a change in memory: an edit applied to a copy of the asserted quads, the subjects it
touches, quads in canonical order, and graphs for the validators."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox
from rdflib import Graph

from kb.rdf import to_rdflib
from kb.store.client import SparqlStore
from kb.writes.history import MAX_RECORDED_SUBJECTS
from kb.writes.update_text import _graph_key


@dataclass(frozen=True)
class Scope:
    """What an edit reads and writes, so that the gate loads only that: every quad (in the
    named graphs) of ``subjects`` and of ``reads``, and the quads ``extra`` returns. The edit
    may change quads of ``subjects`` only; a change outside them is redone unscoped."""

    subjects: frozenset[str]
    reads: frozenset[str] = frozenset()
    extra: Callable[[SparqlStore], Iterable[ox.Quad]] | None = None


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def union_graph(quads: Iterable[ox.Quad]) -> Graph:
    graph = Graph()
    for q in quads:
        graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return graph


def apply_in_memory(asserted: list[ox.Quad], edit, precondition):
    """Runs ``edit`` on an in-memory copy of ``asserted`` (after ``precondition``); returns
    the edit's value, the quads after it, and the sorted quads it added and removed."""
    memory = ox.Store()
    memory.bulk_extend(asserted)
    if precondition is not None:
        precondition(memory)
    value = edit(memory)
    before = set(asserted)
    after = set(memory)
    return value, after, sorted(after - before, key=str), sorted(before - after, key=str)


def touched_subjects(
    changed: list[ox.Quad], inferred_now: list[ox.Quad], inferred_new: set[ox.Quad] | None
) -> tuple[list[str], list[str] | None]:
    """(graphs, subject IRIs) a change touches, its new inferences included; subjects are None
    when there are too many or some are blank nodes (readers of the history then rebuild)."""
    if inferred_new is not None:
        changed = changed + list(set(inferred_now).symmetric_difference(inferred_new))
    graphs = sorted({_graph_key(q) for q in changed})
    subjects = {q.subject for q in changed}
    if len(subjects) > MAX_RECORDED_SUBJECTS or any(
        not isinstance(s, ox.NamedNode) for s in subjects
    ):
        return graphs, None
    return graphs, sorted(s.value for s in subjects)


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads as the engine stores them (typed literals in canonical lexical form: the
    file's ``500.0`` is the store's ``"500"^^xsd:decimal``), sorted, so diffs compare equal."""
    memory = ox.Store()
    memory.extend(quads)
    return sorted(memory, key=str)
