"""The write gate: every change is computed, validated, then committed as one transaction.

``WriteGate.apply(edit, ...)``:

1. takes the write lock (an ``fcntl`` lock file in the data dir: one writer at a time across
   all worker processes of this host);
2. reads the dataset version and every asserted quad from the store (the service graphs —
   inferred, meta, history — are left out) into an in-memory pyoxigraph store;
3. runs ``edit`` on that copy (a SPARQL Update, a Graph Store Protocol operation, an entity
   edit, the inverse of an earlier change) and compares the copy with what was read: the
   change is the quads added and removed, per graph;
4. validates the whole candidate graph with ``kb.validation.validate.validate_graph`` (SHACL,
quality and
   reference checks, OWL consistency with HermiT); any error rejects the change
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

import contextlib
import fcntl
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph
from rdflib.compare import isomorphic

from kb.rdf import INFERRED_GRAPH, KB_GRAPH, META_GRAPH, ONTOLOGY_GRAPH, to_oxigraph, to_rdflib
from kb.store.client import VERSION_PREDICATE, VERSION_SUBJECT, SparqlStore, sparql_term
from kb.writes.history import HISTORY_GRAPH, MAX_RECORDED_SUBJECTS, ChangeRecord, next_number

log = logging.getLogger(__name__)

SERVICE_GRAPHS = frozenset({str(INFERRED_GRAPH), str(META_GRAPH), str(HISTORY_GRAPH)})
# The graphs the files hold (ontology/hairkg.ttl, kb/data/*.ttl): what a load replaces.
ASSERTED_GRAPHS = (str(ONTOLOGY_GRAPH), str(KB_GRAPH))
VALIDATION_MODES = ("full", "shapes", "off")


class ChangeError(Exception):
    """A change that is not accepted; ``status`` is the HTTP status to answer."""

    status = 400

    def __init__(self, message: str, *, status: int | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra
        if status is not None:
            self.status = status


class ValidationFailed(ChangeError):
    status = 422

    def __init__(self, report):
        errors = report.errors
        super().__init__(
            f"the change was rejected: validation found {len(errors)} error(s); nothing was written"
        )
        self.report = report


class ServiceGraphWrite(ChangeError):
    status = 403


class DefaultGraphWrite(ChangeError):
    """Triples written to the store's own default graph: queries see them through the union,
    but nothing hairkg loads (indexes, ``export --to-files``) reads them back."""

    status = 400

    def __init__(self, count: int):
        super().__init__(
            f"the change writes {count} triple(s) to the default graph, which in updates is "
            "the store's own default graph, not the knowledge base: nothing would load them "
            f"back (hairkg export --to-files, search, entity cards). Name the graph: "
            f"INSERT DATA {{ GRAPH <{KB_GRAPH}> {{ ... }} }}, WITH <{KB_GRAPH}> before "
            f"DELETE/INSERT, or ?graph={KB_GRAPH} in the Graph Store Protocol. Nothing was "
            "written."
        )


class PreconditionFailed(ChangeError):
    status = 412


class Conflict(ChangeError):
    status = 409


class GateBusy(ChangeError):
    status = 503


@dataclass
class CommitResult:
    record: ChangeRecord | None  # None when the edit changed nothing
    version: str
    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)
    report: Any = None  # the validation report (warnings are worth showing)
    value: Any = None  # what the edit returned
    version_before: str = ""
    seconds: float = 0.0
    validated: str = ""  # "local" (neighbourhood), "full" (whole graph), "" (not validated)

    def counts(self) -> dict[str, dict[str, int]]:
        """Quads added and removed per graph."""
        out: dict[str, dict[str, int]] = {}
        for key, quads in (("added", self.added), ("removed", self.removed)):
            for q in quads:
                out.setdefault(_graph_key(q), {"added": 0, "removed": 0})[key] += 1
        return {g: out[g] for g in sorted(out)}

    def to_dict(self) -> dict:
        """The answer of a load (``hairkg load``, ``POST /admin/reload``)."""
        record = self.record
        return {
            "message": record.message if record else "",
            "changed": record is not None,
            "change": record.id if record else None,
            "author": record.author if record else None,
            "versionBefore": self.version_before or self.version,
            "versionAfter": self.version,
            "added": len(self.added),
            "removed": len(self.removed),
            "graphs": self.counts(),
            "seconds": round(self.seconds, 3),
        }


def load_summary_text(answer: dict) -> str:
    """A load's answer (``CommitResult.to_dict``) for people."""
    if not answer.get("changed"):
        return f"store already up to date (version {answer.get('versionAfter')})\n"
    change = f" (change {answer['change']})" if answer.get("change") else ""
    lines = [
        f"loaded: +{answer.get('added')} -{answer.get('removed')} triples, version "
        f"{answer.get('versionBefore')} -> {answer.get('versionAfter')}{change}"
    ]
    for g, c in (answer.get("graphs") or {}).items():
        lines.append(f"  {g}: +{c['added']} -{c['removed']}")
    return "\n".join(lines) + "\n"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- conversions -------------------------------------------------------------------------


