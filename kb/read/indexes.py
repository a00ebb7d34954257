"""In-memory indexes built from the store, rebuilt when the dataset version changes.

``Indexes`` is one consistent snapshot: the concept graph (``kb.read.entities.EntityGraph``, or
its memory-mapped form once written to a shared snapshot), the search index (``kb.read.search``)
and the related-content index (``kb.read.related``), all built from the same dataset version.
``IndexHolder`` keeps the current snapshot for one process:

- the first request that needs it builds it (others wait on the same build);
- afterwards, at most every ``check_interval_s`` a request looks at ``store.version()``; when it
  changed, a background thread brings the snapshot up to date while requests keep being
  answered from the one they have:
  - when the change history (``kb.writes.history.changes_since``) leads from the snapshot's version
    to the store's, and those changes touched only articles (no ontology triple, no concept,
    claim or other subject), only those articles are re-read and updated in place
    (``refresh_articles``: milliseconds, whatever the size of the graph);
  - otherwise (a chain that is broken, e.g. a write outside hairkg, or longer than
    ``MAX_INCREMENTAL_CHANGES``, or a change of the ontology or of concepts) a new snapshot is
    built from the store and replaces the old one in one reference assignment (atomic swap);
    requests are answered from the old one meanwhile.

Shared snapshots (``SnapshotFiles``): under ``hairkg serve`` the built indexes are also written to
``DATA_DIR/indexes``, one directory per dataset version, crash-safely, the related-content
index, the concept graph and the search index as columns every worker memory-maps
(``kb.read.columnar``). A process first opens the snapshot of the store's version (seconds at 1M
triples instead of 20-50 s of reading the store);
else, under an exclusive ``flock`` on ``build.lock`` (one builder per host, the others wait and open
its result), it brings the newest snapshot forward from the change history like a running process
does (``apply_changes``), or has a short-lived child process build from the store and write the
snapshot (``kb.read.building``: the build's memory goes back to the system when it exits; the
child writes the columns from what the indexes are made of, ``kb.read.building.parts``, without
building them in memory), and maps it; if the child fails, it builds in its own process.
Snapshot names hash the format, dataset version, weights, code of the index modules and Python
version; an unversioned store is never snapshotted. The rest of a snapshot is a pickle: the
directory must be as trusted as the store's own database.

Loading reads single-pattern SELECTs (article fields, article tags, every non-article triple)
over the SPARQL protocol, several at once, as TSV parsed by pyoxigraph from Oxigraph and as
SPARQL JSON from other engines (``kb.read.loading``); user input never takes part in them.
Their default graph is the content graphs (``kb.rdf.CONTENT_GRAPHS``, sent as
``default-graph-uri``), not the store's union: the change history and the dataset version are
not read into the indexes.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Iterable

from kb.rdf import HK, SKOS
from kb.read.building.parent import build_in_child
from kb.read.building.parts import article_entry, load_indexes
from kb.read.entities import entity_id
from kb.read.loading import articles_with_triples, load_articles
from kb.read.related_model import RelatedWeights
from kb.read.snapshots import Indexes, SnapshotFiles, release_freed_memory
from kb.read.successors import live_successors, with_successors
from kb.store.client import SparqlStore, StoreError

log = logging.getLogger(__name__)


# One hop from an ``about`` concept stays below a direct ``mentions`` (0.5): a shared concept
# always outweighs a linked one.
DEFAULT_LINK_WEIGHTS = {
    str(HK.treats): 0.4,
    str(HK.actsThrough): 0.3,
    str(HK.mechanismInvolvedIn): 0.3,
    str(SKOS.broader): 0.4,
}


def parse_link_weights(spec: str) -> dict[str, float]:
    """``"treats=0.6,skos:broader=0.5"`` -> {IRI: weight}; bare names are ``hk:`` terms."""
    weights: dict[str, float] = {}
    for part in spec.split(","):
        name, _, value = part.strip().partition("=")
        if not name:
            continue
        if name.startswith("skos:"):
            iri = str(SKOS) + name[5:]
        elif name.startswith(("http://", "https://")):
            iri = name
        else:
            iri = str(HK) + name.removeprefix("hk:")
        weights[iri] = float(value)
    return weights


def related_weights(settings) -> RelatedWeights:
    """The related-content weights a :class:`kb.settings.Settings` configures (the service's,
    and the benchmarks' that measure it)."""
    spec = settings.related_link_weights
    return RelatedWeights(
        about=settings.related_about_weight,
        mentions=settings.related_mentions_weight,
        links=parse_link_weights(spec) if spec else dict(DEFAULT_LINK_WEIGHTS),
        sibling_factor=settings.related_sibling_factor,
    )


MAX_INCREMENTAL_CHANGES = 100


def _follow(holder_ref, interval_s: float) -> None:
    """Checks the store's version every ``interval_s`` for as long as the holder lives. A
    request only starts a refresh and is answered from the index it finds: without this, a
    worker that was idle while another wrote answered its first request after the write from
    its old index."""
    while True:
        time.sleep(interval_s)
        holder = holder_ref()
        if holder is None:
            return
        current = holder._current
        if current is not None:
            try:
                holder._maybe_refresh(current, time.monotonic())
            except Exception:  # keep following; the next request retries too
                log.exception("index version check failed")
        del holder, current


class IndexHolder:
    """The current ``Indexes`` of this process, refreshed when the store's version moves."""

    def __init__(
        self,
        store: SparqlStore,
        weights: RelatedWeights,
        check_interval_s: float = 0.5,
        snapshots: SnapshotFiles | None = None,
        build_timeout_s: float = 600.0,
    ):
        self.store = store
        self.weights = weights
        self.check_interval_s = check_interval_s
        self.snapshots = snapshots
        self.build_timeout_s = build_timeout_s  # a full build's child process is killed after
        self._current: Indexes | None = None
        self._build_lock = threading.Lock()
        self._checked_at = 0.0
        self._rebuilding = False
        self._state_lock = threading.Lock()

    def warm(self) -> None:
        """Starts the first build in the background (errors are retried on first use)."""

        def run():
            try:
                self.get()
            except Exception as error:  # the store may still be starting
                log.info("index warm-up deferred: %s", error)
            _follow(weakref.ref(self), max(self.check_interval_s, 0.1))

        threading.Thread(target=run, name="hairkg-index-warm", daemon=True).start()

    def get(self) -> Indexes:
        """The current snapshot; builds the first one, schedules newer ones."""
        current = self._current
        if current is None:
            with self._build_lock:
                if self._current is None:
                    started = time.perf_counter()
                    self._current = self._load_first()
                    self._checked_at = time.monotonic()
                    log.info(
                        "indexes built: %d articles, %d search entries in %.2f s",
                        len(self._current.articles),
                        len(self._current.search),
                        time.perf_counter() - started,
                    )
                return self._current
        now = time.monotonic()
        if now - self._checked_at >= self.check_interval_s:
            self._maybe_refresh(current, now)
        return self._current or current

    def _load_first(self) -> Indexes:
        """The snapshot of the store's version when there is one, else built (once per host)."""
        if self.snapshots is None:
            return load_indexes(self.store, self.weights)
        version = self.store.version(max_age_s=0)
        if version == "unversioned":
            return load_indexes(self.store, self.weights)
        found = self.snapshots.read(version)
        if found is not None:
            return found
        with self.snapshots.building():
            return self._shared_build(version)

    def _shared_build(self, version: str, *, bring_forward: bool = True) -> Indexes:
        """Under the build lock: the snapshot another process wrote meanwhile, or the newest
        snapshot brought forward from the change history (written back), or a full build in a
        child process, mapped (in this process, written back, when the child fails)."""
        found = self.snapshots.read(version)
        if found is not None:
            return found
        newest = self.snapshots.read() if bring_forward else None
        if newest is not None and newest.version != version:
            try:
                if self.apply_changes(newest, version):
                    return self._written(newest)
            except StoreError as error:
                log.info("snapshot not brought forward (%s): rebuilding", error)
        mapped = build_in_child(self.store, self.weights, self.snapshots, self.build_timeout_s)
        return mapped or self._written(load_indexes(self.store, self.weights))

    def _written(self, built: Indexes) -> Indexes:
        """``built`` written as the shared snapshot of its version and mapped back (the
        columns in the page cache, shared with the other workers, instead of this process's
        own copy; an overlay folded in); ``built`` itself when it could not be written."""
        self.snapshots.write(built)
        mapped = self.snapshots.read(built.version)
        if mapped is None:
            return built
        del built
        release_freed_memory()
        return mapped

    def _maybe_refresh(self, current: Indexes, now: float) -> None:
        with self._state_lock:
            if self._rebuilding or now - self._checked_at < self.check_interval_s:
                return
            self._checked_at = now
            try:
                version = self.store.version(max_age_s=self.check_interval_s)
            except StoreError:
                return  # keep serving the snapshot we have
            if version == current.version:
                return
            self._rebuilding = True
        threading.Thread(target=self._rebuild, name="hairkg-index-rebuild", daemon=True).start()

    def _rebuild(self) -> None:
        try:
            current = self._current
            target = self.store.version(max_age_s=0)
            if current is not None and self.apply_changes(current, target):
                return
            started = time.perf_counter()
            if self.snapshots is not None and target != "unversioned":
                with self.snapshots.building():
                    # this process's own snapshot could not be brought forward: no older one can
                    fresh = self._shared_build(target, bring_forward=False)
            else:
                fresh = load_indexes(self.store, self.weights)
            self._current = fresh  # atomic swap: readers see the old or the new snapshot
            log.info(
                "indexes rebuilt for version %s in %.2f s",
                fresh.version,
                time.perf_counter() - started,
            )
        except Exception:
            log.exception("index rebuild failed; serving the previous snapshot")
        finally:
            with self._state_lock:
                self._rebuilding = False
                self._checked_at = time.monotonic()

    def apply_changes(self, current: Indexes, target: str) -> bool:
        """Brings ``current`` to version ``target`` in place when the history says the
        changes in between touched only articles; False when a full rebuild is needed."""
        from kb.rdf import ONTOLOGY_GRAPH
        from kb.writes.curation.picks import pick_owner
        from kb.writes.history import changes_since

        started = time.perf_counter()
        since = changes_since(self.store, current.version, target, limit=MAX_INCREMENTAL_CHANGES)
        if since is None or str(ONTOLOGY_GRAPH) in since.graphs:
            return False
        subjects = {pick_owner(iri) for iri in since.subjects}  # a pick is its article's
        articles, present = articles_with_triples(self.store, subjects)
        for iri in subjects:
            if iri in articles:
                continue
            if iri in current.articles and iri not in present:
                continue  # an article that was deleted
            return False  # a concept, claim, ...: cards and search change too
        self.refresh_articles(subjects, current)
        current.version = target
        log.info(
            "indexes updated in place to version %s: %d article(s) from %d change(s) in %.3f s",
            target,
            len(subjects),
            len(since.numbers),
            time.perf_counter() - started,
        )
        return True

    def refresh_articles(self, iris: Iterable[str], current: Indexes | None = None) -> None:
        """Re-reads only these articles and updates the related and search indexes in place
        (O(tags x log df) and O(title words x log keys) each); the snapshot keeps its version
        (``apply_changes`` moves it)."""
        current = current or self.get()
        iris = sorted(set(iris))
        live = live_successors(current.graph)
        fresh = {a.iri: with_successors(a, live) for a in load_articles(self.store, iris)}
        for iri in iris:
            entry = article_entry(fresh[iri]) if iri in fresh else None
            if iri in fresh:
                current.related.upsert(fresh[iri])
                current.graph.article_titles[iri] = fresh[iri].title
            else:
                current.related.remove(iri)
                current.graph.article_titles.pop(iri, None)
            if entry is not None:
                current.search.upsert(entry)
            elif entity_id(iri) is not None:
                current.search.remove(entity_id(iri))
        current.generation += 1
