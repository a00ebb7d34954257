"""The OWL reasoning bridge: rdflib graph in, HermiT inferences out.

The graph is written as N-Triples and classified by HermiT (:mod:`kb.validation.hermit`: a JVM kept
warm in this process, or a ``java`` subprocess; in ``hairkg serve``'s workers, the host's one
reasoner process, :mod:`kb.validation.shared_reasoner`), with property-value inference on. Its
output, the text of HermiT's command line, is read here (``read_hermit_output``) into the
triples owlready2 used to add for it. Nothing is cached between calls.

What comes back is only what is new, never a triple that was asserted:

- the most specific inferred classes of named individuals (including defined classes such
  as ``hk:HairLossTreatment``; of the individuals in ``types_of`` only, when it is given),
- inferred subclass (and equivalence) axioms between named classes,
- inferred object property values, plus the values entailed by ``owl:inverseOf`` and
  ``owl:SymmetricProperty`` (HermiT reports one direction of a pair, so inverses are added
  here).

An inconsistent graph gives ``consistent=False`` with an explanation; individuals whose
asserted classes (after the named class hierarchy, domains and ranges) are declared
disjoint are named in ``conflicts``. HermiT stops at ``timeout_s`` (default
``HAIRKG_REASONER_TIMEOUT_S`` or 300 s) with a ``ReasonerError``. A shared reasoner process
that cannot be reached raises ``hermit.ReasonerUnavailable`` (a 503 for a write, not a finding).
"""

from __future__ import annotations

import itertools
import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.collection import Collection

from kb.settings import variable
from kb.validation import hermit
from kb.validation.shared_reasoner import client as shared_reasoner

_BUILTIN_PREFIXES = (
    str(OWL),
    str(RDF),
    str(RDFS),
    "http://www.w3.org/2001/XMLSchema#",
)
_OWL_NAMESPACE = "http://www.w3.org/2002/07/owl"
# The two line shapes owlready2 reads in HermiT's output (owlready2/reasoning.py).
_AXIOM_LINE = re.compile(r"^([A-Za-z]+)\( ((?:<(?:[^>]+)>\s*)+) \)$", re.MULTILINE)
_PROPERTY_LINE = re.compile(
    r"^<([^>]+)> \(known instances:\s*(.*?)(?:\s*\|\s*)possible instances:\s*(.*?)\s*\)",
    re.MULTILINE,
)
_IS_A = {"SubClassOf": RDFS.subClassOf, "Type": RDF.type}
_IS_A_OF_PROPERTIES = {"SubObjectPropertyOf", "SubDataPropertyOf", "SubPropertyOf"}


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
    """The reasoner could not run (no Java, a graph HermiT cannot read, the time limit)."""


def _is_builtin(term: object) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(_BUILTIN_PREFIXES)


def default_timeout_s() -> float:
    raw = variable("reasoner_timeout_s")
    try:
        value = float(raw) if raw else hermit.DEFAULT_TIMEOUT_S
    except ValueError:
        raise ReasonerError(f"HAIRKG_REASONER_TIMEOUT_S={raw!r} is not a number") from None
    return value if value > 0 else hermit.DEFAULT_TIMEOUT_S


def _classify(document: bytes, limit: float, types_of: Iterable[str] | None) -> str:
    """HermiT's output: from the host's reasoner process when this process uses one (a
    worker of ``hairkg serve``, or the CLI on a data dir a server runs on), else here."""
    if shared_reasoner.configured():
        try:
            return shared_reasoner.classify(document, timeout_s=limit, types_of=types_of)
        except hermit.ReasonerUnavailable:
            if not shared_reasoner.falls_back():
                raise
    return hermit.classify(document, timeout_s=limit, types_of=types_of)


def infer(
    graph: Graph, *, timeout_s: float | None = None, types_of: Iterable[str] | None = None
) -> ReasoningResult:
    """Run HermiT over ``graph`` and return the new triples (see module docstring).
    ``types_of``: infer the types of these individuals only (a check of a change's
    neighbourhood); the rest is as for the whole graph."""
    started = time.monotonic()
    if hasattr(graph, "quads") and hasattr(graph, "graphs"):
        from kb.files.sources import union_graph

        graph = union_graph(graph)  # type: ignore[arg-type]
    if (None, OWL.imports, None) in graph:
        # HermiT follows owl:imports (HTTP, file:), which would let a write make the
        # service fetch URLs or read files; the graph given is already the whole graph.
        graph = _without_imports(graph)
    document = graph.serialize(format="nt", encoding="utf-8")
    limit = timeout_s if timeout_s is not None else default_timeout_s()
    try:
        output = _classify(document, limit, types_of)
    except hermit.Inconsistent:
        conflicts = disjoint_conflicts(graph)
        lines = ["HermiT: the ontology is inconsistent."]
        for ind, a, b in conflicts:
            lines.append(f"{ind} is an instance of both {a} and {b}, which are disjoint")
        if not conflicts:
            lines.append("No individual is asserted in two disjoint classes; the conflict")
            lines.append("comes from restrictions, cardinalities or datatype ranges.")
        return ReasoningResult(
            False,
            Graph(),
            "\n".join(lines),
            conflicts,
            seconds=time.monotonic() - started,
        )
    except hermit.ReasonerUnavailable:
        raise  # nothing was decided: the caller refuses the write (503), never a finding
    except hermit.HermitError as e:
        raise ReasonerError(str(e)) from e
    inferred, unsatisfiable = read_hermit_output(output, graph)
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


