"""Proposals: changes submitted for review, kept in the store until a reviewer approves or
rejects them.

A proposal is computed and validated at once (``WriteGate.apply(..., dry_run=True)``: the same
computation and checks as a write, nothing committed) and stored as one resource of
``PROPOSALS_GRAPH`` (so every worker and host sees it)::

    <https://w3id.org/hairkg/proposal/0f3a...> a prop:Proposal ;
        prop:status "open" ;                      # "open" or "rejected"; approved: see below
        prop:author "bob" ; prov:generatedAtTime "...Z"^^xsd:dateTime ; rdfs:comment "message" ;
        prop:kind "entity" ; prop:request "<the JSON request>" ;
        prop:versionBefore "<dataset version it was computed against>" ;
        prop:added "<N-Quads>" ; prop:removed "<N-Quads>" ;
        prop:passes true ; prop:report "<JSON>" ; prop:diff "<JSON term diff>" ;
        [prop:decidedBy "carol" ; prop:decidedAt "..." ; prop:reason "..."] .   # rejected

*Approved* is not written here: a proposal is approved when a change record of the history
names it (``hist:proposal``), and that record is committed by the same request as the change,
so a proposal is never marked approved without its change nor applied without being marked.

Approving applies the stored change as a patch to the graph as it is then. It applies
*cleanly* when every triple it removes is still there and no triple it adds is there already
(else someone changed the same statements since: ``ProposalConflict``, 409); the result is then
validated like any write (422 with the report when it fails). Changes with blank nodes cannot be
proposed (they cannot be matched again exactly): they are written directly.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from kb.files.termdiff import compare
from kb.rdf import BASE, PROPOSALS_GRAPH, PROV
from kb.store.client import SparqlStore, sparql_term
from kb.writes.compute import now_iso, union_graph
from kb.writes.gate import Scope, WriteGate
from kb.writes.history import HIST, HISTORY_GRAPH, nquads_text, parse_nquads
from kb.writes.results import ChangeError, CommitResult, Conflict, ValidationFailed
from kb.writes.update_text import _has_blank

PROPOSAL_BASE = BASE + "proposal/"
PROP = BASE + "proposal#"
STATUSES = ("open", "approved", "rejected")
KINDS = ("entity", "update")
ID_LENGTH = 12
MAX_REASON = 2000

_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
_CREATED = ox.NamedNode(str(PROV.generatedAtTime))


def _p(name: str) -> ox.NamedNode:
    return ox.NamedNode(PROP + name)


def proposal_iri(identifier: str) -> ox.NamedNode:
    return ox.NamedNode(PROPOSAL_BASE + identifier)


def _datetime(text: str) -> ox.Literal:
    return ox.Literal(text, datatype=ox.NamedNode(_XSD + "dateTime"))


class ProposalNotFound(ChangeError):
    status = 404


class ProposalConflict(Conflict):
    """The proposal is decided already, or its change no longer applies cleanly."""


@dataclass
class Proposal:
    id: str
    status: str
    author: str
    message: str
    created: str
    kind: str
    request: dict
    version_before: str
    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)
    passes: bool = False
    report: dict = field(default_factory=dict)
    diff: dict = field(default_factory=dict)
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None
    change: int | None = None

    @property
    def iri(self) -> str:
        return proposal_iri(self.id).value

    def summary(self) -> dict:
        return {
            "id": self.id,
            "href": f"/api/v1/proposals/{self.id}",
            "status": self.status,
            "author": self.author,
            "message": self.message,
            "created": self.created,
            "kind": self.kind,
            "decidedBy": self.decided_by,
            "decidedAt": self.decided_at,
            "reason": self.reason,
            "change": str(self.change) if self.change is not None else None,
            "validation": {"passes": self.passes},
            "diffSummary": self.diff.get("summary", {}),
        }

    def to_dict(self) -> dict:
        body = self.summary()
        body["versionBefore"] = self.version_before
        body["validation"] = {"passes": self.passes, "report": self.report}
        body["request"] = self.request
        body["diff"] = self.diff
        body["triplesAdded"] = nquads_text(self.added).splitlines()
        body["triplesRemoved"] = nquads_text(self.removed).splitlines()
        return body

    def quads(self) -> list[ox.Quad]:
        s, g = proposal_iri(self.id), ox.NamedNode(str(PROPOSALS_GRAPH))
        boolean = ox.NamedNode(_XSD + "boolean")
        values = [
            (_RDF_TYPE, _p("Proposal")),
            (_p("status"), ox.Literal(self.status)),
            (_p("author"), ox.Literal(self.author)),
            (_CREATED, _datetime(self.created)),
            (_COMMENT, ox.Literal(self.message)),
            (_p("kind"), ox.Literal(self.kind)),
            (_p("request"), ox.Literal(json.dumps(self.request, ensure_ascii=False))),
            (_p("versionBefore"), ox.Literal(self.version_before)),
            (_p("added"), ox.Literal(nquads_text(self.added))),
            (_p("removed"), ox.Literal(nquads_text(self.removed))),
            (_p("passes"), ox.Literal("true" if self.passes else "false", datatype=boolean)),
            (_p("report"), ox.Literal(json.dumps(self.report, ensure_ascii=False))),
            (_p("diff"), ox.Literal(json.dumps(self.diff, ensure_ascii=False))),
        ]
        return [ox.Quad(s, p, o, g) for p, o in values]


# -- submitting -----------------------------------------------------------------------------


def report_json(report, touched: set[str]) -> dict:
    """A validation report as the API shows it: its errors, and the warnings about the
    terms the change touched (the rest of the graph's warnings are not news)."""
    from rdflib import URIRef

    from kb.validation.findings import short

    def finding(f) -> dict:
        node = short(URIRef(f.node)) if f.node and "://" in f.node else f.node
        return {"severity": f.severity, "rule": f.rule, "node": node, "message": f.message}

    if report is None:
        return {"errors": [], "warnings": [], "counts": {}}
    return {
        "errors": [finding(f) for f in report.errors],
        "warnings": [finding(f) for f in report.warnings if f.node in touched],
        "counts": report.counts(),
    }


def _subjects(quads: list[ox.Quad]) -> frozenset[str]:
    return frozenset(q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode))


