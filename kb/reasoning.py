"""The OWL reasoning bridge: rdflib graph in, HermiT (through owlready2) inferences out.

owlready2 does not read Turtle, so the graph is written as N-Triples to a temporary folder
and loaded into a fresh, isolated owlready2 ``World``; HermiT runs once (one JVM call) with
property-value inference on. Nothing is cached between calls.

What comes back is only what is new, never a triple that was asserted:

- the most specific inferred classes of named individuals (including defined classes such
  as ``hk:HairLossTreatment``),
- inferred subclass (and equivalence) axioms between named classes,
- inferred object property values, plus the values entailed by ``owl:inverseOf`` and
  ``owl:SymmetricProperty`` (owlready2 keeps inverses implicit, so they are added here).

An inconsistent graph gives ``consistent=False`` with an explanation; individuals whose
asserted classes (after the named class hierarchy, domains and ranges) are declared
disjoint are named in ``conflicts``.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.collection import Collection

_BUILTIN_PREFIXES = (
    str(OWL),
    str(RDF),
    str(RDFS),
    "http://www.w3.org/2001/XMLSchema#",
)
_INFERRED_ONTOLOGY = "http://inferrences/"


@dataclass
class ReasoningResult:
    """The outcome of one reasoner run."""

    consistent: bool
    inferred: Graph
    explanation: str = ""
    conflicts: list[tuple[str, str, str]] = field(default_factory=list)
    """(individual, class, class) triples: an individual in two disjoint classes."""
    unsatisfiable: list[str] = field(default_factory=list)
    """Named classes the reasoner found equivalent to owl:Nothing."""
    seconds: float = 0.0


class ReasonerError(RuntimeError):
    """The reasoner could not run (no Java, a file owlready2 cannot read, ...)."""


def _is_builtin(term: object) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(_BUILTIN_PREFIXES)


def infer(graph: Graph) -> ReasoningResult:
    """Run HermiT over ``graph`` and return the new triples (see module docstring)."""
    import owlready2

    started = time.monotonic()
    if hasattr(graph, "quads") and hasattr(graph, "graphs"):
        from kb.sources import union_graph

        graph = union_graph(graph)  # type: ignore[arg-type]
    inferred = Graph()
    if (None, OWL.imports, None) in graph:
        # owlready2 follows owl:imports (HTTP, file:), which would let a write make the
        # service fetch URLs or read files; the graph given is already the whole graph.
        graph = _without_imports(graph)
    with tempfile.TemporaryDirectory(prefix="hairkg-reason-") as tmp:
        path = Path(tmp) / "input.nt"
        path.write_bytes(graph.serialize(format="nt", encoding="utf-8"))
        world = owlready2.World()
        try:
            with contextlib.redirect_stdout(sys.stderr):
                world.get_ontology(path.as_uri()).load(format="ntriples")
        except Exception as e:  # owlready2 raises plain Exceptions on odd input
            raise ReasonerError(f"owlready2 could not load the graph: {e}") from e
        try:
            with contextlib.redirect_stdout(sys.stderr):
                owlready2.sync_reasoner_hermit(world, infer_property_values=True, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as e:
            conflicts = disjoint_conflicts(graph)
            lines = ["HermiT: the ontology is inconsistent."]
            detail = str(e).strip()
            if detail:
                lines.append(detail)
            for ind, a, b in conflicts:
                lines.append(f"{ind} is an instance of both {a} and {b}, which are disjoint")
            if not conflicts:
                lines.append("No individual is asserted in two disjoint classes; the conflict")
                lines.append("comes from restrictions, cardinalities or datatype ranges.")
            world.close()
            return ReasoningResult(
                False,
                inferred,
                "\n".join(lines),
                conflicts,
                seconds=time.monotonic() - started,
            )
        except owlready2.OwlReadyJavaError as e:
            world.close()
            raise ReasonerError(f"HermiT failed: {e}") from e
        except FileNotFoundError as e:  # no java on PATH
            world.close()
            raise ReasonerError(f"cannot start Java for HermiT: {e}") from e

        _collect_reasoner_output(world, graph, inferred)
        unsatisfiable = sorted(
            c.iri for c in world.inconsistent_classes() if getattr(c, "iri", None)
        )
        world.close()
    _add_inverse_values(graph, inferred)
    return ReasoningResult(
        True,
        inferred,
        f"consistent; {len(inferred)} inferred triples",
        [],
        unsatisfiable,
        time.monotonic() - started,
    )


def _without_imports(graph: Graph) -> Graph:
    copy = Graph()
    for triple in graph:
        if triple[1] != OWL.imports:
            copy.add(triple)
    return copy


def _collect_reasoner_output(world: object, asserted: Graph, out: Graph) -> None:
    inf = world.get_ontology(_INFERRED_ONTOLOGY)  # type: ignore[attr-defined]
    unabbreviate = world._unabbreviate  # type: ignore[attr-defined]
    keep = {RDF.type, RDFS.subClassOf, OWL.equivalentClass}
    for s, p, o in inf.get_triples():
        if s < 0 or not isinstance(o, int) or o < 0:
            continue  # blank nodes and literals: not ours to report
        s_t, p_t, o_t = URIRef(unabbreviate(s)), URIRef(unabbreviate(p)), URIRef(unabbreviate(o))
        if str(s_t).rstrip("/") == _INFERRED_ONTOLOGY.rstrip("/"):
            continue
        if p_t in keep:
            if _is_builtin(o_t) or _is_builtin(s_t):
                continue
            if p_t != RDF.type and s_t == o_t:
                continue
        elif _is_builtin(p_t):
            continue
        if (s_t, p_t, o_t) not in asserted:
            out.add((s_t, p_t, o_t))


def _add_inverse_values(asserted: Graph, inferred: Graph) -> None:
    inverses: dict[URIRef, set[URIRef]] = defaultdict(set)
    for p, q in asserted.subject_objects(OWL.inverseOf):
        if isinstance(p, URIRef) and isinstance(q, URIRef):
            inverses[p].add(q)
            inverses[q].add(p)
    for p in asserted.subjects(RDF.type, OWL.SymmetricProperty):
        if isinstance(p, URIRef):
            inverses[p].add(p)
    if not inverses:
        return
    for p, qs in sorted(inverses.items()):
        pairs = set(asserted.subject_objects(p)) | set(inferred.subject_objects(p))
        for s, o in pairs:
            if not (isinstance(s, URIRef) and isinstance(o, URIRef)):
                continue
            for q in qs:
                if (o, q, s) not in asserted:
                    inferred.add((o, q, s))


# --- explaining inconsistency ---------------------------------------------------------


def _list_items(graph: Graph, head: object) -> list:
    try:
        return list(Collection(graph, head))
    except Exception:
        return []


def disjoint_pairs(graph: Graph) -> set[frozenset]:
    """Pairs of named classes declared disjoint, by any of OWL's three ways."""
    pairs: set[frozenset] = set()
    for a, b in graph.subject_objects(OWL.disjointWith):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            pairs.add(frozenset((a, b)))
    for node in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        for head in graph.objects(node, OWL.members):
            members = [m for m in _list_items(graph, head) if isinstance(m, URIRef)]
            pairs.update(frozenset(c) for c in itertools.combinations(members, 2))
    for _cls, head in graph.subject_objects(OWL.disjointUnionOf):
        members = [m for m in _list_items(graph, head) if isinstance(m, URIRef)]
        pairs.update(frozenset(c) for c in itertools.combinations(members, 2))
    return pairs


