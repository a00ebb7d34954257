"""Validate the knowledge base: syntax, SHACL, OWL reasoning and a quality report.

Layers, in order:

1. **syntax** — every Turtle file is parsed; errors name the file, line and column. When a
   file does not parse, the later layers are skipped (they would report noise).
2. **SHACL** — ``ontology/shapes.ttl`` (next to the ontology file being validated) through
   pySHACL; ``sh:Violation`` is an error, ``sh:Warning`` a warning, ``sh:Info`` info.
3. **quality** — :mod:`kb.validation.quality` (ROBOT-report-like rules).
4. **OWL** — consistency and classification with HermiT (:mod:`kb.validation.reasoning`).

Findings about a node carry the file and line where that node is described.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Dataset, Graph, URIRef

from kb.files.sources import (
    KBSyntaxError,
    SourceFile,
    as_source,
    display_path,
    load_sources,
    parse_source,
    source_files,
    union_graph,
)
from kb.rdf import KB_GRAPH, ONTOLOGY_GRAPH
from kb.validation.findings import SEVERITIES, Finding, count_by_severity, short
from kb.validation.locate import pinpoint_references
from kb.validation.quality import quality_findings

Progress = Callable[[str], None]
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


@dataclass
class Report:
    """Everything validation found, plus what the reasoner inferred."""

    findings: list[Finding] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    consistent: bool | None = None
    inferred: Graph | None = field(default=None, repr=False)
    dataset: Dataset | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings and infos do not count)."""
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    def counts(self) -> dict[str, int]:
        return count_by_severity(self.findings)

    def by_rule(self, rule: str) -> list[Finding]:
        return [f for f in self.findings if f.rule == rule]

    def sort(self) -> None:
        self.findings.sort(
            key=lambda f: (
                _RANK.get(f.severity, 9),
                f.path or "~",
                f.line or 0,
                f.rule,
                f.node or "",
                f.message,
            )
        )

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "consistent": self.consistent,
            "counts": self.counts(),
            "stats": self.stats,
            "findings": [f.to_dict() for f in self.findings],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def to_text(self) -> str:
        """One line per finding (``path:line: severity rule: message [node]``), then a summary."""
        lines = [format_finding(f) for f in self.findings]
        c = self.counts()
        summary = (
            f"{c['error']} error{'s' * (c['error'] != 1)}, "
            f"{c['warning']} warning{'s' * (c['warning'] != 1)}, {c['info']} info"
        )
        facts = []
        if "files" in self.stats:
            facts.append(f"{self.stats['files']} files")
        if "triples" in self.stats:
            facts.append(f"{self.stats['triples']} triples")
        if self.stats.get("inferred") is not None:
            facts.append(f"{self.stats['inferred']} inferred")
        if "seconds" in self.stats:
            facts.append(f"{self.stats['seconds']:.1f} s")
        if facts:
            summary += f" ({', '.join(facts)})"
        lines.append(("OK: " if self.ok else "FAILED: ") + summary)
        return "\n".join(lines) + "\n"


def format_finding(f: Finding) -> str:
    where = ""
    if f.path:
        where = f"{f.path}:{f.line}: " if f.line else f"{f.path}: "
    node = f" [{short(URIRef(f.node)) if '://' in f.node else f.node}]" if f.node else ""
    return f"{where}{f.severity} {f.rule}: {f.message}{node}"


def _noop(_msg: str) -> None:
    pass


def _resolve_sources(
    sources: Iterable[SourceFile | Path | str] | None,
) -> list[SourceFile]:
    if sources is None:
        return source_files()
    files: list[SourceFile] = []
    for s in sources:
        if isinstance(s, SourceFile):
            files.append(s)
            continue
        p = Path(s)
        if p.is_dir():
            found = source_files(p)
            if not found:  # a folder of data files
                found = [as_source(x) for x in sorted(p.glob("*.ttl"))]
            files.extend(found)
        else:
            files.append(as_source(p))
    if not any(f.graph == str(ONTOLOGY_GRAPH) for f in files):
        shipped = [f for f in source_files() if f.graph == str(ONTOLOGY_GRAPH)]
        files = shipped + files
    seen: set[Path] = set()
    unique = []
    for f in files:
        key = Path(f.path).resolve()
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def _shapes_for(files: list[SourceFile]) -> Path | None:
    from ontology import SHAPES_FILE

    for f in files:
        if f.graph == str(ONTOLOGY_GRAPH):
            candidate = Path(f.path).parent / "shapes.ttl"
            if candidate.is_file():
                return candidate
    return SHAPES_FILE if SHAPES_FILE.is_file() else None