def union_graph(quads: Iterable[ox.Quad]) -> Graph:
    graph = Graph()
    for q in quads:
        graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return graph


def _graph_key(quad: ox.Quad) -> str:
    return "" if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value


def _has_blank(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _triple_text(quad: ox.Quad) -> str:
    return f"{quad.subject} {quad.predicate} {quad.object} ."


def quads_block(quads: Iterable[ox.Quad]) -> str:
    """Quads as the body of a SPARQL template: default-graph triples, then GRAPH blocks."""
    by_graph: dict[str, list[ox.Quad]] = {}
    for q in quads:
        by_graph.setdefault(_graph_key(q), []).append(q)
    parts = []
    for name in sorted(by_graph):
        triples = "\n".join(sorted(_triple_text(q) for q in by_graph[name]))
        if name:
            parts.append(f"GRAPH {sparql_term(ox.NamedNode(name))} {{\n{triples}\n}}")
        else:
            parts.append(triples)
    return "\n".join(parts)


# -- the lock ----------------------------------------------------------------------------


class WriteLock:
    """An exclusive lock across the processes of one host (``flock`` on a file) and the
    threads of one process."""

    def __init__(self, path: Path, timeout_s: float = 120.0):
        self.path = path
        self.timeout_s = timeout_s
        self._thread_lock = threading.Lock()

    @contextlib.contextmanager
    def hold(self):
        deadline = time.monotonic() + self.timeout_s
        if not self._thread_lock.acquire(timeout=self.timeout_s):
            raise GateBusy("another write is in progress; try again shortly")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as handle:
                while True:
                    try:
                        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError as error:
                        if time.monotonic() > deadline:
                            raise GateBusy(
                                "another write is in progress; try again shortly"
                            ) from error
                        time.sleep(0.05)
                try:
                    yield
                finally:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


# -- the gate ----------------------------------------------------------------------------

Edit = Callable[[ox.Store], Any]


@dataclass(frozen=True)
class Scope:
    """What an edit reads and writes, so that the gate loads only that: every quad (in the
    named graphs) of ``subjects`` and of ``reads``, and the quads ``extra`` returns. The edit
    may change quads of ``subjects`` only; a change outside them is redone unscoped."""

    subjects: frozenset[str]
    reads: frozenset[str] = frozenset()
    extra: Callable[[SparqlStore], Iterable[ox.Quad]] | None = None


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
        commit_timeout_s: float = 120.0,
        default_graph_writes: bool = False,
    ):
        if validation not in VALIDATION_MODES:
            raise ValueError(f"validation must be one of {VALIDATION_MODES}, not {validation!r}")
        self.store = store
        self.lock = WriteLock(lock_path, lock_timeout_s)
        self.validation = validation
        self.attempts = attempts
        self.commit_timeout_s = commit_timeout_s
        # Whether a change may add triples to the store's own default graph (only for stores
        # that are not a hairkg knowledge base, such as the W3C test suites').
        self.default_graph_writes = default_graph_writes

    @property
    def changed_marker(self) -> Path:
        """Touched after every commit: the processes of this host drop what they cached for
        the old version at once (``/sparql`` answers), without waiting for a version check."""
        return changed_marker(self.lock.path.parent)

    def mark_changed(self) -> None:
        with contextlib.suppress(OSError):
            self.changed_marker.parent.mkdir(parents=True, exist_ok=True)
            self.changed_marker.touch()

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
    ) -> CommitResult:
        """Runs ``edit`` on a copy of the asserted graphs, validates and commits the result.
        ``inferred``: the candidate was validated already (a release built from files) and
        these are its inferences; the gate then does not validate again. ``scope``: the edit
        reads and writes only these subjects (see ``Scope``): read and validated locally."""
        started = time.monotonic()
        prevalidated = None
        if inferred is not None:
            g = ox.NamedNode(str(INFERRED_GRAPH))
            prevalidated = set(
                canonical_quads(ox.Quad(q.subject, q.predicate, q.object, g) for q in inferred)
            )
        if prevalidated is not None:
            scope = None
        with self.lock.hold():
            for _ in range(self.attempts):
                result = None
                if scope is not None:
                    try:
                        result = self._attempt_scoped(
                            scope, edit, author, message, reverts, precondition
                        )
                    except _Unscoped as why:
                        log.info("write validated on the whole graph: %s", why)
                        scope = None
                if scope is None:
                    result = self._attempt(
                        edit, author, message, reverts, precondition, prevalidated
                    )
                if result is not None:
                    result.seconds = time.monotonic() - started
                    if result.record is not None:
                        self.mark_changed()
                    return result
        raise Conflict("the store kept changing under this write (other writers); try again")

    def _attempt(
        self, edit, author, message, reverts, precondition, prevalidated
    ) -> CommitResult | None:
        version, asserted, inferred_now = self.snapshot()
        value, after, added, removed = _apply_in_memory(asserted, edit, precondition)
        if (
            not added
            and not removed
            and (prevalidated is None or prevalidated == set(inferred_now))
        ):
            return CommitResult(None, version, value=value, version_before=version)
        to_default = sum(1 for q in added if isinstance(q.graph_name, ox.DefaultGraph))
        if to_default and not self.default_graph_writes:
            raise DefaultGraphWrite(to_default)
        service = sorted({_graph_key(q) for q in added + removed} & SERVICE_GRAPHS)
        if service:
            raise ServiceGraphWrite(
                f"the graph(s) {', '.join(service)} are maintained by the service and cannot "
                "be written"
            )

        report = None
        inferred_new = prevalidated
        validated = ""
        if prevalidated is None and self.validation != "off":
            validated = "full"
            from kb.validation.validate import validate_graph

            report = validate_graph(union_graph(after), reason=self.validation == "full")
            if not report.ok:
                raise ValidationFailed(report)
            if self.validation == "full" and report.inferred is not None:
                g = ox.NamedNode(str(INFERRED_GRAPH))
                inferred_new = {
                    ox.Quad(*(to_oxigraph(t) for t in triple), g) for triple in report.inferred
                }

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
            reverts=reverts,
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
        reverts,
        report,
        value,
        validated,
    ) -> CommitResult | None:
        """Records and commits a validated change as one version-guarded update; None if
        another writer changed the store first (then nothing was applied)."""
        number = next_number(self.store)
        new_version = f"{number}-{uuid.uuid4().hex[:12]}"
        graphs, subjects = _touched(touched, inferred_now, inferred_new)
        record = ChangeRecord(
            number=number,
            author=author,
            time=now_iso(),
            message=message,
            version_before=version,
            version_after=new_version,
            added=added,
            removed=removed,
            reverts=reverts,
            graphs=graphs,
            subjects=subjects,
        )
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
        self, scope: Scope, edit, author, message, reverts, precondition
    ) -> CommitResult | None:
        """``_attempt`` on the scope's quads, validated on the change's neighbourhood."""
        from kb.validation.local import NeedsFullValidation, validate_change

        version, asserted = self.scoped_snapshot(scope)
        value, after, added, removed = _apply_in_memory(asserted, edit, precondition)
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
        to_default = sum(1 for q in added if isinstance(q.graph_name, ox.DefaultGraph))
        if to_default and not self.default_graph_writes:
            raise DefaultGraphWrite(to_default)
        service = sorted({_graph_key(q) for q in changed} & SERVICE_GRAPHS)
        if service:
            raise ServiceGraphWrite(
                f"the graph(s) {', '.join(service)} are maintained by the service and cannot "
                "be written"
            )
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
                raise ValidationFailed(report)
            inferred_now = sorted(local.inferred_now, key=str)
            inferred_new = local.inferred_new
            validated = "local"
            log.info(
                "write validated on its neighbourhood (%d focus nodes): %s",
                len(local.focus),
                ", ".join(f"{k} {v:.3f}" for k, v in local.seconds.items()),
            )
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
            reverts=reverts,
            report=report,
            value=value,
            validated=validated,
        )