def term_diff(gate: WriteGate, added: list[ox.Quad], removed: list[ox.Quad]) -> dict:
    """The change as a term-level diff (``kb.files.termdiff``) of the subjects it touches."""
    _, before = gate.scoped_snapshot(Scope(_subjects(added + removed)))
    after = (set(before) - set(removed)) | set(added)
    diff = compare(union_graph(before), union_graph(after), "current", "proposed")
    return {**diff.to_dict(), "text": diff.to_text()}


def submit(
    gate: WriteGate,
    *,
    author: str,
    message: str,
    kind: str,
    request: dict,
    edit: Callable[[ox.Store], object],
    scope: Scope | None = None,
) -> Proposal:
    """Computes and validates ``edit`` against the current graph, nothing committed, and stores
    the result as an open proposal (stored whether it passes or not: the report says)."""
    try:
        result = gate.apply(edit, author=author, message=message, scope=scope, dry_run=True)
        report, passes = result.report, True
        added, removed, version = result.added, result.removed, result.version
    except ValidationFailed as failed:
        report, passes = failed.report, False
        added, removed, version = failed.added, failed.removed, gate.store.version(max_age_s=0)
    if not added and not removed:
        raise ChangeError("the proposed change changes nothing", status=422)
    if any(_has_blank(q) for q in added + removed):
        raise ChangeError(
            "the change involves blank nodes, which a proposal cannot match again exactly; "
            "write it directly with a write token",
            status=422,
        )
    proposal = Proposal(
        id=uuid.uuid4().hex[:ID_LENGTH],
        status="open",
        author=author,
        message=message,
        created=now_iso(),
        kind=kind,
        request=request,
        version_before=version,
        added=added,
        removed=removed,
        passes=passes,
        report=report_json(report, set(_subjects(added + removed))),
        diff=term_diff(gate, added, removed),
    )
    body = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in proposal.quads())
    gate.store.update(
        f"INSERT DATA {{ GRAPH {sparql_term(ox.NamedNode(str(PROPOSALS_GRAPH)))} {{\n{body}\n}} }}"
    )
    return proposal


