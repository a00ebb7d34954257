"""Bring a store to a new release in one atomic SPARQL Update, and read its asserted graphs.

``sync_store(store, quads, message=...)`` compares the store's managed graphs (ontology,
knowledge base, inferred) with ``quads`` and sends **one** update request: delete what
went, insert what came, set the new dataset version. Oxigraph runs one update request as
one transaction, so readers see either the old graph or the new one, never a mix.

Every operation of that request is guarded by the dataset version read before the diff:
if anyone wrote in between, none of them matches, nothing changes and
:class:`ConcurrentChange` is raised. Blank nodes cannot be deleted by value in SPARQL; when
the blank-node part of a graph differs (compared up to isomorphism), all its blank-node
triples are deleted by pattern and the new ones inserted.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Graph
from rdflib.compare import isomorphic

from kb.build import serialize_nquads
from kb.namespaces import INFERRED_GRAPH, KB_GRAPH, META_GRAPH, ONTOLOGY_GRAPH
from kb.store import VERSION_PREDICATE, VERSION_SUBJECT, SparqlStore, StoreError, sparql_term

MANAGED_GRAPHS = (str(ONTOLOGY_GRAPH), str(KB_GRAPH), str(INFERRED_GRAPH))
ASSERTED_GRAPHS = (str(ONTOLOGY_GRAPH), str(KB_GRAPH))


class ConcurrentChange(StoreError):
    """The store's version changed between reading it and writing: nothing was applied."""

    status = 409


@dataclass
class ChangeSummary:
    """What one sync changed: the quads added and removed, and the versions around it."""

    message: str
    version_before: str
    version_after: str
    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = defaultdict(lambda: {"added": 0, "removed": 0})
        for q in self.added:
            out[q.graph_name.value]["added"] += 1
        for q in self.removed:
            out[q.graph_name.value]["removed"] += 1
        return {g: dict(out[g]) for g in sorted(out)}

    def to_dict(self, with_quads: bool = False) -> dict:
        d = {
            "message": self.message,
            "changed": self.changed,
            "versionBefore": self.version_before,
            "versionAfter": self.version_after,
            "added": len(self.added),
            "removed": len(self.removed),
            "graphs": self.counts(),
            "seconds": round(self.seconds, 3),
        }
        if with_quads:
            d["addedQuads"] = [str(q) for q in self.added]
            d["removedQuads"] = [str(q) for q in self.removed]
        return d

    def to_text(self) -> str:
        if not self.changed:
            if self.version_before != self.version_after:
                return (
                    f"no triple changed; dataset version {self.version_before} -> "
                    f"{self.version_after}\n"
                )
            return f"store already up to date (version {self.version_after})\n"
        lines = [
            f"loaded: +{len(self.added)} -{len(self.removed)} triples, version "
            f"{self.version_before} -> {self.version_after}"
        ]
        for g, c in self.counts().items():
            lines.append(f"  {g}: +{c['added']} -{c['removed']}")
        return "\n".join(lines) + "\n"


# --- reading ---------------------------------------------------------------------------


def graph_triples(store: SparqlStore, graph: str, *, timeout_s: float = 120.0) -> list[ox.Triple]:
    g = sparql_term(ox.NamedNode(graph))
    return store.construct(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}", timeout_s=timeout_s
    )


def to_rdflib_graph(triples: Iterable[ox.Triple], prefix: str = "s") -> Graph:
    from kb.sources import to_rdflib

    bnodes: dict[str, BNode] = {}
    g = Graph()
    for t in triples:
        g.add(
            (
                to_rdflib(t.subject, bnodes, prefix),
                to_rdflib(t.predicate, bnodes, prefix),
                to_rdflib(t.object, bnodes, prefix),
            )
        )
    return g