def _apply_in_memory(asserted: list[ox.Quad], edit, precondition):
    """Runs ``edit`` on an in-memory copy of ``asserted`` (after ``precondition``); returns
    the edit's value, the quads after it, and the sorted quads it added and removed."""
    memory = ox.Store()
    memory.bulk_extend(asserted)
    if precondition is not None:
        precondition(memory)
    value = edit(memory)
    before = set(asserted)
    after = set(memory)
    return value, after, sorted(after - before, key=str), sorted(before - after, key=str)


def _touched(
    changed: list[ox.Quad], inferred_now: list[ox.Quad], inferred_new: set[ox.Quad] | None
) -> tuple[list[str], list[str] | None]:
    """(graphs, subject IRIs) a change touches, its new inferences included; subjects are None
    when there are too many or some are blank nodes (readers of the history then rebuild)."""
    if inferred_new is not None:
        changed = changed + list(set(inferred_now).symmetric_difference(inferred_new))
    graphs = sorted({_graph_key(q) for q in changed})
    subjects = {q.subject for q in changed}
    if len(subjects) > MAX_RECORDED_SUBJECTS or any(
        not isinstance(s, ox.NamedNode) for s in subjects
    ):
        return graphs, None
    return graphs, sorted(s.value for s in subjects)


def _condition(version: str) -> str:
    meta = sparql_term(ox.NamedNode(str(META_GRAPH)))
    subject, predicate = sparql_term(VERSION_SUBJECT), sparql_term(VERSION_PREDICATE)
    if version == "unversioned":
        return f"FILTER NOT EXISTS {{ GRAPH {meta} {{ {subject} {predicate} ?anyVersion }} }}"
    return f"GRAPH {meta} {{ {subject} {predicate} {sparql_term(ox.Literal(version))} }}"


