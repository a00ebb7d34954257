"""The write gate: every change is computed, validated, then committed as one transaction.

``WriteGate.apply(edit, ...)``:

1. takes the write lock: an ``fcntl`` lock file in the data dir (one writer at a time across
   the worker processes of this host), then the store's write lease (``kb.store.lease``: one
   writer at a time across the hosts that share the store), renewed while the write runs;
2. reads the dataset version and every asserted quad from the store (the service graphs —
   inferred, meta, history — are left out) into an in-memory pyoxigraph store;
3. runs ``edit`` on that copy (a SPARQL Update, a Graph Store Protocol operation, an entity
   edit, the inverse of an earlier change) and compares the copy with what was read: the
   change is the quads added and removed, per graph;
4. validates the whole candidate graph with ``kb.validation.validate.validate_graph`` (SHACL,
   quality and reference checks, OWL consistency with HermiT); any error rejects the change
   (``ValidationFailed``) and nothing is written;
   A *scoped* edit (``apply(..., scope=Scope(...))``: the entity and article edits of the write
   API) names the subjects it reads and writes; the gate then reads only their quads (and
   the extra ones the scope asks for), checks that the change stayed inside the scope, and
   validates it on its neighbourhood (``kb.validation.local``: the rule, and what a local
   check can miss, are stated there) instead of on the whole graph. An ontology-level change,
   one with blank nodes or with too large a neighbourhood falls back to steps 2-4 as a whole;
5. commits with ONE SPARQL Update request — the quads removed and added, the reasoner's new
   inferred graph (as a difference), the history record and the new dataset version — in which
   every operation is conditional on the version read in step 2. The engine applies a request
   atomically, so the change is all there or not at all; when another writer (another host in
   front of a remote store) got in between, the condition fails, nothing changes, and the gate
   starts again from step 2.

Blank nodes cannot be named in a SPARQL Update, so a change that removes triples with blank
nodes replaces the graphs concerned as a whole (inside the same request).

This is the only way hairkg changes a store: the write API, SPARQL Update, the Graph Store
Protocol, reverts, and loading files (``hairkg load``, ``POST /admin/reload``: ``load_release``,
whose edit makes the ontology and knowledge-base graphs hold exactly the validated release)
all take the same lock and leave the same history record.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kb.rdf import (
    INFERRED_GRAPH,
    KB_GRAPH,
    META_GRAPH,
    ONTOLOGY_GRAPH,
    PROPOSALS_GRAPH,
    to_oxigraph,
)
from kb.store.client import SparqlStore, sparql_term
from kb.store.lease import StoreLease, host_holder
from kb.store.locks import WriteLock
from kb.store.signals import announce_write, write_signal
from kb.writes.compute import (
    Scope,
    apply_in_memory,
    canonical_quads,
    now_iso,
    touched_subjects,
    union_graph,
)
from kb.writes.history import HISTORY_GRAPH, ChangeRecord, RecordLinks, next_number
from kb.writes.results import (
    CommitResult,
    Conflict,
    DefaultGraphWrite,
    GateBusy,
    ServiceGraphWrite,
    ValidationFailed,
    refused_without_reasoner,
)
from kb.writes.update_text import _graph_key, _has_blank, commit_update, inferred_delta

log = logging.getLogger(__name__)

SERVICE_GRAPHS = frozenset(
    str(g) for g in (INFERRED_GRAPH, META_GRAPH, HISTORY_GRAPH, PROPOSALS_GRAPH)
)
# The graphs the files hold (ontology/hairkg.ttl, kb/data/*.ttl): what a load replaces.
ASSERTED_GRAPHS = (str(ONTOLOGY_GRAPH), str(KB_GRAPH))
VALIDATION_MODES = ("full", "shapes", "off")


# -- the gate ----------------------------------------------------------------------------

Edit = Callable[[ox.Store], Any]


class _Unscoped(Exception):
    """The scoped attempt cannot decide this change: redo it on the whole graph."""


class WriteGate:
    def __init__(
        self,
        store: SparqlStore,
        lock_path: Path,
        *,
        validation: str = "full",
        attempts: int = 5,
        lock_timeout_s: float = 120.0,
        lease_s: float = 30.0,
        shared_store: bool = True,
        commit_timeout_s: float = 120.0,
        default_graph_writes: bool = False,
    ):
        if validation not in VALIDATION_MODES:
            raise ValueError(f"validation must be one of {VALIDATION_MODES}, not {validation!r}")
        self.store = store
        # The store's lease only when other hosts may write the store: the embedded store is
        # this host's alone (its lock file is enough), and its readers never see a claim.
        lease = (
            StoreLease(store, host_holder(Path(lock_path).resolve()), lease_s)
            if shared_store
            else None
        )
        self.lock = WriteLock(lock_path, lock_timeout_s, lease, busy=GateBusy)
        self.validation = validation
        self.attempts = attempts
        self.commit_timeout_s = commit_timeout_s
        # Whether a change may add triples to the store's own default graph (only for stores
        # that are not a hairkg knowledge base, such as the W3C test suites').
        self.default_graph_writes = default_graph_writes

    def mark_changed(self) -> None:
        """After every commit: the processes of this host drop what they cached for the old
        version at once (``kb.store.signals``), without waiting for a version check."""
        announce_write(write_signal(self.lock.path.parent))

    # reading

    def snapshot(self) -> tuple[str, list[ox.Quad], list[ox.Quad]]:
        """(version, asserted quads, inferred quads), read consistently (retried if a write
        landed while reading)."""
        for _ in range(5):
            version = self.store.version(max_age_s=0)
            quads = self.store.dump()
            if self.store.version(max_age_s=0) == version:
                break
        asserted = [q for q in quads if _graph_key(q) not in SERVICE_GRAPHS]
        inferred = [q for q in quads if _graph_key(q) == str(INFERRED_GRAPH)]
        return version, asserted, inferred

    def scoped_snapshot(self, scope: Scope) -> tuple[str, list[ox.Quad]]:
        """(version, the asserted quads of the scope), read consistently."""
        nodes = sorted(scope.subjects | scope.reads)
        for _ in range(5):
            version = self.store.version(max_age_s=0)
            quads: list[ox.Quad] = []
            for start in range(0, len(nodes), 400):
                values = " ".join(sparql_term(ox.NamedNode(n)) for n in nodes[start : start + 400])
                rows = self.store.select(
                    f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} "
                    "GRAPH ?g { ?s ?p ?o } }"
                )
                quads += [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows]
            if scope.extra is not None:
                quads += list(scope.extra(self.store))
            if self.store.version(max_age_s=0) == version:
                break
        return version, [q for q in set(quads) if _graph_key(q) not in SERVICE_GRAPHS]

    def asserted_store(self) -> tuple[str, ox.Store]:
        version, asserted, _ = self.snapshot()
        memory = ox.Store()
        memory.bulk_extend(asserted)
        return version, memory

    # writing

    def apply(
        self,
        edit: Edit,
        *,
        author: str,
        message: str = "",
        reverts: int | None = None,
        precondition: Edit | None = None,
        inferred: Iterable[ox.Quad] | None = None,
        scope: Scope | None = None,
        proposal: tuple[str, str] | None = None,
        dry_run: bool = False,
    ) -> CommitResult:
        """Runs ``edit`` on a copy of the asserted graphs, validates and commits the result.
        ``inferred``: the candidate was validated already (a release built from files) and
        these are its inferences; the gate then does not validate again. ``scope``: the edit
        reads and writes only these subjects (see ``Scope``): read and validated locally.
        ``proposal``: (IRI, author) of the proposal this change applies, named in its record.
        ``dry_run``: computed and validated, never committed (the result has no record)."""
        links = RecordLinks(reverts, *(proposal or (None, None)))
        started = time.monotonic()
        prevalidated = None
        if inferred is not None:
            g = ox.NamedNode(str(INFERRED_GRAPH))
            prevalidated = set(
                canonical_quads(ox.Quad(q.subject, q.predicate, q.object, g) for q in inferred)
            )
        if prevalidated is not None:
            scope = None
        with self.lock.hold(), refused_without_reasoner():
            for _ in range(self.attempts):
                result = None
                if scope is not None:
                    try:
                        result = self._attempt_scoped(
                            scope, edit, author, message, links, precondition, dry_run
                        )
                    except _Unscoped as why:
                        log.info("write validated on the whole graph: %s", why)
                        scope = None
                if scope is None:
                    result = self._attempt(
                        edit, author, message, links, precondition, prevalidated, dry_run
                    )
                if result is not None:
                    result.seconds = time.monotonic() - started
                    if result.record is not None:
                        self.mark_changed()
                    return result
        raise Conflict("the store kept changing under this write (other writers); try again")

    def _refuse_graphs(self, added: list[ox.Quad], changed: list[ox.Quad]) -> None:
        """A change may not write the default graph (unless allowed) nor the service graphs."""
        to_default = sum(1 for q in added if isinstance(q.graph_name, ox.DefaultGraph))
        if to_default and not self.default_graph_writes:
            raise DefaultGraphWrite(to_default)
        service = sorted({_graph_key(q) for q in changed} & SERVICE_GRAPHS)
        if service:
            raise ServiceGraphWrite(
                f"the graph(s) {', '.join(service)} are maintained by the service and cannot "
                "be written"
            )

    def _attempt(
        self, edit, author, message, links, precondition, prevalidated, dry_run=False
    ) -> CommitResult | None:
        version, asserted, inferred_now = self.snapshot()
        value, after, added, removed = apply_in_memory(asserted, edit, precondition)
        if (
            not added
            and not removed
            and (prevalidated is None or prevalidated == set(inferred_now))
        ):
            return CommitResult(None, version, value=value, version_before=version)
        self._refuse_graphs(added, added + removed)

        report = None
        inferred_new = prevalidated
        validated = ""
        if prevalidated is None and self.validation != "off":
            validated = "full"
            from kb.validation.validate import validate_graph

            report = validate_graph(union_graph(after), reason=self.validation == "full")
            if not report.ok:
                raise ValidationFailed(report, added, removed)
            if self.validation == "full" and report.inferred is not None:
                g = ox.NamedNode(str(INFERRED_GRAPH))
                inferred_new = {
                    ox.Quad(*(to_oxigraph(t) for t in triple), g) for triple in report.inferred
                }

        if dry_run:
            return CommitResult(None, version, added, removed, report, value, version)
        return self._commit(
            version,
            added,
            removed,
            added + removed,
            after,
            inferred_now,
            inferred_new,
            author=author,
            message=message,
            links=links,
            report=report,
            value=value,
            validated=validated,
        )

    def _commit(
        self,
        version,
        added,
        removed,
        touched,
        after,
        inferred_now,
        inferred_new,
        *,
        author,
        message,
        links,
        report,
        value,
        validated,
    ) -> CommitResult | None:
        """Records and commits a validated change as one version-guarded update; None if
        another writer changed the store first (then nothing was applied)."""
        number = next_number(self.store)
        new_version = f"{number}-{uuid.uuid4().hex[:12]}"
        graphs, subjects = touched_subjects(touched, inferred_now, inferred_new)
        record = ChangeRecord(
            number=number,
            author=author,
            time=now_iso(),
            message=message,
            version_before=version,
            version_after=new_version,
            added=added,
            removed=removed,
            reverts=links.reverts,
            proposal=links.proposal,
            proposed_by=links.proposed_by,
            graphs=graphs,
            subjects=subjects,
        )
        record.inferred_added, record.inferred_removed = inferred_delta(inferred_now, inferred_new)
        update = commit_update(
            version,
            new_version,
            added,
            removed,
            after,
            inferred_now,
            inferred_new,
            record.quads(),
        )
        self.store.update(update, timeout_s=self.commit_timeout_s)
        if self.store.version(max_age_s=0) != new_version:
            return None
        return CommitResult(
            record, new_version, added, removed, report, value, version, validated=validated
        )

    def _attempt_scoped(
        self, scope: Scope, edit, author, message, links, precondition, dry_run=False
    ) -> CommitResult | None:
        """``_attempt`` on the scope's quads, validated on the change's neighbourhood."""
        from kb.validation.local import NeedsFullValidation, validate_change

        version, asserted = self.scoped_snapshot(scope)
        value, after, added, removed = apply_in_memory(asserted, edit, precondition)
        if not added and not removed:
            return CommitResult(None, version, value=value, version_before=version)
        changed = added + removed
        if any(
            not isinstance(q.subject, ox.NamedNode) or q.subject.value not in scope.subjects
            for q in changed
        ):
            raise _Unscoped("the edit changed subjects outside its scope")
        if any(_has_blank(q) for q in changed):
            raise _Unscoped("the change involves blank nodes")
        self._refuse_graphs(added, changed)
        report = None
        inferred_now: list[ox.Quad] = []
        inferred_new = None
        validated = ""
        if self.validation != "off":
            try:
                local = validate_change(
                    self.store,
                    added,
                    removed,
                    reason=self.validation == "full",
                    inferred_graph=str(INFERRED_GRAPH),
                )
            except NeedsFullValidation as why:
                raise _Unscoped(str(why)) from why
            report = local.report
            if not report.ok:
                raise ValidationFailed(report, added, removed)
            inferred_now = sorted(local.inferred_now, key=str)
            inferred_new = local.inferred_new
            validated = "local"
            log.info(
                "write validated on its neighbourhood (%d focus nodes): %s",
                len(local.focus),
                ", ".join(f"{k} {v:.3f}" for k, v in local.seconds.items()),
            )
        if dry_run:
            return CommitResult(None, version, added, removed, report, value, version)
        return self._commit(
            version,
            added,
            removed,
            changed,
            after,
            inferred_now,
            inferred_new,
            author=author,
            message=message,
            links=links,
            report=report,
            value=value,
            validated=validated,
        )


def gate_for(store: SparqlStore, data_dir: Path, validation: str = "full", **kwargs) -> WriteGate:
    return WriteGate(store, Path(data_dir) / "write.lock", validation=validation, **kwargs)
