"""The layout check of ``hairkg validate``: is each subject in the file of its kind, and is a
folder in canonical form."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, URIRef

from kb.files.layout import GENERATED, Layout
from kb.rdf import KB_GRAPH, ONTOLOGY_GRAPH


def is_canonical_folder(folder: Path) -> bool:
    """A data folder laid out by this module: one of its files carries the header line."""
    marker = f"# {GENERATED}"
    for path in sorted(Path(folder).glob("*.ttl")):
        try:
            with path.open(encoding="utf-8") as handle:
                head = [next(handle, "") for _ in range(40)]
        except OSError:
            continue
        if any(line.rstrip("\n") == marker for line in head):
            return True
    return False


def layout_findings(files, dataset) -> list:
    """A warning for each knowledge-base subject written in a data file other than the one
    the rule names. Only for a ``data`` folder in the canonical layout (one of its files has
    the header :data:`GENERATED`, as the shipped ``kb/data`` does): hand-made trees such as
    test fixtures are not held to it."""
    from kb.files.sources import display_path, parse_source
    from kb.validation.findings import Finding, short

    ontology = dataset.graph(ONTOLOGY_GRAPH) if dataset is not None else Graph()
    kb = dataset.graph(KB_GRAPH) if dataset is not None else Graph()
    layout = Layout(ontology)
    findings = []
    canonical: dict[Path, bool] = {}
    for sf in files:
        path = Path(sf.path)
        if sf.graph != str(KB_GRAPH) or path.parent.name != "data":
            continue
        if path.parent not in canonical:
            canonical[path.parent] = is_canonical_folder(path.parent)
        if not canonical[path.parent]:
            continue
        parsed = parse_source(path)
        for s in sorted({s for s in parsed.graph.subjects() if isinstance(s, URIRef)}, key=str):
            expected = layout.file_of(kb, s)
            if Path(expected).name != path.name:
                findings.append(
                    Finding(
                        "warning",
                        "misplaced_subject",
                        f"{short(s)} belongs in {expected} by its kind (see "
                        "docs/editing-files.md); `hairkg export --to-files` would move it",
                        str(s),
                        display_path(path),
                        parsed.subject_lines.get(str(s)),
                    )
                )
    return findings
