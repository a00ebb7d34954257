"""Merging one term into another: the source's content moves to the target, the source is
deprecated with the target as its successor, in one change through the write gate.

What moves (``merge_into``), in the knowledge-base graph:

- every triple that points at the source, from any other subject: links of other concepts,
  article tags (``hk:about``, ``hk:mentions``), the ``rdf:subject``/``rdf:object`` of the claims
  about it (the reification follows the triple it states), corrections, earlier terms replaced
  by the source (so a chain of successors stays short). A link from the target to the source
  would become a loop and is dropped;
- the source's synonyms, with their scope, and its cross-references;
- the source's own links to other nodes (``hk:treats``, ``skos:broader``, ...), which its
  claims, rewritten above, keep backing;
- the source's label, as an **exact** synonym of the target: a merge says the two terms name
  one concept (a broader or narrower one would be a ``skos:broader`` link, not a merge), which
  is what ``oboInOwl:hasExactSynonym`` means; search, tag suggestion and the editor's document
  then find the target under the old name.

What stays on the source: its types, definition and definition source, sources, literal
attributes (they describe the retired term and could contradict the target's own) and, from
``kb.writes.documents.deprecate_entity``, ``owl:deprecated true``, its successor and the
"obsolete " label. Refused (``MergeRefused``: nothing is written): a merge into itself, into a
deprecated term, of a deprecated term, or across types where neither term's most specific type
is a type of the other (a drug into a procedure).
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kb.rdf import HK, KB_GRAPH, OBOINOWL, SKOS, compact
from kb.store.client import SparqlStore, sparql_term
from kb.writes.documents import SCOPE_OF, SYNONYM_SCOPES, deprecate_entity
from kb.writes.results import ChangeError
from kb.writes.values import DEPRECATED, NAMED_INDIVIDUAL, RDF_TYPE, RDFS_LABEL, subject_quads

RDFS_SUBCLASS = "http://www.w3.org/2000/01/rdf-schema#subClassOf"
MOVED_LITERALS = {*SCOPE_OF, str(SKOS.altLabel), str(OBOINOWL.hasDbXref)}
KEPT_LINKS = {RDF_TYPE, "http://purl.org/dc/terms/source"}


class MergeRefused(ChangeError):
    """A merge that cannot be made (``status``: 409 for the terms' state, 422 for their types)."""


def referrers(store: SparqlStore, source: str) -> set[str]:
    """The subjects with an asserted triple pointing at ``source`` (what a merge rewrites)."""
    rows = store.select(
        f"SELECT DISTINCT ?s WHERE {{ GRAPH {sparql_term(ox.NamedNode(str(KB_GRAPH)))} "
        f"{{ ?s ?p {sparql_term(ox.NamedNode(source))} }} }}"
    )
    return {r["s"].value for r in rows if isinstance(r["s"], ox.NamedNode)}


def class_hierarchy(store: SparqlStore) -> list[ox.Quad]:
    """The ``rdfs:subClassOf`` triples between named classes (for the type check)."""
    rows = store.select(
        f"SELECT ?g ?c ?d WHERE {{ GRAPH ?g {{ ?c {sparql_term(ox.NamedNode(RDFS_SUBCLASS))} ?d "
        "FILTER (isIRI(?c) && isIRI(?d)) } }"
    )
    return [ox.Quad(r["c"], ox.NamedNode(RDFS_SUBCLASS), r["d"], r["g"]) for r in rows]


def _types(store: ox.Store, s: ox.NamedNode) -> set[str]:
    return {
        q.object.value
        for q in store.quads_for_pattern(s, ox.NamedNode(RDF_TYPE), None)
        if q.object.value.startswith(str(HK))
    }


def _ancestors(store: ox.Store, classes: Iterable[str]) -> set[str]:
    found, queue = set(classes), list(classes)
    while queue:
        for q in store.quads_for_pattern(
            ox.NamedNode(queue.pop()), ox.NamedNode(RDFS_SUBCLASS), None
        ):
            if isinstance(q.object, ox.NamedNode) and q.object.value not in found:
                found.add(q.object.value)
                queue.append(q.object.value)
    return found


def _is_deprecated(store: ox.Store, s: ox.NamedNode) -> bool:
    return any(
        q.object.value in ("true", "1")
        for q in store.quads_for_pattern(s, ox.NamedNode(DEPRECATED), None)
    )


def check_mergeable(store: ox.Store, source: ox.NamedNode, target: ox.NamedNode) -> None:
    name, into = compact(source.value), compact(target.value)
    if source == target:
        raise MergeRefused(f"cannot merge {name} into itself", status=422)
    for node, role in ((source, "source"), (target, "target")):
        if not subject_quads(store, node):
            raise MergeRefused(f"there is no entity {compact(node.value)}", status=404)
        if _is_deprecated(store, node):
            what = "is deprecated already" if role == "source" else "is deprecated"
            raise MergeRefused(
                f"{compact(node.value)} {what}: merge into its successor instead"
                if role == "target"
                else f"{name} {what}",
                status=409,
            )
    mine, theirs = _types(store, source), _types(store, target)
    if not mine or not theirs:
        raise MergeRefused(f"{name} and {into} must both be typed hairkg terms", status=422)
    mine_all, theirs_all = _ancestors(store, mine), _ancestors(store, theirs)
    if not (mine <= theirs_all or theirs <= mine_all):
        raise MergeRefused(
            f"{name} ({', '.join(sorted(map(compact, mine)))}) and {into} "
            f"({', '.join(sorted(map(compact, theirs)))}) are of incompatible types: neither is "
            "a kind of the other",
            status=422,
        )


def merge_into(store: ox.Store, source: ox.NamedNode, target: ox.NamedNode) -> dict[str, int]:
    """Moves the source's content to the target and deprecates the source (see the module
    docstring); returns how many triples of each kind moved."""
    check_mergeable(store, source, target)
    moved = {"references": 0, "synonyms": 0, "xrefs": 0, "links": 0}
    target_labels = {
        q.object.value.casefold()
        for q in store.quads_for_pattern(target, ox.NamedNode(RDFS_LABEL), None)
    }
    for q in list(store.quads_for_pattern(None, None, source)):
        if q.subject == source:
            continue
        store.remove(q)
        if q.subject != target:
            store.add(ox.Quad(q.subject, q.predicate, target, q.graph_name))
            moved["references"] += 1
    exact = ox.NamedNode(SYNONYM_SCOPES["exact"])
    for q in subject_quads(store, source):
        p, o = q.predicate.value, q.object
        if p == RDFS_LABEL:
            if o.value.casefold() not in target_labels:
                for prop in (exact, ox.NamedNode(str(SKOS.altLabel))):
                    store.add(ox.Quad(target, prop, o, q.graph_name))
                moved["synonyms"] += 1
        elif p in MOVED_LITERALS and isinstance(o, ox.Literal):
            store.remove(q)
            if o.value.casefold() not in target_labels:
                store.add(ox.Quad(target, q.predicate, o, q.graph_name))
                if p in SCOPE_OF:
                    moved["synonyms"] += 1
                elif p == str(OBOINOWL.hasDbXref):
                    moved["xrefs"] += 1
        elif isinstance(o, ox.NamedNode) and p not in KEPT_LINKS and o.value != NAMED_INDIVIDUAL:
            store.remove(q)
            if o != target:
                store.add(ox.Quad(target, q.predicate, o, q.graph_name))
                moved["links"] += 1
    deprecate_entity(store, source, target, None)
    return moved