def read_hermit_output(text: str, asserted: Graph) -> tuple[Graph, list[str]]:
    """The new triples and the unsatisfiable named classes in HermiT's command-line output
    (``-c -O -I -Y``) for ``asserted``.

    This is what owlready2's ``sync_reasoner_hermit(infer_property_values=True)`` put in its
    inferred ontology, as far as it is kept here: types of individuals, subclass and
    equivalence axioms between named classes, and object property values of properties of
    the graph; then only the new, non-builtin ones (``_keep``) and their inverses."""
    candidates: set[tuple[URIRef, URIRef, URIRef]] = set()
    nothing_equivalents: set[str] = set()
    for relation, names in _AXIOM_LINE.findall(text):
        iris = names.strip()[1:-1].split("> <")
        if relation in _IS_A:
            if not iris[0].startswith(_OWL_NAMESPACE):
                candidates.add((URIRef(iris[0]), _IS_A[relation], URIRef(iris[1])))
        elif relation == "EquivalentClasses":
            if str(OWL.Nothing) in iris:
                nothing_equivalents.update(i for i in iris if not i.startswith(_OWL_NAMESPACE))
            else:
                for a, b in itertools.permutations(iris, 2):
                    if a != b:
                        candidates.add((URIRef(a), OWL.equivalentClass, URIRef(b)))
        # property hierarchies and equivalences: owlready2 added rdfs:subPropertyOf and
        # owl:equivalentProperty, which are not kept (builtin predicates)
    inverses = _inverses(asserted)
    for prop_iri, knowns, _possibles in _PROPERTY_LINE.findall(text):
        prop = URIRef(prop_iri)
        if _is_builtin(prop) or not _in_graph(asserted, prop):
            continue
        knowns = knowns[1:-1]  # the outer parentheses
        if not knowns.strip():
            continue
        for pair in knowns.split(")("):
            a, b = (URIRef(x) for x in pair[1:-1].split(">, <", 1))
            if not (_in_graph(asserted, a) and _in_graph(asserted, b)):
                continue
            if (a, prop, b) in asserted:
                continue
            if any((b, q, a) in asserted for q in inverses.get(prop, ())):
                continue  # asserted through the inverse
            candidates.add((a, prop, b))

    inferred = Graph()
    for triple in candidates:
        if _keep(triple, asserted):
            inferred.add(triple)
    _add_inverse_values(asserted, inferred, inverses)
    unsatisfiable = set(nothing_equivalents)
    # asserted ones too, as owlready2's inconsistent_classes() read them
    for a, b in asserted.subject_objects(OWL.equivalentClass):
        for cls, other in ((a, b), (b, a)):
            if other == OWL.Nothing and isinstance(cls, URIRef) and not _is_builtin(cls):
                unsatisfiable.add(str(cls))
    return inferred, sorted(unsatisfiable)


def _in_graph(graph: Graph, term: URIRef) -> bool:
    """True when ``term`` occurs in the graph (owlready2 knew it, so it kept its triples)."""
    return (term, None, None) in graph or (None, None, term) in graph or (None, term, None) in graph


def _keep(triple: tuple[URIRef, URIRef, URIRef], asserted: Graph) -> bool:
    s, p, o = triple
    if p in (RDF.type, RDFS.subClassOf, OWL.equivalentClass):
        if _is_builtin(o) or _is_builtin(s):
            return False
        if p != RDF.type and s == o:
            return False
    elif _is_builtin(p):
        return False
    return triple not in asserted


def _inverses(asserted: Graph) -> dict[URIRef, set[URIRef]]:
    """Each property's inverses (owl:inverseOf either way; a symmetric property is its own)."""
    inverses: dict[URIRef, set[URIRef]] = defaultdict(set)
    for p, q in asserted.subject_objects(OWL.inverseOf):
        if isinstance(p, URIRef) and isinstance(q, URIRef):
            inverses[p].add(q)
            inverses[q].add(p)
    for p in asserted.subjects(RDF.type, OWL.SymmetricProperty):
        if isinstance(p, URIRef):
            inverses[p].add(p)
    return inverses


def _add_inverse_values(
    asserted: Graph, inferred: Graph, inverses: dict[URIRef, set[URIRef]]
) -> None:
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
    "read_hermit_output",
    "superclasses",
]