def validate(
    sources: Iterable[SourceFile | Path | str] | None = None,
    *,
    reason: bool = True,
    shapes: Path | str | None = None,
    progress: Progress | None = None,
) -> Report:
    """Validate files (default: the shipped ontology and ``kb/data/*.ttl``).

    ``sources`` may mix :class:`SourceFile`, file paths and folders (a checkout-like tree or
    a folder of data files). When none of them is an ontology file, the shipped ontology is
    added. Shapes come from ``shapes`` or the ``shapes.ttl`` beside the ontology file.
    """
    say = progress or _noop
    started = time.monotonic()
    files = _resolve_sources(sources)
    say(f"parsing {len(files)} files")
    loaded = load_sources(files)
    report = Report()
    for err in loaded.errors:
        report.findings.append(_syntax_finding(err))
    shapes_path = Path(shapes) if shapes is not None else _shapes_for(files)
    shapes_graph = None
    if shapes_path is not None:
        try:
            shapes_graph = parse_source(shapes_path).graph
        except KBSyntaxError as err:
            report.findings.append(_syntax_finding(err))
    report.stats["files"] = len(files)
    report.stats["parse_seconds"] = round(time.monotonic() - started, 3)
    if not report.ok:
        report.findings.append(
            Finding("info", "skipped", "SHACL, quality and OWL checks skipped: fix syntax first")
        )
        report.stats["seconds"] = round(time.monotonic() - started, 3)
        report.sort()
        return report
    inner = validate_graph(
        loaded.dataset,
        reason=reason,
        shapes=shapes_graph if shapes_graph is not None else False,
        locations=loaded.locations,
        progress=say,
        _with_shipped_ontology=False,
    )
    inner.findings[:0] = report.findings
    from kb.validation.layout_check import layout_findings

    inner.findings.extend(layout_findings(files, loaded.dataset))
    inner.findings = pinpoint_references(inner.findings, files)
    inner.stats = {**report.stats, **inner.stats}
    inner.stats["seconds"] = round(time.monotonic() - started, 3)
    inner.sort()
    return inner


def _syntax_finding(err: KBSyntaxError) -> Finding:
    message = err.message if err.column is None else f"{err.message} (column {err.column})"
    return Finding("error", "syntax", message, None, display_path(err.path), err.line)


def validate_graph(
    data: Dataset | Graph,
    *,
    reason: bool = True,
    shapes: Graph | Path | str | bool | None = None,
    locations: dict[str, tuple[str, int]] | None = None,
    progress: Progress | None = None,
    focus: Iterable[str] | None = None,
    types_of: Iterable[str] | None = None,
    _with_shipped_ontology: bool = True,
) -> Report:
    """The same checks as :func:`validate` on an in-memory graph or dataset (no files).

    When ``data`` contains no ``owl:Ontology``, the shipped ontology is added first, so a
    candidate knowledge-base graph is checked against the schema. ``shapes`` defaults to
    the shipped ``ontology/shapes.ttl``; pass ``False`` to skip SHACL. ``focus``: SHACL
    validates only these nodes, and ``types_of``: the reasoner infers the types of these
    individuals only (a change's neighbourhood, kb.validation.local).
    """
    say = progress or _noop
    started = time.monotonic()
    report = Report()
    if isinstance(data, Dataset):
        report.dataset = data
    union = union_graph(data)
    if union is data:  # never modify the caller's graph
        copy = Graph()
        for t in data:
            copy.add(t)
        union = copy
    if _with_shipped_ontology and (None, RDF.type, OWL.Ontology) not in union:
        from ontology import ONTOLOGY_FILE

        if ONTOLOGY_FILE.is_file():
            for t in _shipped(ONTOLOGY_FILE):
                union.add(t)
    report.stats["triples"] = len(union)

    shapes_graph: Graph | None
    if shapes is False:
        shapes_graph = None
    elif shapes is None or shapes is True:
        from ontology import SHAPES_FILE

        shapes_graph = _shipped(SHAPES_FILE) if SHAPES_FILE.is_file() else None
    elif isinstance(shapes, Graph):
        shapes_graph = shapes
    else:
        shapes_graph = parse_source(Path(shapes)).graph

    locs = locations or {}
    if shapes_graph is not None:
        say("SHACL (pySHACL)")
        t0 = time.monotonic()
        report.findings.extend(_shacl_findings(union, shapes_graph, locs, focus))
        report.stats["shacl_seconds"] = round(time.monotonic() - t0, 3)
    else:
        report.findings.append(Finding("info", "shacl_skipped", "no SHACL shapes found"))

    say("quality report")
    t0 = time.monotonic()
    report.findings.extend(quality_findings(union, locs))
    report.stats["quality_seconds"] = round(time.monotonic() - t0, 3)

    if reason:
        say("reasoning (HermiT)...")
        t0 = time.monotonic()
        report.findings.extend(_reasoning_findings(union, report, locs, types_of))
        report.stats["reasoning_seconds"] = round(time.monotonic() - t0, 3)
    report.stats["seconds"] = round(time.monotonic() - started, 3)
    report.sort()
    return report


