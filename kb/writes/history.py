"""The change history: one record per accepted write, kept in the store's HISTORY graph.

A record is written by the same SPARQL Update request as the change itself (``kb.writes.gate``), so
a change and its record are committed together or not at all, every worker process and every
host in front of a remote store sees the same history, and nothing is lost when a process dies.

Record (in ``HISTORY_GRAPH``)::

    <https://w3id.org/hairkg/change/7> a hist:Change ;
        hist:number 7 ; hist:author "alice" ; prov:endedAtTime "...Z"^^xsd:dateTime ;
        rdfs:comment "message" ; hist:versionBefore "..." ; hist:versionAfter "..." ;
        hist:added "<N-Quads>" ; hist:removed "<N-Quads>" ;
        hist:addedCount 12 ; hist:removedCount 0 ; [hist:reverts <.../change/5>] ;
        hist:inferredAdded "<N-Quads>" ; hist:inferredRemoved "<N-Quads>" ;  # the reasoner's
        [hist:proposal <.../proposal/ID> ; hist:proposedBy "bob"] ;   # an approved proposal
        hist:graph <graph>, ... ;                      # graphs touched, inferred included
        hist:subjectsRecorded true ; hist:subject <iri>, ... .

``hist:subject`` lists every subject IRI whose triples the change touched (asserted or
inferred), so that a process holding indexes of the previous version can apply just that
(``kb.read.indexes``); it is left out (no ``hist:subjectsRecorded``) when the change touched
blank-node subjects or more than ``MAX_RECORDED_SUBJECTS`` subjects: readers then rebuild.

The triples added and removed are kept as sorted N-Quads text (graph names included), which is
exact and cheap to read back. ``inverse_edit`` turns a record into the edit that undoes it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kb.rdf import BASE, GRAPH, PROV
from kb.store.client import SparqlStore, sparql_term

HISTORY_GRAPH = GRAPH.history
MAX_RECORDED_SUBJECTS = 1000
HIST = BASE + "history#"
CHANGE_BASE = BASE + "change/"

_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
_ENDED = ox.NamedNode(str(PROV.endedAtTime))
_XSD = "http://www.w3.org/2001/XMLSchema#"


def _h(name: str) -> ox.NamedNode:
    return ox.NamedNode(HIST + name)


def change_iri(number: int) -> ox.NamedNode:
    return ox.NamedNode(f"{CHANGE_BASE}{number}")


class RevertConflict(Exception):
    """The change cannot be undone exactly: later changes touched what it added."""


@dataclass(frozen=True)
class RecordLinks:
    """What a change record points at besides the change: the change it reverts, the
    proposal it applies (``kb.writes.proposals``) and that proposal's author."""

    reverts: int | None = None
    proposal: str | None = None
    proposed_by: str | None = None


@dataclass
class ChangeRecord:
    number: int
    author: str
    time: str  # ISO 8601, UTC
    message: str
    version_before: str
    version_after: str
    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)
    reverts: int | None = None
    added_count: int | None = None
    removed_count: int | None = None
    graphs: list[str] = field(default_factory=list)
    subjects: list[str] | None = None  # None: not recorded (too many, or blank nodes)
    proposal: str | None = None  # the IRI of the proposal this change applied
    proposed_by: str | None = None
    # What the change did to the inferred graph (the reasoner's output), kept for the feed's
    # RDF Patch (kb.feed.patch); read back by kb.feed, not by the readers here.
    inferred_added: list[ox.Quad] = field(default_factory=list)
    inferred_removed: list[ox.Quad] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.number)

    def summary(self) -> dict:
        return {
            "id": self.id,
            "iri": change_iri(self.number).value,
            "author": self.author,
            "time": self.time,
            "message": self.message,
            "added": self.added_count if self.added_count is not None else len(self.added),
            "removed": self.removed_count if self.removed_count is not None else len(self.removed),
            "reverts": str(self.reverts) if self.reverts is not None else None,
            "versionBefore": self.version_before,
            "versionAfter": self.version_after,
            "proposal": self.proposal.rsplit("/", 1)[-1] if self.proposal else None,
            "proposedBy": self.proposed_by,
        }

    def to_dict(self) -> dict:
        body = self.summary()
        body["triplesAdded"] = nquads_text(self.added).splitlines()
        body["triplesRemoved"] = nquads_text(self.removed).splitlines()
        return body

    def quads(self) -> list[ox.Quad]:
        """The record as quads of the HISTORY graph."""
        s, g = change_iri(self.number), ox.NamedNode(str(HISTORY_GRAPH))
        integer = ox.NamedNode(_XSD + "integer")
        values = [
            (_RDF_TYPE, _h("Change")),
            (_h("number"), ox.Literal(str(self.number), datatype=integer)),
            (_h("author"), ox.Literal(self.author)),
            (_ENDED, ox.Literal(self.time, datatype=ox.NamedNode(_XSD + "dateTime"))),
            (_COMMENT, ox.Literal(self.message)),
            (_h("versionBefore"), ox.Literal(self.version_before)),
            (_h("versionAfter"), ox.Literal(self.version_after)),
            (_h("added"), ox.Literal(nquads_text(self.added))),
            (_h("removed"), ox.Literal(nquads_text(self.removed))),
            (_h("inferredAdded"), ox.Literal(nquads_text(self.inferred_added))),
            (_h("inferredRemoved"), ox.Literal(nquads_text(self.inferred_removed))),
            (_h("addedCount"), ox.Literal(str(len(self.added)), datatype=integer)),
            (_h("removedCount"), ox.Literal(str(len(self.removed)), datatype=integer)),
        ]
        if self.reverts is not None:
            values.append((_h("reverts"), change_iri(self.reverts)))
        if self.proposal is not None:
            values.append((_h("proposal"), ox.NamedNode(self.proposal)))
            values.append((_h("proposedBy"), ox.Literal(self.proposed_by or "")))
        values += [(_h("graph"), ox.NamedNode(name)) for name in self.graphs if name]
        if self.subjects is not None:
            boolean = ox.NamedNode(_XSD + "boolean")
            values.append((_h("subjectsRecorded"), ox.Literal("true", datatype=boolean)))
            values += [(_h("subject"), ox.NamedNode(iri)) for iri in self.subjects]
        return [ox.Quad(s, p, o, g) for p, o in values]


