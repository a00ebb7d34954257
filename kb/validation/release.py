"""The release: asserted graphs plus the reasoner's inferences, as deterministic files.

``build_release(out_dir)`` validates (with reasoning), refuses to build when there is any
error, and writes:

- ``release.nq``  — N-Quads, one named graph per source kind plus ``INFERRED_GRAPH``;
  lines sorted, blank nodes labelled by file and position, so the same input always gives
  the same bytes;
- ``summary.json`` — triples per graph, total, inferred, entities per class.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import RDF, Dataset, Graph, URIRef

from kb.files.sources import SourceFile, graph_iris, load_asserted, source_files
from kb.rdf import INFERRED_GRAPH, KB_GRAPH, ONTOLOGY_GRAPH, to_oxigraph
from kb.validation.findings import short


class BuildError(RuntimeError):
    """Validation found errors; nothing was written."""

    def __init__(self, report: object):
        self.report = report
        errors = report.errors  # type: ignore[attr-defined]
        super().__init__(f"validation failed with {len(errors)} error(s); nothing built")


@dataclass
class BuildSummary:
    triples_per_graph: dict[str, int]
    total: int
    inferred: int
    entities_per_class: dict[str, int]
    files: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        lines = [f"release: {self.total} triples ({self.inferred} inferred)"]
        lines += [f"  {g}: {n}" for g, n in self.triples_per_graph.items()]
        lines.append("entities per class:")
        width = max((len(c) for c in self.entities_per_class), default=0)
        lines += [f"  {c.ljust(width)}  {n}" for c, n in self.entities_per_class.items()]
        if self.files:
            lines.append("wrote: " + ", ".join(self.files))
        return "\n".join(lines) + "\n"


# --- rdflib -> pyoxigraph -------------------------------------------------------------


def dataset_quads(
    dataset: Dataset, inferred: Graph | None = None, graphs: Iterable[str] | None = None
) -> list[ox.Quad]:
    """Quads of the named graphs (default: ontology and KB) and, if given, the inferred
    graph, sorted deterministically."""
    names = list(graphs) if graphs is not None else [str(ONTOLOGY_GRAPH), str(KB_GRAPH)]
    quads: list[ox.Quad] = []
    for name in names:
        g = ox.NamedNode(name)
        for s, p, o in dataset.graph(URIRef(name)):
            quads.append(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), g))
    if inferred is not None:
        g = ox.NamedNode(str(INFERRED_GRAPH))
        for s, p, o in inferred:
            quads.append(ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), g))
    quads.sort(key=str)
    return quads


def release_quads(
    include_inferred: bool = True,
    sources: list[SourceFile] | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> list[ox.Quad]:
    """The quads to load a store with: asserted graphs and (unless told not to) the
    reasoner's inferences. Raises KBSyntaxError on a file that does not parse; an
    inconsistent graph yields no inferred quads (``hairkg validate`` explains why)."""
    files = sources if sources is not None else source_files()
    if progress:
        progress(f"parsing {len(files)} files")
    from kb.files.sources import load_sources

    loaded = load_sources(files)
    if loaded.errors:
        raise loaded.errors[0]
    inferred = None
    if include_inferred:
        from kb.validation.reasoning import infer

        if progress:
            progress("reasoning (HermiT)...")
        result = infer(loaded.dataset)
        if result.consistent:
            inferred = result.inferred
        elif progress:
            progress("warning: the graph is inconsistent; no inferences added")
    return dataset_quads(loaded.dataset, inferred, graph_iris(files))


def entities_per_class(quads: Iterable[ox.Quad]) -> dict[str, int]:
    """Distinct named entities per (hairkg) class, over asserted and inferred rdf:type."""
    rdf_type = ox.NamedNode(str(RDF.type))
    members: dict[str, set[str]] = {}
    for q in quads:
        if q.predicate == rdf_type and isinstance(q.subject, ox.NamedNode):
            cls = short(URIRef(q.object.value))
            if cls.startswith(("hk:", "kb:")):
                members.setdefault(cls, set()).add(q.subject.value)
    return {c: len(members[c]) for c in sorted(members)}


def summarise(quads: list[ox.Quad], files: list[str] | None = None) -> BuildSummary:
    per_graph = Counter(q.graph_name.value for q in quads)
    distinct = {(q.subject, q.predicate, q.object) for q in quads}
    return BuildSummary(
        triples_per_graph={g: per_graph[g] for g in sorted(per_graph)},
        total=len(distinct),
        inferred=per_graph.get(str(INFERRED_GRAPH), 0),
        entities_per_class=entities_per_class(quads),
        files=files or [],
    )


def serialize_nquads(quads: Iterable[ox.Quad]) -> bytes:
    data = ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS)
    lines = sorted(set(data.decode("utf-8").splitlines()))
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


def build_release(
    out_dir: Path | str,
    *,
    sources: list[SourceFile] | None = None,
    progress: Callable[[str], None] | None = None,
) -> BuildSummary:
    """Validate, then write ``release.nq`` and ``summary.json`` into ``out_dir``."""
    from kb.validation.validate import validate

    report = validate(sources, reason=True, progress=progress)
    if not report.ok:
        raise BuildError(report)
    assert report.dataset is not None
    files = sources if sources is not None else source_files()
    quads = dataset_quads(report.dataset, report.inferred, graph_iris(files))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if progress:
        progress(f"writing {out}")
    (out / "release.nq").write_bytes(serialize_nquads(quads))
    summary = summarise(quads, ["release.nq", "summary.json"])
    (out / "summary.json").write_text(summary.to_json(), encoding="utf-8")
    return summary


def load_asserted_quads(root: Path | None = None) -> list[ox.Quad]:
    """The asserted quads only (no reasoning), sorted."""
    ds = load_asserted(root)
    return dataset_quads(ds, None, graph_iris(source_files(root)))


__all__ = [
    "BuildError",
    "BuildSummary",
    "build_release",
    "dataset_quads",
    "entities_per_class",
    "load_asserted_quads",
    "release_quads",
    "serialize_nquads",
    "summarise",
]