# -- reading ---------------------------------------------------------------------------------

_SCALARS = ("status", "author", "kind", "versionBefore", "passes", "decidedBy", "decidedAt")
_SCALARS += ("reason",)


def _pattern(where_extra: str, texts: tuple[str, ...]) -> str:
    """The graph pattern of proposals (?p) with their fields, ?state included: "approved" when
    a change record of the history names the proposal, else its own status."""
    g, h = (sparql_term(ox.NamedNode(str(x))) for x in (PROPOSALS_GRAPH, HISTORY_GRAPH))
    optional = " ".join(
        f"OPTIONAL {{ ?p {sparql_term(_p(name))} ?{name} }}" for name in _SCALARS + texts
    )
    hist = {n: sparql_term(ox.NamedNode(HIST + n)) for n in ("proposal", "number", "author")}
    return (
        f"GRAPH {g} {{ ?p a {sparql_term(_p('Proposal'))} ; "
        f"{sparql_term(_CREATED)} ?created . OPTIONAL {{ ?p {sparql_term(_COMMENT)} ?message }} "
        f"{optional} }} "
        f"OPTIONAL {{ GRAPH {h} {{ ?c {hist['proposal']} ?p ; {hist['number']} ?change ; "
        f"{hist['author']} ?reviewer ; {sparql_term(ox.NamedNode(str(PROV.endedAtTime)))} "
        f"?approvedAt }} }} "
        f'BIND(IF(BOUND(?change), "approved", ?status) AS ?state) {where_extra}'
    )


def _select(store: SparqlStore, where_extra: str, *, full: bool, tail: str = "") -> list[Proposal]:
    texts = ("request", "added", "removed", "report", "diff") if full else ("diff",)
    found = []
    for row in store.select(f"SELECT * WHERE {{ {_pattern(where_extra, texts)} }} {tail}"):

        def value(name: str, row=row) -> str | None:
            term = row[name]
            return term.value if term is not None else None

        approved = value("change") is not None
        found.append(
            Proposal(
                id=row["p"].value.removeprefix(PROPOSAL_BASE),
                status=value("state") or "open",
                author=value("author") or "",
                message=value("message") or "",
                created=value("created") or "",
                kind=value("kind") or "",
                request=json.loads(value("request") or "{}"),
                version_before=value("versionBefore") or "",
                added=parse_nquads(value("added") or ""),
                removed=parse_nquads(value("removed") or ""),
                passes=value("passes") == "true",
                report=json.loads(value("report") or "{}"),
                diff=json.loads(value("diff") or "{}"),
                decided_by=value("reviewer") if approved else value("decidedBy"),
                decided_at=value("approvedAt") if approved else value("decidedAt"),
                reason=value("reason"),
                change=int(value("change")) if approved else None,
            )
        )
    return found


def _filters(status: str | None, author: str | None) -> str:
    parts = []
    if status:
        parts.append(f"FILTER(?state = {sparql_term(ox.Literal(status))})")
    if author:
        parts.append(f"FILTER(?author = {sparql_term(ox.Literal(author))})")
    return " ".join(parts)