def nquads_text(quads: Iterable[ox.Quad]) -> str:
    lines = sorted(
        set(ox.serialize(list(quads), format=ox.RdfFormat.N_QUADS).decode().splitlines())
    )
    return "\n".join(lines) + ("\n" if lines else "")


def parse_nquads(text: str) -> list[ox.Quad]:
    return list(ox.parse(text.encode(), format=ox.RdfFormat.N_QUADS)) if text.strip() else []


# -- reading ---------------------------------------------------------------------------------

_FIELDS = (
    "number",
    "author",
    "time",
    "message",
    "versionBefore",
    "versionAfter",
    "addedCount",
    "removedCount",
    "reverts",
    "proposal",
    "proposedBy",
)


# The record's fields by predicate (``added``/``removed``, the changes' N-Quads, only when the
# triples are asked for).
_FIELDS = {
    _h("author").value: "author",
    _ENDED.value: "time",
    _COMMENT.value: "message",
    _h("versionBefore").value: "versionBefore",
    _h("versionAfter").value: "versionAfter",
    _h("addedCount").value: "addedCount",
    _h("removedCount").value: "removedCount",
    _h("reverts").value: "reverts",
    _h("proposal").value: "proposal",
    _h("proposedBy").value: "proposedBy",
}
_DELTAS = {_h("added").value: "added", _h("removed").value: "removed"}


def _select_records(store: SparqlStore, where_extra: str, *, full: bool, tail: str = ""):
    """The records matching ``where_extra`` (on ``?number``), ordered and paged by ``tail``: the
    page, then its fields by ``VALUES``, each one triple pattern (only change records have a
    number); not a join with a dozen OPTIONALs, whose cost Virtuoso's planner over-estimates
    (even negative: an overflow) and refuses (``MaxQueryCostEstimationTime``)."""
    g = sparql_term(ox.NamedNode(str(HISTORY_GRAPH)))
    page = store.select(
        f"SELECT ?c ?number WHERE {{ GRAPH {g} {{ ?c {sparql_term(_h('number'))} ?number . "
        f"{where_extra} }} }} {tail}"
    )
    fields = {**_FIELDS, **(_DELTAS if full else {})}
    values: dict[str, dict[str, str]] = {str(row["c"].value): {} for row in page}
    predicates = " ".join(sparql_term(ox.NamedNode(p)) for p in fields)
    for start in range(0, len(values), 200):
        subjects = " ".join(sparql_term(ox.NamedNode(n)) for n in list(values)[start : start + 200])
        for row in store.select(
            f"SELECT ?c ?p ?o WHERE {{ VALUES ?c {{ {subjects} }} VALUES ?p {{ {predicates} }} "
            f"GRAPH {g} {{ ?c ?p ?o }} }}"
        ):
            values[str(row["c"].value)].setdefault(fields[str(row["p"].value)], row["o"].value)
    records = []
    for row in page:
        field_values = values[str(row["c"].value)]
        reverts = field_values.get("reverts")
        records.append(
            ChangeRecord(
                number=int(row["number"].value),
                author=field_values.get("author", ""),
                time=field_values.get("time", ""),
                message=field_values.get("message", ""),
                version_before=field_values.get("versionBefore", ""),
                version_after=field_values.get("versionAfter", ""),
                added=parse_nquads(field_values.get("added", "")) if full else [],
                removed=parse_nquads(field_values.get("removed", "")) if full else [],
                reverts=int(reverts.rsplit("/", 1)[-1]) if reverts else None,
                added_count=int(field_values.get("addedCount") or 0),
                removed_count=int(field_values.get("removedCount") or 0),
                proposal=field_values.get("proposal"),
                proposed_by=field_values.get("proposedBy"),
            )
        )
    return records