def _shipped(path: Path) -> Graph:
    """A shipped ontology file, parsed once per version of the file (every write validates
    against them). Callers copy from it and never change it."""
    stat = path.stat()
    return _parsed_file(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _parsed_file(path: str, _mtime_ns: int, _size: int) -> Graph:
    return parse_source(path).graph


def _located(
    severity: str,
    rule: str,
    message: str,
    node: str | None,
    locs: dict[str, tuple[str, int]],
) -> Finding:
    where = locs.get(node) if node else None
    return Finding(
        severity, rule, message, node, where[0] if where else None, where[1] if where else None
    )


def _shacl_findings(
    union: Graph, shapes: Graph, locs: dict, focus: Iterable[str] | None = None
) -> list[Finding]:
    from kb.validation.shapes import ShapesError, run_shacl

    out = []
    try:
        results = run_shacl(union, shapes, focus=focus)
    except ShapesError as e:
        return [Finding("error", "shacl:shapes_error", f"the SHACL shapes cannot be used: {e}")]
    for r in results:
        component = r.component[:1].lower() + r.component[1:]
        detail = []
        if r.path:
            detail.append(f"path {short(URIRef(r.path)) if '://' in r.path else r.path}")
        if r.value is not None and r.value != r.focus:
            detail.append(f"value {r.value!r}" if "://" not in r.value else f"value {r.value}")
        subject = short(URIRef(r.focus)) if r.focus and "://" in r.focus else "a blank node"
        message = f"{subject}: {r.message}"
        if detail:
            message += f" ({', '.join(detail)})"
        out.append(_located(r.severity, f"shacl:{component}", message, r.focus, locs))
    return out


def _reasoning_findings(
    union: Graph, report: Report, locs: dict, types_of: Iterable[str] | None = None
) -> list[Finding]:
    from kb.validation.reasoning import ReasonerError, infer

    try:
        result = infer(union, types_of=types_of)
    except ReasonerError as e:
        return [Finding("error", "owl:reasoner_error", str(e))]
    report.consistent = result.consistent
    report.inferred = result.inferred
    report.stats["reasoner_seconds"] = round(result.seconds, 3)
    out: list[Finding] = []
    if not result.consistent:
        report.stats["inferred"] = None
        first = result.explanation.splitlines()[0] if result.explanation else "inconsistent"
        out.append(Finding("error", "owl:inconsistent", first))
        for ind, a, b in result.conflicts:
            out.append(
                _located(
                    "error",
                    "owl:disjoint_classes",
                    f"{short(URIRef(ind))} is both a {short(URIRef(a))} and a "
                    f"{short(URIRef(b))}, which are disjoint",
                    ind,
                    locs,
                )
            )
        if not result.conflicts:
            out.append(
                Finding("error", "owl:inconsistent", "\n".join(result.explanation.splitlines()[1:]))
            )
        return out
    inferred = result.inferred
    report.stats["inferred"] = len(inferred)
    types = sum(1 for _ in inferred.triples((None, RDF.type, None)))
    subclasses = sum(1 for _ in inferred.triples((None, RDFS.subClassOf, None)))
    values = len(inferred) - types - subclasses
    out.append(
        Finding(
            "info",
            "owl:consistent",
            f"HermiT: consistent; inferred {types} class memberships, {subclasses} subclass "
            f"axioms, {values} property values ({result.seconds:.1f} s)",
        )
    )
    for cls in result.unsatisfiable:
        out.append(
            _located(
                "error",
                "owl:unsatisfiable_class",
                f"class {short(URIRef(cls))} can have no instances (equivalent to owl:Nothing)",
                cls,
                locs,
            )
        )
    return out


__all__ = [
    "KB_GRAPH",
    "ONTOLOGY_GRAPH",
    "Finding",
    "Report",
    "format_finding",
    "validate",
    "validate_graph",
]