def commit_update(
    version: str,
    new_version: str,
    added: list[ox.Quad],
    removed: list[ox.Quad],
    after: set[ox.Quad],
    inferred_now: list[ox.Quad],
    inferred_new: set[ox.Quad] | None,
    record: list[ox.Quad],
) -> str:
    """The one SPARQL Update request that commits a change, every operation conditional on
    the dataset still being at ``version``."""
    condition = _condition(version)
    replaced = sorted({_graph_key(q) for q in removed if _has_blank(q)})
    operations = []
    for name in replaced:
        if name:
            graph = sparql_term(ox.NamedNode(name))
            operations.append(
                f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} "
                f"WHERE {{ {condition} GRAPH {graph} {{ ?s ?p ?o }} }}"
            )
        else:
            operations.append(f"DELETE {{ ?s ?p ?o }} WHERE {{ {condition} ?s ?p ?o }}")
    to_delete = [q for q in removed if _graph_key(q) not in replaced]
    to_insert = [q for q in added if _graph_key(q) not in replaced]
    to_insert += [q for q in after if _graph_key(q) in replaced]
    if inferred_new is not None:
        current = set(inferred_now)
        if any(_has_blank(q) for q in current - inferred_new):
            graph = sparql_term(ox.NamedNode(str(INFERRED_GRAPH)))
            operations.append(
                f"DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} "
                f"WHERE {{ {condition} GRAPH {graph} {{ ?s ?p ?o }} }}"
            )
            to_insert += sorted(inferred_new, key=str)
        else:
            to_delete += sorted(current - inferred_new, key=str)
            to_insert += sorted(inferred_new - current, key=str)
    to_insert += record
    operations.append(
        f"DELETE {{\n{quads_block(to_delete)}\n}}\nINSERT {{\n{quads_block(to_insert)}\n}}\n"
        f"WHERE {{ {condition} }}"
    )
    meta = sparql_term(ox.NamedNode(str(META_GRAPH)))
    subject, predicate = sparql_term(VERSION_SUBJECT), sparql_term(VERSION_PREDICATE)
    old = (
        f"GRAPH {meta} {{ {subject} {predicate} {sparql_term(ox.Literal(version))} }}"
        if version != "unversioned"
        else ""
    )
    operations.append(
        f"DELETE {{ {old} }} INSERT {{ GRAPH {meta} {{ {subject} {predicate} "
        f"{sparql_term(ox.Literal(new_version))} }} }} WHERE {{ {condition} }}"
    )
    return " ;\n".join(operations)