def list_changes(store: SparqlStore, *, limit: int = 20, offset: int = 0) -> tuple[int, list]:
    """(total, records newest first) without the triples."""
    g = sparql_term(ox.NamedNode(str(HISTORY_GRAPH)))
    rows = store.select(
        f"SELECT (COUNT(?c) AS ?n) WHERE {{ GRAPH {g} {{ ?c a {sparql_term(_h('Change'))} }} }}"
    )
    total = int(rows[0]["n"].value) if rows else 0
    records = _select_records(
        store,
        "",
        full=False,
        tail=f"ORDER BY DESC(?number) LIMIT {int(limit)} OFFSET {int(offset)}",
    )
    return total, records


def changes_after(store: SparqlStore, number: int, *, limit: int = 100) -> list[ChangeRecord]:
    """The records numbered above ``number``, oldest first, at most ``limit``, without the
    triples (the change feed's pages and events, ``kb.feed.events``)."""
    after = sparql_term(ox.Literal(str(int(number)), datatype=ox.NamedNode(_XSD + "integer")))
    return _select_records(
        store, f"FILTER(?number > {after})", full=False, tail=f"ORDER BY ?number LIMIT {int(limit)}"
    )


def get_change(store: SparqlStore, number: int) -> ChangeRecord | None:
    number_term = sparql_term(ox.Literal(str(int(number)), datatype=ox.NamedNode(_XSD + "integer")))
    found = _select_records(store, f"FILTER(?number = {number_term})", full=True)
    return found[0] if found else None


def next_number(store: SparqlStore) -> int:
    g = sparql_term(ox.NamedNode(str(HISTORY_GRAPH)))
    rows = store.select(
        f"SELECT (MAX(?n) AS ?max) WHERE {{ GRAPH {g} {{ ?c {sparql_term(_h('number'))} ?n }} }}"
    )
    current = rows[0]["max"] if rows else None
    return (int(current.value) if current is not None else 0) + 1


@dataclass
class ChangesSince:
    """What the changes from one dataset version to a later one touched."""

    version: str  # the version they lead to
    numbers: list[int]
    graphs: set[str]
    subjects: set[str]


def changes_since(
    store: SparqlStore, version: str, target: str, *, limit: int = 100
) -> ChangesSince | None:
    """The changes that lead from ``version`` to ``target``, with the graphs and subjects
    they touched; None when that chain is not in the history (a write outside hairkg, a
    record without subjects) or is longer than ``limit`` changes."""
    g = sparql_term(ox.NamedNode(str(HISTORY_GRAPH)))
    number, before, after = (
        sparql_term(_h(n)) for n in ("number", "versionBefore", "versionAfter")
    )
    start = store.select(
        f"SELECT ?n WHERE {{ GRAPH {g} {{ ?c {before} {sparql_term(ox.Literal(version))} ; "
        f"{number} ?n }} }}"
    )
    if len(start) != 1:
        return None
    first = int(start[0]["n"].value)
    window = f"FILTER(?n >= {first} && ?n < {first + limit})"
    recorded = sparql_term(_h("subjectsRecorded"))
    rows = store.select(
        f"SELECT ?n ?before ?after ?complete WHERE {{ GRAPH {g} {{ ?c {number} ?n ; "
        f"{before} ?before ; {after} ?after . OPTIONAL {{ ?c {recorded} ?complete }} }} "
        f"{window} }} ORDER BY ?n"
    )
    chain: list[int] = []
    current = version
    for row in rows:
        if row["before"].value != current or row["complete"] is None:
            return None
        chain.append(int(row["n"].value))
        current = row["after"].value
        if current == target:
            break
    if current != target:
        return None
    window = f"FILTER(?n >= {first} && ?n <= {chain[-1]})"
    touched: dict[str, set[str]] = {"graph": set(), "subject": set()}
    for name, found in touched.items():
        for row in store.select(
            f"SELECT DISTINCT ?x WHERE {{ GRAPH {g} {{ ?c {number} ?n ; "
            f"{sparql_term(_h(name))} ?x }} {window} }}"
        ):
            found.add(row["x"].value)
    return ChangesSince(target, chain, touched["graph"], touched["subject"])