def list_proposals(
    store: SparqlStore,
    *,
    status: str | None = None,
    author: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[int, list[Proposal]]:
    """(total matching, proposals newest first, without their triples)."""
    where = _filters(status, author)
    rows = store.select(f"SELECT (COUNT(?p) AS ?n) WHERE {{ {_pattern(where, ())} }}")
    total = int(rows[0]["n"].value) if rows else 0
    page = f"ORDER BY DESC(?created) ?p LIMIT {int(limit)} OFFSET {int(offset)}"
    return total, _select(store, where, full=False, tail=page)


def get_proposal(store: SparqlStore, identifier: str) -> Proposal | None:
    if len(identifier) != ID_LENGTH or any(c not in "0123456789abcdef" for c in identifier):
        return None
    iri = sparql_term(proposal_iri(identifier))
    found = _select(store, f"FILTER(?p = {iri})", full=True)
    return found[0] if found else None


# -- deciding --------------------------------------------------------------------------------


def _open_proposal(store: SparqlStore, identifier: str, reviewer: str) -> Proposal:
    proposal = get_proposal(store, identifier)
    if proposal is None:
        raise ProposalNotFound(f"there is no proposal {identifier!r}")
    if proposal.status != "open":
        raise ProposalConflict(f"proposal {identifier} is {proposal.status} already")
    if proposal.author == reviewer:
        raise ChangeError("a reviewer cannot decide on their own proposal", status=403)
    return proposal


def approve(gate: WriteGate, identifier: str, *, reviewer: str) -> CommitResult:
    """Applies the proposal's change through the gate (validated against the graph as it is
    now) with a change record that names the proposal and its author."""
    proposal = _open_proposal(gate.store, identifier, reviewer)

    def patch(store: ox.Store) -> None:
        if get_proposal(gate.store, identifier).status != "open":  # decided while waiting
            raise ProposalConflict(f"proposal {identifier} was decided by someone else")
        current = set(store)
        gone = [q for q in proposal.removed if q not in current]
        there = [q for q in proposal.added if q in current]
        if gone or there:
            raise ProposalConflict(
                f"the graph changed since proposal {identifier} was made and it no longer "
                f"applies cleanly: {len(gone)} triple(s) it removes are gone, {len(there)} it "
                "adds are there already; nothing was written",
                missing=nquads_text(gone).splitlines()[:20],
                present=nquads_text(there).splitlines()[:20],
            )
        for q in proposal.removed:
            store.remove(q)
        store.extend(proposal.added)

    message = f"proposal {identifier} by {proposal.author}"
    return gate.apply(
        patch,
        author=reviewer,
        message=f"{message}: {proposal.message}" if proposal.message else message,
        scope=Scope(_subjects(proposal.added + proposal.removed)),
        proposal=(proposal.iri, proposal.author),
    )


def reject(gate: WriteGate, identifier: str, *, reviewer: str, reason: str) -> Proposal:
    """Marks an open proposal rejected (who, when, why), unless it was decided meanwhile."""
    if not isinstance(reason, str) or not reason.strip():
        raise ChangeError('a rejection needs a reason: {"reason": "..."}', field="reason")
    if len(reason) > MAX_REASON:
        raise ChangeError(f"the reason is longer than {MAX_REASON} characters")
    with gate.lock.hold():  # one decision at a time on this host, approvals included
        _open_proposal(gate.store, identifier, reviewer)
        p = sparql_term(proposal_iri(identifier))
        g, h = (sparql_term(ox.NamedNode(str(x))) for x in (PROPOSALS_GRAPH, HISTORY_GRAPH))
        status, open_ = sparql_term(_p("status")), sparql_term(ox.Literal("open"))
        gate.store.update(
            f"DELETE {{ GRAPH {g} {{ {p} {status} {open_} }} }} "
            f"INSERT {{ GRAPH {g} {{ {p} {status} {sparql_term(ox.Literal('rejected'))} ; "
            f"{sparql_term(_p('decidedBy'))} {sparql_term(ox.Literal(reviewer))} ; "
            f"{sparql_term(_p('decidedAt'))} {sparql_term(_datetime(now_iso()))} ; "
            f"{sparql_term(_p('reason'))} {sparql_term(ox.Literal(reason.strip()))} }} }} "
            f"WHERE {{ GRAPH {g} {{ {p} {status} {open_} }} FILTER NOT EXISTS {{ GRAPH {h} "
            f"{{ ?c {sparql_term(ox.NamedNode(HIST + 'proposal'))} {p} }} }} }}"
        )
    decided = get_proposal(gate.store, identifier)
    if decided is None or decided.status != "rejected" or decided.decided_by != reviewer:
        raise ProposalConflict(f"proposal {identifier} was decided by someone else")
    return decided


__all__ = [
    "KINDS",
    "STATUSES",
    "Proposal",
    "ProposalConflict",
    "ProposalNotFound",
    "approve",
    "get_proposal",
    "list_proposals",
    "reject",
    "submit",
]
