"""Proposals: changes submitted for review, kept in the store (``kb.writes.proposal_records``)
until a reviewer approves or rejects them.

A proposal is computed and validated at once (``WriteGate.apply(..., dry_run=True)``: the same
computation and checks as a write, nothing committed) and stored, passing or not.

Approving applies the stored change as a patch to the graph as it is then. It applies
*cleanly* when every triple it removes is still there and no triple it adds is there already
(else someone changed the same statements since: ``ProposalConflict``, 409); the result is then
validated like any write (422 with the report when it fails), and its change record names the
proposal and its author, which is what marks the proposal approved. Changes with blank nodes
cannot be proposed (they cannot be matched again exactly): they are written directly.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pyoxigraph as ox

from kb.files.termdiff import compare
from kb.rdf import CONTENT_GRAPHS, PROPOSALS_GRAPH
from kb.store.client import SparqlStore, sparql_term
from kb.writes.compute import now_iso, union_graph
from kb.writes.gate import Scope, WriteGate
from kb.writes.history import HIST, HISTORY_GRAPH, nquads_text
from kb.writes.proposal_records import (
    ID_LENGTH,
    KINDS,
    STATUSES,
    Proposal,
    datetime_literal,
    get_proposal,
    list_proposals,
    proposal_iri,
    proposal_term,
)
from kb.writes.results import ChangeError, CommitResult, Conflict, ValidationFailed
from kb.writes.update_text import _has_blank

MAX_REASON = 2000
_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


class ProposalNotFound(ChangeError):
    status = 404


class ProposalConflict(Conflict):
    """The proposal is decided already, or its change no longer applies cleanly."""


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


def _labels(store: SparqlStore, iris: set[str]) -> list[ox.Quad]:
    """The asserted ``rdfs:label`` quads of ``iris``: what a diff names linked terms with."""
    found: list[ox.Quad] = []
    ordered = sorted(iris)
    for start in range(0, len(ordered), 400):
        values = " ".join(sparql_term(ox.NamedNode(i)) for i in ordered[start : start + 400])
        graphs = " ".join(sparql_term(ox.NamedNode(g)) for g in CONTENT_GRAPHS)
        rows = store.select(
            f"SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} VALUES ?g {{ {graphs} }} "
            f"GRAPH ?g {{ ?s {sparql_term(_LABEL)} ?l }} }}"
        )
        found += [ox.Quad(row["s"], _LABEL, row["l"]) for row in rows]
    return found


def term_diff(gate: WriteGate, added: list[ox.Quad], removed: list[ox.Quad]) -> dict:
    """The change as a term-level diff (``kb.files.termdiff``) of the subjects it touches,
    the terms its statements link to named by their labels."""
    subjects = _subjects(added + removed)
    _, before = gate.scoped_snapshot(Scope(subjects))
    after = (set(before) - set(removed)) | set(added)
    linked = {q.object.value for q in added + removed if isinstance(q.object, ox.NamedNode)}
    labels = _labels(gate.store, linked - subjects)
    old, new = union_graph([*before, *labels]), union_graph([*after, *labels])
    diff = compare(old, new, "current", "proposed")
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
        status, open_ = sparql_term(proposal_term("status")), sparql_term(ox.Literal("open"))
        decision = " ; ".join(
            f"{sparql_term(proposal_term(name))} {sparql_term(value)}"
            for name, value in (
                ("status", ox.Literal("rejected")),
                ("decidedBy", ox.Literal(reviewer)),
                ("decidedAt", datetime_literal(now_iso())),
                ("reason", ox.Literal(reason.strip())),
            )
        )
        approval = sparql_term(ox.NamedNode(HIST + "proposal"))
        gate.store.update(
            f"DELETE {{ GRAPH {g} {{ {p} {status} {open_} }} }} "
            f"INSERT {{ GRAPH {g} {{ {p} {decision} }} }} "
            f"WHERE {{ GRAPH {g} {{ {p} {status} {open_} }} "
            f"FILTER NOT EXISTS {{ GRAPH {h} {{ ?c {approval} {p} }} }} }}"
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