def last_modified(store: SparqlStore) -> tuple[dict[str, str], str | None]:
    """(subject IRI -> time of the last change that touched it, time of the last change
    whose subjects were not recorded, which may have touched anything), from the history:
    what a sitemap's ``lastmod`` says. Both are empty when nothing was changed through hairkg."""
    g = sparql_term(ox.NamedNode(str(HISTORY_GRAPH)))
    ended, subject = sparql_term(_ENDED), sparql_term(_h("subject"))
    change, recorded = sparql_term(_h("Change")), sparql_term(_h("subjectsRecorded"))
    per_subject = {
        row["s"].value: row["t"].value
        for row in store.select(
            f"SELECT ?s (MAX(?time) AS ?t) WHERE {{ GRAPH {g} {{ ?c {subject} ?s ; "
            f"{ended} ?time }} }} GROUP BY ?s"
        )
        if row["t"] is not None
    }
    rows = store.select(
        f"SELECT (MAX(?time) AS ?t) WHERE {{ GRAPH {g} {{ ?c a {change} ; {ended} ?time "
        f"FILTER NOT EXISTS {{ ?c {recorded} ?any }} }} }}"
    )
    unrecorded = rows[0]["t"].value if rows and rows[0]["t"] is not None else None
    return per_subject, unrecorded


# -- undoing ---------------------------------------------------------------------------------


def _has_blank(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _signature(node: ox.BlankNode, quads: Iterable[ox.Quad]) -> frozenset:
    """What a blank node looks like from its own triples, other blank nodes masked."""

    def mask(term):
        return "_" if isinstance(term, ox.BlankNode) else str(term)

    parts = []
    for q in quads:
        if q.subject == node:
            parts.append(("out", str(q.predicate), mask(q.object), str(q.graph_name)))
        if q.object == node:
            parts.append(("in", mask(q.subject), str(q.predicate), str(q.graph_name)))
    return frozenset(parts)


def _blank_nodes(quads: Iterable[ox.Quad]) -> set:
    out = set()
    for q in quads:
        for term in (q.subject, q.object):
            if isinstance(term, ox.BlankNode):
                out.add(term)
    return out


def inverse_edit(record: ChangeRecord):
    """An edit (for ``kb.writes.gate.WriteGate.apply``) that undoes ``record`` on the current
    dataset: it removes what the change added and puts back what it removed. Blank nodes the
    change added are found again by their description (their labels change on commit).
    Raises RevertConflict when something the change added is no longer there."""

    def edit(store: ox.Store) -> None:
        current = set(store)
        ground_added = [q for q in record.added if not _has_blank(q)]
        missing = [q for q in ground_added if q not in current]
        blank_added = [q for q in record.added if _has_blank(q)]
        mapping: dict = {}
        if blank_added:
            by_node: dict = defaultdict(list)
            for q in current:
                if _has_blank(q):
                    for term in (q.subject, q.object):
                        if isinstance(term, ox.BlankNode):
                            by_node[term].append(q)
            current_sigs: dict = defaultdict(list)
            for node, quads in by_node.items():
                current_sigs[_signature(node, quads)].append(node)
            used = set()
            for node in sorted(_blank_nodes(blank_added), key=str):
                sig = _signature(node, blank_added)
                candidates = [n for n in current_sigs.get(sig, []) if n not in used]
                if not candidates:
                    raise RevertConflict(
                        f"change {record.id} added a blank-node structure that later changes "
                        "modified; it cannot be undone exactly"
                    )
                mapping[node] = candidates[0]
                used.add(candidates[0])
        if missing:
            shown = "; ".join(str(q) for q in missing[:5])
            raise RevertConflict(
                f"change {record.id} cannot be undone exactly: {len(missing)} triple(s) it "
                f"added are no longer there (changed later): {shown}"
            )
        for q in ground_added:
            store.remove(q)
        for q in blank_added:
            s = mapping.get(q.subject, q.subject)
            o = mapping.get(q.object, q.object)
            store.remove(ox.Quad(s, q.predicate, o, q.graph_name))
        fresh: dict = {}
        counter = itertools.count()
        for q in record.removed:
            s, o = q.subject, q.object
            if isinstance(s, ox.BlankNode):
                s = fresh.setdefault(s, ox.BlankNode(f"r{record.number}x{next(counter)}"))
            if isinstance(o, ox.BlankNode):
                o = fresh.setdefault(o, ox.BlankNode(f"r{record.number}x{next(counter)}"))
            store.add(ox.Quad(s, q.predicate, o, q.graph_name))

    return edit
