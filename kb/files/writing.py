"""Writing the asserted graphs back into files: each file rendered as canonical Turtle with its
declared prefixes, written only where it changed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from kb.files.layout import DATA_DIR, FilePlan, plan_kb, plan_ontology
from kb.files.turtle import TurtleWriter


def render(plan: FilePlan, extra_prefixes: dict[str, str] | None = None) -> str:
    writer = TurtleWriter(plan.graph, extra_prefixes)
    return writer.document(plan.header, plan.sections)


def _declared_prefixes(path: Path) -> dict[str, str]:
    """Prefixes an existing file declares (kept when the triples still use them)."""
    if not path.is_file():
        return {}
    try:
        from kb.files.sources import parse_source

        return parse_source(path).prefixes
    except Exception:
        return {}


def render_files(ontology: Graph, kb: Graph, root: Path | None = None) -> dict[str, str]:
    """Relative path → canonical Turtle text, for every file the two graphs need."""
    plans = [plan_ontology(ontology), *plan_kb(kb, ontology)]
    out = {}
    for plan in plans:
        extra = _declared_prefixes(root / plan.path) if root is not None else {}
        out[plan.path] = render(plan, extra)
    return out


@dataclass
class WriteResult:
    written: list[str]
    unchanged: list[str]
    removed: list[str]


def write_files(ontology: Graph, kb: Graph, root: Path) -> WriteResult:
    """Write the graphs into ``root/ontology/hairkg.ttl`` and ``root/kb/data/*.ttl``; remove
    data files that no longer hold any subject (they would load stale triples)."""
    root = Path(root)
    texts = render_files(ontology, kb, root)
    result = WriteResult([], [], [])
    for rel, text in texts.items():
        path = root / rel
        data = text.encode("utf-8")
        if path.is_file() and path.read_bytes() == data:
            result.unchanged.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        result.written.append(rel)
    data_dir = root / DATA_DIR
    if data_dir.is_dir():
        for path in sorted(data_dir.glob("*.ttl")):
            rel = f"{DATA_DIR}/{path.name}"
            if rel not in texts:
                path.unlink()
                result.removed.append(rel)
    return result
