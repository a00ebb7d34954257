"""SHACL validation with pySHACL, results as plain records.

The data graph is the union of the ontology and the knowledge base, so ``sh:targetClass``
reaches instances of subclasses through the ontology's ``rdfs:subClassOf`` axioms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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


class ShapesError(ValueError):
    """The shapes graph itself is invalid (pySHACL refused to run it)."""


def load_shapes(path: Path | str) -> Graph:
    from kb.files.sources import parse_file

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


def run_shacl(
    data: Graph,
    shapes: Graph,
    *,
    ontology: Graph | None = None,
    focus: Iterable[str] | None = None,
) -> list[ShaclResult]:
    """Validate ``data`` against ``shapes``; return every result, sorted deterministically.
    ``focus``: validate only these targets (IRIs), as a check of a change's neighbourhood
    does; the results are those of a whole run whose focus node is one of them.

    SPARQL-based constraints of node shapes (``sh:sparql`` with ``sh:select``) are run on
    an in-memory Oxigraph store with ``$this`` pre-bound (SPARQL substitution), because
    pySHACL re-parses such a query with rdflib for every focus node (seconds on our data);
    everything else goes to pySHACL.
    """
    only = sorted({URIRef(f) for f in focus}) if focus is not None else None
    if only == []:
        return []
    fast, rest = _split_sparql_constraints(shapes)
    out = _pyshacl(data, rest, ontology, only) + _run_sparql_constraints(data, shapes, fast, only)
    out.sort(key=lambda x: (x.focus or "", x.path or "", x.component, x.message, x.value or ""))
    return out


def _pyshacl(
    data: Graph, shapes: Graph, ontology: Graph | None, focus: list[URIRef] | None
) -> list[ShaclResult]:
    import pyshacl
    from pyshacl.errors import ReportableRuntimeError

    try:
        _conforms, results, _text_report = pyshacl.validate(
            data,
            shacl_graph=shapes,
            ont_graph=ontology,
            inference="none",
            advanced=True,
            allow_warnings=True,
            abort_on_first=False,
            focus_nodes=focus,
        )
    except ReportableRuntimeError as e:
        raise ShapesError(str(getattr(e, "message", e))) from e
    if not isinstance(results, Graph):  # pySHACL reports broken shapes this way
        raise ShapesError(str(getattr(results, "message", results)))
    out: list[ShaclResult] = []
    for r in results.subjects(predicate=SH.resultSeverity):
        severity = _SEVERITY.get(results.value(r, SH.resultSeverity), "error")
        focus = _text(results.value(r, SH.focusNode))
        path = _path_text(results, results.value(r, SH.resultPath))
        messages = sorted(str(m) for m in results.objects(r, SH.resultMessage))
        component = results.value(r, SH.sourceConstraintComponent)
        comp = str(component).rsplit("#", 1)[-1] if component is not None else "Constraint"
        comp = comp.removesuffix("ConstraintComponent")
        comp = "Sparql" if comp == "SPARQL" else comp
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
    return out


# --- SPARQL-based constraints on Oxigraph ---------------------------------------------------


@dataclass(frozen=True)
class _SparqlConstraint:
    shape: object
    node: object
    select: str
    prefixes: dict[str, str]
    messages: tuple[str, ...]
    severity: str


def _split_sparql_constraints(shapes: Graph) -> tuple[list[_SparqlConstraint], Graph]:
    """The SPARQL constraints we can run ourselves, and the shapes graph without them."""
    fast: list[_SparqlConstraint] = []
    drop: list[tuple] = []
    for shape, constraint in shapes.subject_objects(SH.sparql):
        select = shapes.value(constraint, SH.select)
        if (
            select is None
            or shapes.value(shape, SH.path) is not None  # property shape: $PATH, value nodes
            or shapes.value(shape, SH.deactivated) is not None
            or shapes.value(constraint, SH.deactivated) is not None
            or any(v in str(select) for v in ("$currentShape", "$shapesGraph", "$PATH"))
        ):
            continue
        prefixes = _prefixes(shapes, constraint)
        messages = tuple(str(m) for m in shapes.objects(constraint, SH.message)) or tuple(
            str(m) for m in shapes.objects(shape, SH.message)
        )
        severity = _SEVERITY.get(shapes.value(shape, SH.severity), "error")
        fast.append(_SparqlConstraint(shape, constraint, str(select), prefixes, messages, severity))
        drop.append((shape, SH.sparql, constraint))
    if not fast:
        return [], shapes
    # A shape left with no constraint for pySHACL keeps no target either, so that pySHACL
    # does not evaluate (e.g.) a SPARQL target for nothing.
    for shape in {c.shape for c in fast}:
        remaining = set(shapes.objects(shape, SH.sparql)) - {t[2] for t in drop if t[0] == shape}
        if not remaining and shapes.value(shape, SH.property) is None:
            drop.extend((shape, SH.target, t) for t in shapes.objects(shape, SH.target))
    rest = Graph()
    for prefix, ns in shapes.namespaces():
        rest.bind(prefix, ns, override=True)
    for t in shapes:
        rest.add(t)
    for t in drop:
        rest.remove(t)
    return fast, rest


def _prefixes(shapes: Graph, node: object) -> dict[str, str]:
    """The prefixes a SPARQL constraint or target declares through ``sh:prefixes``."""
    prefixes: dict[str, str] = {}
    for source in shapes.objects(node, SH.prefixes):
        for decl in shapes.objects(source, SH.declare):
            name, ns = shapes.value(decl, SH.prefix), shapes.value(decl, SH.namespace)
            if name is not None and ns is not None:
                prefixes[str(name)] = str(ns)
    return prefixes


def _focus_nodes(data: Graph, shapes: Graph, shape: object, store=None) -> set:
    """The focus nodes of a shape: class, node, subjects-of and objects-of targets, and
    SPARQL-based targets (``sh:target [ a sh:SPARQLTarget ; sh:select ... ]``) run on
    ``store``, the Oxigraph copy of ``data``."""
    from rdflib import OWL, RDF, RDFS

    nodes: set = set()
    for target in shapes.objects(shape, SH.target):
        select = shapes.value(target, SH.select)
        if select is None or store is None:
            continue
        try:
            solutions = store.query(str(select), prefixes=_prefixes(shapes, target))
        except SyntaxError as e:
            raise ShapesError(f"SPARQL target of {shape}: {e}") from e
        nodes.update(URIRef(row["this"].value) for row in solutions if _is_iri(row["this"]))
    classes = set(shapes.objects(shape, SH.targetClass))
    if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, OWL.Class) in shapes:
        classes.add(shape)
    for cls in classes:
        subclasses = set(data.transitive_subjects(RDFS.subClassOf, cls))
        for c in subclasses | {cls}:
            nodes.update(data.subjects(RDF.type, c))
    nodes.update(shapes.objects(shape, SH.targetNode))
    for p in shapes.objects(shape, SH.targetSubjectsOf):
        nodes.update(data.subjects(p, None))
    for p in shapes.objects(shape, SH.targetObjectsOf):
        nodes.update(data.objects(None, p))
    return nodes


def _run_sparql_constraints(
    data: Graph,
    shapes: Graph,
    constraints: list[_SparqlConstraint],
    focus: list[URIRef] | None = None,
) -> list[ShaclResult]:
    if not constraints:
        return []
    import pyoxigraph as ox

    from kb.rdf import to_oxigraph

    store = ox.Store()
    store.extend(
        ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), ox.DefaultGraph())
        for s, p, o in data
    )
    this = ox.Variable("this")
    out: list[ShaclResult] = []
    for c in constraints:
        try:
            # parse once, to fail with the shape's name rather than per focus node
            store.query(c.select, prefixes=c.prefixes, substitutions={this: ox.NamedNode("urn:x")})
        except SyntaxError as e:
            raise ShapesError(f"SPARQL constraint of {c.shape}: {e}") from e
        targets = _focus_nodes(data, shapes, c.shape, store)
        if focus is not None:
            targets &= set(focus)
        for node in sorted(targets, key=str):
            try:
                bound = to_oxigraph(node)
            except TypeError:
                continue
            solutions = store.query(c.select, prefixes=c.prefixes, substitutions={this: bound})
            variables = list(solutions.variables)
            for row in solutions:
                values = {v.value: row[v] for v in variables if row[v] is not None}
                failure = values.get("failure")
                if isinstance(failure, ox.Literal) and failure.value == "true":
                    raise ShapesError(f"SPARQL constraint of {c.shape} reported a failure")
                text = (
                    "; ".join(
                        re.sub(
                            r"\{[?$](\w+)\}",
                            lambda m, values=values, prefixes=c.prefixes: _message_text(
                                values.get(m.group(1)), prefixes
                            ),
                            message,
                        )
                        for message in c.messages
                    )
                    or "violates a SPARQL constraint"
                )
                path = values.get("path")
                value = values.get("value", bound)
                out.append(
                    ShaclResult(
                        c.severity,
                        _text(node),
                        path.value if isinstance(path, ox.NamedNode) else None,
                        text,
                        "Sparql",
                        _text(c.shape),
                        _term_text(value) if value is not None else None,
                    )
                )
    return out


def _is_iri(term: object) -> bool:
    import pyoxigraph as ox

    return isinstance(term, ox.NamedNode)


def _message_text(term: object, prefixes: dict[str, str]) -> str:
    """A value substituted into a message (``{$this}``, ``{?value}``): an IRI compacted with
    the prefixes the constraint declares (``kb:microneedling``), as the data files write it;
    other terms as their text."""
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        best = max(
            (
                (ns, name)
                for name, ns in prefixes.items()
                if term.value.startswith(ns) and _LOCAL_NAME.fullmatch(term.value[len(ns) :])
            ),
            key=lambda item: len(item[0]),
            default=None,
        )
        if best is not None:
            return f"{best[1]}:{term.value[len(best[0]) :]}"
    return _term_text(term)


_LOCAL_NAME = re.compile(r"(?:[\w-]+(?:[\w.-]*[\w-])?)?")


def _term_text(term: object) -> str:
    if term is None:
        return ""
    value = getattr(term, "value", None)
    return str(value) if value is not None else str(term)


__all__ = ["ShaclResult", "ShapesError", "load_shapes", "run_shacl"]