def changed_marker(data_dir: Path) -> Path:
    return Path(data_dir) / "run" / "dataset-changed"


def gate_for(store: SparqlStore, data_dir: Path, validation: str = "full", **kwargs) -> WriteGate:
    return WriteGate(store, Path(data_dir) / "write.lock", validation=validation, **kwargs)


# -- loading files: the release as one change through the gate --------------------------------


def canonical_quads(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads as the engine stores them (typed literals in canonical lexical form: the
    file's ``500.0`` is the store's ``"500"^^xsd:decimal``), sorted, so diffs compare equal."""
    memory = ox.Store()
    memory.extend(quads)
    return sorted(memory, key=str)


def release_edit(quads: Iterable[ox.Quad], graphs: Iterable[str] = ASSERTED_GRAPHS) -> Edit:
    """An edit that makes ``graphs`` hold exactly the release's quads of those graphs. A
    graph's blank-node part is kept as it is when it is isomorphic to the release's (blank
    node labels differ between a parse and the store), so reloading the same files changes
    nothing."""
    graphs = list(graphs)
    target: dict[str, list[ox.Quad]] = {g: [] for g in graphs}
    for q in canonical_quads(quads):
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in target:
            target[q.graph_name.value].append(q)

    def edit(memory: ox.Store) -> None:
        for name, new in target.items():
            old = list(memory.quads_for_pattern(None, None, None, ox.NamedNode(name)))
            old_blank = [q for q in old if _has_blank(q)]
            new_blank = [q for q in new if _has_blank(q)]
            keep_blank = (
                bool(old_blank)
                and len(old_blank) == len(new_blank)
                and isomorphic(union_graph(old_blank), union_graph(new_blank))
            )
            for q in old:
                if not (keep_blank and _has_blank(q)):
                    memory.remove(q)
            memory.extend(q for q in new if not (keep_blank and _has_blank(q)))

    return edit


def load_release(
    gate: WriteGate,
    quads: Iterable[ox.Quad],
    *,
    author: str,
    message: str,
    graphs: Iterable[str] = ASSERTED_GRAPHS,
) -> CommitResult:
    """Makes the store hold the validated release ``quads`` (asserted graphs and, in the
    inferred graph, its inferences) as one change: under the write lock, one guarded
    transaction, one history record."""
    quads = list(quads)
    inferred = [q for q in quads if _graph_key(q) == str(INFERRED_GRAPH)]
    asserted = [q for q in quads if _graph_key(q) != str(INFERRED_GRAPH)]
    return gate.apply(
        release_edit(asserted, graphs), author=author, message=message, inferred=inferred
    )


# -- reading asserted graphs (export --to-files) ------------------------------------------------


def graph_triples(store: SparqlStore, graph: str, *, timeout_s: float = 120.0) -> list[ox.Triple]:
    g = sparql_term(ox.NamedNode(graph))
    return store.construct(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}", timeout_s=timeout_s
    )


def to_rdflib_graph(triples: Iterable[ox.Triple], prefix: str = "s") -> Graph:
    bnodes: dict[str, BNode] = {}
    g = Graph()
    for t in triples:
        g.add(tuple(to_rdflib(term, bnodes, prefix) for term in (t.subject, t.predicate, t.object)))
    return g


def asserted_graphs(store: SparqlStore) -> tuple[Graph, Graph]:
    """The store's asserted ontology and knowledge-base graphs, as rdflib graphs."""
    onto = to_rdflib_graph(graph_triples(store, str(ONTOLOGY_GRAPH)), "o")
    kb = to_rdflib_graph(graph_triples(store, str(KB_GRAPH)), "k")
    return onto, kb