def asserted_graphs(store: SparqlStore) -> tuple[Graph, Graph]:
    """The store's asserted ontology and knowledge-base graphs, as rdflib graphs."""
    onto = to_rdflib_graph(graph_triples(store, str(ONTOLOGY_GRAPH)), "o")
    kb = to_rdflib_graph(graph_triples(store, str(KB_GRAPH)), "k")
    return onto, kb


# --- writing ---------------------------------------------------------------------------


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads as the engine stores them (typed literals in canonical lexical form: the
    file's ``500.0`` is the store's ``"500"^^xsd:decimal``), sorted, so diffs compare equal."""
    memory = ox.Store()
    memory.extend(quads)
    return sorted(memory, key=str)


def _has_bnode(t) -> bool:
    return isinstance(t.subject, ox.BlankNode) or isinstance(t.object, ox.BlankNode)


def _quad_text(q: ox.Quad) -> str:
    return f"{q.subject} {q.predicate} {q.object} ."


def _version_guard(version: str) -> tuple[str, str]:
    """(WHERE pattern that holds only while the version is ``version``, its negation-free
    form binding ?hkOldVersion for the final version swap)."""
    meta = sparql_term(ox.NamedNode(str(META_GRAPH)))
    subject, predicate = sparql_term(VERSION_SUBJECT), sparql_term(VERSION_PREDICATE)
    if version == "unversioned":
        guard = f"FILTER NOT EXISTS {{ GRAPH {meta} {{ {subject} {predicate} ?hkAnyVersion }} }}"
        return guard, guard
    guard = f"GRAPH {meta} {{ {subject} {predicate} {sparql_term(ox.Literal(version))} }}"
    return guard, guard


def build_update(
    current: dict[str, list[ox.Triple]],
    target: dict[str, list[ox.Triple]],
    version_before: str,
    version_after: str,
    extra_update: str | None = None,
) -> tuple[str, list[ox.Quad], list[ox.Quad]]:
    """The single update request (guarded by ``version_before``), with the quads it adds
    and removes."""
    guard, _ = _version_guard(version_before)
    meta = sparql_term(ox.NamedNode(str(META_GRAPH)))
    subject, predicate = sparql_term(VERSION_SUBJECT), sparql_term(VERSION_PREDICATE)
    added: list[ox.Quad] = []
    removed: list[ox.Quad] = []
    delete_parts, insert_parts, bnode_graphs = [], [], []
    for graph in sorted(set(current) | set(target)):
        gnode = ox.NamedNode(graph)
        old, new = current.get(graph, []), target.get(graph, [])
        old_ground = {str(t): t for t in old if not _has_bnode(t)}
        new_ground = {str(t): t for t in new if not _has_bnode(t)}
        gone = [old_ground[k] for k in sorted(old_ground.keys() - new_ground.keys())]
        came = [new_ground[k] for k in sorted(new_ground.keys() - old_ground.keys())]
        old_b = [t for t in old if _has_bnode(t)]
        new_b = [t for t in new if _has_bnode(t)]
        if old_b or new_b:
            same = len(old_b) == len(new_b) and isomorphic(
                to_rdflib_graph(old_b, "x"), to_rdflib_graph(new_b, "y")
            )
            if not same:
                if old_b:
                    bnode_graphs.append(graph)
                    gone += old_b
                came += new_b
        removed += [ox.Quad(t.subject, t.predicate, t.object, gnode) for t in gone]
        added += [ox.Quad(t.subject, t.predicate, t.object, gnode) for t in came]
        g = sparql_term(gnode)
        ground_gone = [t for t in gone if not _has_bnode(t)]
        if ground_gone:
            delete_parts.append(
                f"GRAPH {g} {{\n" + "\n".join(f"{t} ." for t in ground_gone) + "\n}"
            )
        if came:
            insert_parts.append(f"GRAPH {g} {{\n" + "\n".join(f"{t} ." for t in came) + "\n}")
    ops = []
    if delete_parts:
        ops.append("DELETE {\n" + "\n".join(delete_parts) + "\n} WHERE { " + guard + " }")
    for graph in bnode_graphs:
        g = sparql_term(ox.NamedNode(graph))
        ops.append(
            f"DELETE {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ {guard} GRAPH {g} {{ ?s ?p ?o "
            "FILTER(isBlank(?s) || isBlank(?o)) } }"
        )
    if insert_parts:
        ops.append("INSERT {\n" + "\n".join(insert_parts) + "\n} WHERE { " + guard + " }")
    if extra_update:
        ops.append(extra_update)
    new_version = sparql_term(ox.Literal(version_after))
    if version_before == "unversioned":
        ops.append(
            f"INSERT {{ GRAPH {meta} {{ {subject} {predicate} {new_version} }} }} "
            f"WHERE {{ {guard} }}"
        )
    else:
        old_version = sparql_term(ox.Literal(version_before))
        ops.append(
            f"DELETE {{ GRAPH {meta} {{ {subject} {predicate} {old_version} }} }} "
            f"INSERT {{ GRAPH {meta} {{ {subject} {predicate} {new_version} }} }} "
            f"WHERE {{ {guard} }}"
        )
    return " ;\n".join(ops), added, removed


def sync_store(
    store: SparqlStore,
    quads: Iterable[ox.Quad],
    *,
    message: str,
    graphs: Iterable[str] = MANAGED_GRAPHS,
    version: str | None = None,
    extra_update: str | None = None,
    timeout_s: float = 300.0,
) -> ChangeSummary:
    """Make ``graphs`` of the store hold exactly ``quads`` (quads of other graphs are
    ignored) in one atomic update, and set the dataset version (default: a hash of the
    quads). ``extra_update`` (SPARQL Update text, e.g. a history record) runs in the same
    request. Raises :class:`ConcurrentChange` if the store changed meanwhile."""
    started = time.monotonic()
    quads = canonical_quads(quads)
    graphs = list(graphs)
    target: dict[str, list[ox.Triple]] = {g: [] for g in graphs}
    for q in quads:
        name = q.graph_name.value if isinstance(q.graph_name, ox.NamedNode) else None
        if name in target:
            target[name].append(ox.Triple(q.subject, q.predicate, q.object))
    from kb.store import dataset_version_for

    new_version = version or dataset_version_for(
        serialize_nquads(q for q in quads if q.graph_name.value in target)
    )
    before = store.version(max_age_s=0)
    current = {g: graph_triples(store, g) for g in graphs}
    update, added, removed = build_update(current, target, before, new_version, extra_update)
    summary = ChangeSummary(message, before, new_version, added, removed)
    if not added and not removed and before == new_version and not extra_update:
        summary.seconds = time.monotonic() - started
        return summary
    store.update(update, timeout_s=timeout_s)
    after = store.version(max_age_s=0)
    if after != new_version:
        raise ConcurrentChange(
            f"the store changed while loading (version {before} became {after}); "
            "nothing was applied: run the load again"
        )
    summary.seconds = time.monotonic() - started
    return summary


# --- finding the store ---------------------------------------------------------------------

SERVER_FILE = "server.json"


def read_server_file(data_dir: Path) -> dict | None:
    """What a running `hairkg serve` recorded in its data dir, if it still answers."""
    path = Path(data_dir) / SERVER_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = info.get("store_url")
    if not url or not SparqlStore.for_server(url).ping(timeout_s=2.0):
        return None
    return info


def write_server_file(data_dir: Path, info: dict) -> Path:
    path = Path(data_dir) / SERVER_FILE
    tmp = path.with_name(SERVER_FILE + ".tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


__all__ = [
    "ASSERTED_GRAPHS",
    "MANAGED_GRAPHS",
    "ChangeSummary",
    "ConcurrentChange",
    "asserted_graphs",
    "build_update",
    "graph_triples",
    "read_server_file",
    "sync_store",
    "write_server_file",
]