def superclasses(graph: Graph) -> dict[URIRef, set[URIRef]]:
    """Reflexive-transitive named superclasses of every named class (subClassOf and
    equivalence between named classes)."""
    direct: dict[URIRef, set[URIRef]] = defaultdict(set)
    for a, b in graph.subject_objects(RDFS.subClassOf):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            direct[a].add(b)
    for a, b in graph.subject_objects(OWL.equivalentClass):
        if isinstance(a, URIRef) and isinstance(b, URIRef):
            direct[a].add(b)
            direct[b].add(a)
    closure: dict[URIRef, set[URIRef]] = {}

    def up(c: URIRef) -> set[URIRef]:
        if c in closure:
            return closure[c]
        seen = {c}
        stack = [c]
        while stack:
            for parent in direct.get(stack.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        closure[c] = seen
        return seen

    for c in list(direct):
        up(c)
    return closure


def disjoint_conflicts(graph: Graph) -> list[tuple[str, str, str]]:
    """Individuals whose classes (asserted, inherited, or from property domains and ranges)
    include two disjoint classes: (individual, class, class), sorted."""
    pairs = disjoint_pairs(graph)
    if not pairs:
        return []
    ups = superclasses(graph)
    schema = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
    types: dict[URIRef, dict[URIRef, str]] = defaultdict(dict)

    def add(ind: object, cls: object) -> None:
        if not isinstance(ind, URIRef) or not isinstance(cls, URIRef) or _is_builtin(cls):
            return
        for c in ups.get(cls) or {cls}:
            types[ind].setdefault(c, str(cls))

    for ind, cls in graph.subject_objects(RDF.type):
        if cls in schema:
            continue
        add(ind, cls)
    for prop, dom in graph.subject_objects(RDFS.domain):
        for s in graph.subjects(prop, None):
            add(s, dom)
    for prop, rng in graph.subject_objects(RDFS.range):
        if (prop, RDF.type, OWL.ObjectProperty) not in graph:
            continue
        for o in graph.objects(None, prop):
            add(o, rng)
    conflicts: set[tuple[str, str, str]] = set()
    for ind, classes in types.items():
        if (ind, RDF.type, OWL.Class) in graph:
            continue
        for pair in pairs:
            a, b = sorted(pair)
            if a in classes and b in classes:
                # name the classes the individual was actually given
                ca, cb = sorted((classes[a], classes[b]))
                if ca == cb:
                    ca, cb = str(a), str(b)
                conflicts.add((str(ind), ca, cb))
    return sorted(conflicts)


__all__ = [
    "ReasonerError",
    "ReasoningResult",
    "disjoint_conflicts",
    "disjoint_pairs",
    "infer",
    "superclasses",
]
