"""SHACL validation with pySHACL, results as plain records.

The data graph is the union of the ontology and the knowledge base, so ``sh:targetClass``
reaches instances of subclasses through the ontology's ``rdfs:subClassOf`` axioms.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import SH

_SEVERITY = {SH.Violation: "error", SH.Warning: "warning", SH.Info: "info"}


@dataclass(frozen=True)
class ShaclResult:
    """One sh:ValidationResult."""

    severity: str  # 'error' | 'warning' | 'info'
    focus: str | None
    path: str | None
    message: str
    component: str  # e.g. 'MinCount', 'Datatype', 'MinExclusive'
    shape: str | None
    value: str | None


def load_shapes(path: Path | str) -> Graph:
    from kb.sources import parse_file

    return parse_file(path)


def _text(term: object) -> str | None:
    if term is None:
        return None
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, Literal):
        return str(term)
    return None  # blank node: a complex path or an anonymous shape


def _path_text(results: Graph, node: object) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        return str(node)
    # a SHACL property path: show it in SPARQL property-path syntax where simple
    inv = results.value(node, SH.inversePath)
    if isinstance(inv, URIRef):
        return f"^{inv}"
    return "(complex path)"


def run_shacl(data: Graph, shapes: Graph, *, ontology: Graph | None = None) -> list[ShaclResult]:
    """Validate ``data`` against ``shapes``; return every result, sorted deterministically."""
    import pyshacl

    _conforms, results, _text_report = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
        abort_on_first=False,
    )
    out: list[ShaclResult] = []
    for r in results.subjects(predicate=SH.resultSeverity):
        severity = _SEVERITY.get(results.value(r, SH.resultSeverity), "error")
        focus = _text(results.value(r, SH.focusNode))
        path = _path_text(results, results.value(r, SH.resultPath))
        messages = sorted(str(m) for m in results.objects(r, SH.resultMessage))
        component = results.value(r, SH.sourceConstraintComponent)
        comp = str(component).rsplit("#", 1)[-1] if component is not None else "Constraint"
        comp = comp.removesuffix("ConstraintComponent")
        value = results.value(r, SH.value)
        message = "; ".join(dict.fromkeys(messages)) or f"violates sh:{comp[:1].lower()}{comp[1:]}"
        out.append(
            ShaclResult(
                severity,
                focus,
                path,
                message,
                comp,
                _text(results.value(r, SH.sourceShape)),
                _text(value) if value is not None else None,
            )
        )
    out.sort(key=lambda x: (x.focus or "", x.path or "", x.component, x.message, x.value or ""))
    return out


__all__ = ["ShaclResult", "load_shapes", "run_shacl"]
