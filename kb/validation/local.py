"""Validating a small change against the part of the graph it can affect, not the whole graph.

A write that changes a few subjects (an article, an entity) is checked on its *neighbourhood*,
read from the store with a handful of indexed queries, instead of on a copy of the whole graph
(21-37 s at a million triples). The rule, exactly:

- **changed nodes** S: subjects of the quads added or removed; **referenced nodes** O: their
  IRI objects (``rdf:type`` objects excepted: classes come with the ontology).
- **focus nodes** F = S ∪ O ∪ the nodes that reference a node of S through any property but
  ``hk:about`` and ``hk:mentions`` (an ``sh:class`` or SPARQL constraint of theirs may read
  the changed node) ∪ the subject and object of the triple a changed node states
  (``rdf:subject``, ``rdf:object``: a claim; whether that triple may be asserted depends on
  the claim, and the shape that says so has the triple's subject, or for an inverse triple
  its object, as its focus). Only findings about focus nodes count (a context node's
  neighbourhood is not complete here; it was checked when it was written).
- the **local graph**: the whole ontology graph; every asserted triple of the focus nodes; of
  the nodes that reference a node of F (again not through ``hk:about``/``hk:mentions``); of
  every IRI object of a focus node's triples (one hop out: types for ``sh:class``, the triple a
  claim states, a correction's claim); and every other triple whose ``rdfs:label`` or
  definition is, up to case and whitespace, a label or definition of a focus node
  (uniqueness), with the other triples of those nodes; and every triple of the instances of
  the classes in ``SCALES`` (the evidence levels: a claim's level is compared with its
  studies' levels, two links from the claim; there are a handful of them).
  The change is applied to it (before: store; after: store - removed + added).
- on it, the same checks as a full validation (``kb.validation.validate.validate_graph``: SHACL
with F
  as its only targets, quality report, and in ``full`` mode HermiT's consistency check),
  findings filtered to F.
- inferences: the reasoner's output on the local graph after the change, kept where its
  subject is a changed node, its object is a changed node (inverse values), or it types a
  referenced node with the range of a property the change links it through. For a change
  that only adds triples that set is added to the inferred graph (OWL is monotonic); when it
  also removes triples, the reasoner runs on the local graph before the change too and the
  difference of the two (same filter) is applied.

What a local check can miss, and why it is acceptable here:

- a conflict that needs more than the neighbourhood: a disjointness, cardinality or
  transitivity argument through nodes two or more links away from the changed ones, or
  through ``hk:about``/``hk:mentions`` links *into* a concept (no shape, quality rule or axiom
  of the shipped ontology reads those from the concept's side; a new one would have to add
  the properties to ``EXCLUDED_REFERRERS``' exceptions or force full validation);
- inferences about referenced or context nodes other than the ones kept above (e.g. a class
  defined by an incoming link), and a less specific inferred type that a full run would no
  longer report once a more specific one is inferred (it stays; it is still entailed);
- the whole-graph quality counts (inventory) are not recomputed.

Full validation is kept (``needs_full_validation``) for ontology-level changes: any quad in the
ontology graph; a changed subject typed as a class, property or ontology; a predicate in the
OWL or RDFS vocabulary (labels, comments and ``owl:deprecated`` excepted); a transitive
property, a sub-property of one, or one used in a property chain; ``owl:sameAs``; blank
nodes; and a neighbourhood of more than ``MAX_NODES`` nodes.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Graph, URIRef

from kb.rdf import HK, KB_GRAPH, ONTOLOGY_GRAPH, to_rdflib
from kb.store.client import SOLUTIONS_JSON, SparqlStore, sparql_term

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_SUBJECT = "http://www.w3.org/1999/02/22-rdf-syntax-ns#subject"
RDF_OBJECT = "http://www.w3.org/1999/02/22-rdf-syntax-ns#object"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
RDFS_LABEL = RDFS + "label"
DEFINITIONS = (
    "http://purl.obolibrary.org/obo/IAO_0000115",
    "http://www.w3.org/2004/02/skos/core#definition",
)
# Links no shape, quality rule or axiom reads from the target's side: a concept on 40 % of
# the articles is not loaded with all of them.
EXCLUDED_REFERRERS = (str(HK.about), str(HK.mentions))
HARMLESS_SCHEMA_PREDICATES = {
    RDFS_LABEL,
    RDFS + "comment",
    RDFS + "seeAlso",
    RDFS + "isDefinedBy",
    OWL + "deprecated",
}
SCHEMA_TYPES = {
    OWL + "Class",
    RDFS + "Class",
    OWL + "ObjectProperty",
    OWL + "DatatypeProperty",
    OWL + "AnnotationProperty",
    OWL + "TransitiveProperty",
    OWL + "SymmetricProperty",
    OWL + "FunctionalProperty",
    OWL + "InverseFunctionalProperty",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property",
    OWL + "Ontology",
    OWL + "Restriction",
}
# Classes whose few instances every claim's checks read, two links away (claim -> study ->
# the study's evidence level and its rank): read whole, like the ontology.
SCALES = (str(HK.EvidenceLevel),)
ASSERTED = (str(ONTOLOGY_GRAPH), str(KB_GRAPH))
MAX_NODES = 2000
_CHUNK = 400


class NeedsFullValidation(Exception):
    """The change is not local: validate the whole graph. The message says why."""


@dataclass
class LocalResult:
    report: object  # kb.validation.validate.Report, findings filtered to the focus nodes
    focus: set[str]
    inferred_now: set[ox.Quad] = field(default_factory=set)  # the part that may change
    inferred_new: set[ox.Quad] | None = None  # its replacement (None: no reasoning)
    seconds: dict[str, float] = field(default_factory=dict)


# -- reading --------------------------------------------------------------------------------


def _rows(store: SparqlStore, sparql: str, graphs=ASSERTED) -> list[ox.QuerySolution]:
    raw = store.query(sparql, default_graphs=graphs, accept=SOLUTIONS_JSON, timeout_s=60)
    return list(ox.parse_query_results(raw.body, ox.QueryResultsFormat.JSON))


def _values(variable: str, iris) -> list[str]:
    iris = sorted(iris)
    return [
        f"VALUES ?{variable} {{ {' '.join(f'<{i}>' for i in iris[n : n + _CHUNK])} }}"
        for n in range(0, len(iris), _CHUNK)
    ]


def _triples_of(store: SparqlStore, nodes) -> set[ox.Triple]:
    out = set()
    for values in _values("s", nodes):
        for row in _rows(store, f"SELECT ?s ?p ?o WHERE {{ {values} ?s ?p ?o }}"):
            out.add(ox.Triple(row["s"], row["p"], row["o"]))
    return out


def _stated(store: SparqlStore, nodes) -> set[str]:
    """The subjects and objects of the triples that ``nodes`` state (claims: rdf:subject,
    rdf:object)."""
    out: set[str] = set()
    for values in _values("s", nodes):
        rows = _rows(
            store,
            f"SELECT DISTINCT ?o WHERE {{ {values} ?s <{RDF_SUBJECT}>|<{RDF_OBJECT}> ?o }}",
        )
        out.update(r["o"].value for r in rows if isinstance(r["o"], ox.NamedNode))
    return out


def _referrers(store: SparqlStore, nodes) -> set[str]:
    excluded = ", ".join(f"<{p}>" for p in EXCLUDED_REFERRERS)
    out: set[str] = set()
    for values in _values("o", nodes):
        rows = _rows(
            store,
            f"SELECT DISTINCT ?r WHERE {{ {values} ?r ?p ?o FILTER(?p NOT IN ({excluded})) }}",
        )
        out.update(r["r"].value for r in rows if isinstance(r["r"], ox.NamedNode))
    return out


def _scales(store: SparqlStore) -> set[ox.Triple]:
    """Every triple of the instances of ``SCALES``."""
    classes = " ".join(f"<{c}>" for c in SCALES)
    rows = _rows(
        store, f"SELECT ?s ?p ?o WHERE {{ VALUES ?class {{ {classes} }} ?s a ?class ; ?p ?o }}"
    )
    return {ox.Triple(r["s"], r["p"], r["o"]) for r in rows}


def _same_texts(store: SparqlStore, triples: set[ox.Triple], focus: set[str]) -> set[ox.Triple]:
    """Triples giving another node a label or definition that a focus node has too, up to
    case and whitespace (what the quality report's duplicate rules compare)."""
    wanted: dict[str, set[str]] = {}
    for t in triples:
        p = t.predicate.value
        if (
            (p == RDFS_LABEL or p in DEFINITIONS)
            and t.subject.value in focus
            and isinstance(t.object, ox.Literal)
            and t.object.value.split()
        ):
            wanted.setdefault(p, set()).add(_text_pattern(t.object.value))
    out = set()
    for p, patterns in wanted.items():
        # One case-insensitive REGEX scan: no index can answer "equal up to case", and a
        # regular expression is the cheapest test Oxigraph has (0.18 s over 88k labels at
        # 1M triples, against 0.31 s for LCASE(STR(?o)) IN (...)).
        pattern = sparql_term(ox.Literal(r"^\s*(?:" + "|".join(sorted(patterns)) + r")\s*$"))
        for row in _rows(
            store,
            f"SELECT ?s ?o WHERE {{ ?s {sparql_term(ox.NamedNode(p))} ?o "
            f'FILTER(REGEX(STR(?o), {pattern}, "i")) }}',
        ):
            out.add(ox.Triple(row["s"], ox.NamedNode(p), row["o"]))
    # with the rest of each twin's description: the duplicate rules compare typed terms only
    twins = {t.subject.value for t in out if _is_iri(t.subject)} - focus
    return out | _triples_of(store, twins) if twins else out


_REGEX_SPECIALS = set("\\|.-^?*+{}()[]$")


def _text_pattern(text: str) -> str:
    """An XPath regular expression (SPARQL REGEX) matching ``text`` with any whitespace
    between its words: each word's metacharacters escaped."""
    words = ("".join("\\" + c if c in _REGEX_SPECIALS else c for c in w) for w in text.split())
    return r"\s+".join(words)


def _ontology(store: SparqlStore) -> set[ox.Triple]:
    graph = sparql_term(ox.NamedNode(str(ONTOLOGY_GRAPH)))
    return set(
        store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")
    )


# -- the rule -------------------------------------------------------------------------------


def _is_iri(term) -> bool:
    return isinstance(term, ox.NamedNode)


def needs_full_validation(
    changed: list[ox.Quad], ontology: set[ox.Triple], subject_types: dict[str, set[str]]
) -> str | None:
    """Why the change must be validated as a whole (None: it is local)."""
    transitive = {
        t.subject.value
        for t in ontology
        if t.predicate.value == RDF_TYPE and t.object.value == OWL + "TransitiveProperty"
    }
    chained = {t.subject.value for t in ontology if t.predicate.value == OWL + "propertyChainAxiom"}
    parents: dict[str, set[str]] = {}
    for t in ontology:
        if t.predicate.value == RDFS + "subPropertyOf" and _is_iri(t.object):
            parents.setdefault(t.subject.value, set()).add(t.object.value)

    def reaches_transitive(p: str) -> bool:
        seen, todo = set(), [p]
        while todo:
            q = todo.pop()
            if q in transitive or q in chained:
                return True
            if q not in seen:
                seen.add(q)
                todo.extend(parents.get(q, ()))
        return False

    for q in changed:
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == str(ONTOLOGY_GRAPH):
            return "it changes the ontology graph"
        if not isinstance(q.subject, ox.NamedNode) or isinstance(q.object, ox.BlankNode):
            return "it involves blank nodes"
        p = q.predicate.value
        if p.startswith((OWL, RDFS)) and p not in HARMLESS_SCHEMA_PREDICATES:
            return f"it uses the schema property {p}"
        if p == RDF_TYPE and q.object.value in SCHEMA_TYPES:
            return "it declares a class, property or ontology"
        if subject_types.get(q.subject.value, set()) & SCHEMA_TYPES:
            return f"{q.subject.value} is a class, property or ontology"
        if reaches_transitive(p):
            return f"{p} is transitive or part of a property chain"
    return None


def _graph(triples) -> Graph:
    g = Graph()
    for t in triples:
        g.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return g


def validate_change(
    store: SparqlStore,
    added: list[ox.Quad],
    removed: list[ox.Quad],
    *,
    reason: bool,
    inferred_graph: str,
) -> LocalResult:
    """Validates a change on its neighbourhood (module docstring); raises
    ``NeedsFullValidation`` when the rule says the whole graph must be checked."""
    from kb.validation.validate import validate_graph

    timings: dict[str, float] = {}
    started = time.perf_counter()
    changed = added + removed
    if not changed:
        raise NeedsFullValidation("nothing changed")
    if any(not _is_iri(q.subject) or isinstance(q.object, ox.BlankNode) for q in changed):
        raise NeedsFullValidation("it involves blank nodes")
    ontology = _ontology(store)
    ontology_terms = {t.subject.value for t in ontology if _is_iri(t.subject)}
    subjects = {q.subject.value for q in changed}
    objects = {
        q.object.value
        for q in changed
        if _is_iri(q.object) and q.predicate.value != RDF_TYPE and q.object.value not in subjects
    } - ontology_terms
    # the triple a changed claim states (its rdf:subject and rdf:object as stored; new or
    # changed values are objects of the change already)
    stated = _stated(store, subjects) - ontology_terms
    focus = subjects | objects | stated | _referrers(store, subjects)
    if len(focus) > MAX_NODES:
        raise NeedsFullValidation(f"it reaches {len(focus)} nodes")
    context = _referrers(store, focus) - focus
    if len(focus) + len(context) > MAX_NODES:
        raise NeedsFullValidation(f"it reaches {len(focus) + len(context)} nodes")
    triples = _triples_of(store, focus | context)
    focus_triples = [t for t in triples if t.subject.value in focus]
    hop = (
        {
            t.object.value
            for t in focus_triples + [ox.Triple(q.subject, q.predicate, q.object) for q in added]
            if _is_iri(t.object) and t.predicate.value != RDF_TYPE
        }
        - focus
        - context
        - ontology_terms
    )
    if len(focus) + len(context) + len(hop) > MAX_NODES:
        raise NeedsFullValidation("its neighbourhood is too large")
    triples |= _triples_of(store, hop) | _scales(store)
    subject_types: dict[str, set[str]] = {}
    for t in triples:
        if t.predicate.value == RDF_TYPE and t.subject.value in subjects:
            subject_types.setdefault(t.subject.value, set()).add(t.object.value)
    why = needs_full_validation(changed, ontology, subject_types)
    if why:
        raise NeedsFullValidation(why)
    after = {ox.Triple(q.subject, q.predicate, q.object) for q in added}
    gone = {ox.Triple(q.subject, q.predicate, q.object) for q in removed}
    timings["read_s"] = time.perf_counter() - started

    before_graph = ontology | triples
    after_graph = (before_graph - gone) | after
    # the inferences kept (below): about the changed nodes, or typing a node the change
    # links to with the range of the linking property; the reasoner types only those nodes
    ranges: dict[str, set[str]] = {}
    for t in ontology:
        if t.predicate.value == RDFS + "range" and _is_iri(t.object):
            ranges.setdefault(t.subject.value, set()).add(t.object.value)
    typed = {
        (q.object.value, cls)
        for q in changed
        if _is_iri(q.object)
        for cls in ranges.get(q.predicate.value, ())
    }
    types_of = subjects | {s for s, _c in typed}
    t0 = time.perf_counter()
    # The label look-up scans every label in the engine's process while the checks run
    # here on the neighbourhood; it rarely finds anything, and when it does the checks run
    # again with the twins' triples.
    with ThreadPoolExecutor(1, thread_name_prefix="hairkg-same-texts") as pool:
        twins = pool.submit(_same_texts, store, (triples - gone) | after, focus)
        report = validate_graph(_graph(after_graph), reason=reason, focus=focus, types_of=types_of)
        extra = twins.result() - before_graph
    if extra:
        before_graph |= extra
        after_graph = (before_graph - gone) | after
        report = validate_graph(_graph(after_graph), reason=reason, focus=focus, types_of=types_of)
    timings["validate_s"] = time.perf_counter() - t0
    report.findings = [f for f in report.findings if f.node is None or f.node in focus]
    result = LocalResult(report, focus, seconds=timings)
    if not reason or not report.ok or report.inferred is None:
        return result

    def affected(s: str, p: str, o: str) -> bool:
        return s in subjects or o in subjects or (p == RDF_TYPE and (s, o) in typed)

    g = ox.NamedNode(inferred_graph)

    def quads(graph: Graph) -> set[ox.Quad]:
        return {
            ox.Quad(ox.NamedNode(str(s)), ox.NamedNode(str(p)), ox.NamedNode(str(o)), g)
            for s, p, o in graph
            if isinstance(s, URIRef) and isinstance(o, URIRef) and affected(str(s), str(p), str(o))
        }

    new_local = quads(report.inferred)
    now = set()
    for values in _values("s", subjects | {s for s, _c in typed}):
        for row in _rows(
            store, f"SELECT ?s ?p ?o WHERE {{ {values} ?s ?p ?o }}", (inferred_graph,)
        ):
            if _is_iri(row["o"]) and affected(row["s"].value, row["p"].value, row["o"].value):
                now.add(ox.Quad(row["s"], row["p"], row["o"], g))
    for values in _values("o", subjects):
        for row in _rows(
            store, f"SELECT ?s ?p ?o WHERE {{ {values} ?s ?p ?o }}", (inferred_graph,)
        ):
            if _is_iri(row["s"]):
                now.add(ox.Quad(row["s"], row["p"], row["o"], g))
    if not removed:
        # monotonic: the change can only add inferences
        result.inferred_now = now
        result.inferred_new = now | new_local
    else:
        t0 = time.perf_counter()
        before = validate_graph(_graph(before_graph), shapes=False, reason=True, types_of=types_of)
        timings["reason_before_s"] = time.perf_counter() - t0
        old_local = quads(before.inferred) if before.inferred is not None else set()
        result.inferred_now = now
        result.inferred_new = (now - (old_local - new_local)) | (new_local - old_local)
    result.inferred_new = {
        q
        for q in result.inferred_new
        if ox.Triple(q.subject, q.predicate, q.object) not in after_graph
    }
    return result
