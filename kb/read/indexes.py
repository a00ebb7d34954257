"""In-memory indexes built from the store, rebuilt when the dataset version changes.

``Indexes`` is one consistent snapshot: the concept graph (``kb.read.entities.EntityGraph``), the
search index (``kb.read.search``) and the related-content index (``kb.read.related``), all built
from the
same dataset version. ``IndexHolder`` keeps the current snapshot for one process:

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

Shared snapshots (``SnapshotFiles``): with a snapshot directory (``DATA_DIR/indexes`` under
``hairkg serve``), the built indexes are also written there as one pickle per dataset version,
atomically (a temporary file renamed over). A process that needs indexes first looks for the
snapshot of the store's current version and loads it (about a second at 1M triples instead of
20-50 s of reading the store); else, under an exclusive ``flock`` on ``build.lock`` (so the
worker processes of a host build once, the others wait and then load), it takes the newest
snapshot and brings it forward from the change history exactly like a running process does
(``apply_changes``), or builds from the store, and writes the result. Snapshot names hash the
dataset version, the weights, the code of the index modules and the Python version, so a code
upgrade never loads an incompatible snapshot; an unversioned store is never snapshotted.
Snapshots are pickles: the directory must be as trusted as the store's own database.

Loading reads single-pattern SELECTs (article fields, article tags, every non-article triple)
over the SPARQL protocol; user input never takes part in them. Their default graph is the
content graphs (``kb.rdf.CONTENT_GRAPHS``, sent as ``default-graph-uri``), not the
store's union: the change history and the dataset version are not read into the indexes.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import os
import pickle
import sys
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kb.rdf import CONTENT_GRAPHS, DCTERMS, HK, SCHEMA, SKOS
from kb.read.entities import (
    ABOUT,
    ARTICLE,
    CLAIM,
    CORRECTION,
    MENTIONS,
    EntityGraph,
    Lit,
    entity_id,
    humanise,
    local_name,
)
from kb.read.related import Article, Link, RelatedIndex, RelatedWeights
from kb.read.search import Entry, SearchIndex
from kb.store.client import SOLUTIONS_JSON, SparqlStore, StoreError, sparql_term, values_clause
from kb.store.locks import flock_exclusive

log = logging.getLogger(__name__)

# Article fields, in order of preference.
URL_PROPERTIES = (str(SCHEMA.url),)
TITLE_PROPERTIES = (
    str(SCHEMA.headline),
    str(SCHEMA.name),
    str(DCTERMS.title),
    "http://www.w3.org/2000/01/rdf-schema#label",
    str(HK.title),
)
SUMMARY_PROPERTIES = (
    str(SCHEMA.abstract),
    str(SCHEMA.description),
    str(DCTERMS.abstract),
    str(DCTERMS.description),
    str(HK.summary),
)
DATE_PROPERTIES = (
    str(SCHEMA.datePublished),
    str(DCTERMS.date),
    str(DCTERMS.issued),
    str(SCHEMA.dateCreated),
    str(HK.date),
)
ARTICLE_FIELDS = URL_PROPERTIES + TITLE_PROPERTIES + SUMMARY_PROPERTIES + DATE_PROPERTIES

# Verbs for reasons, when the ontology's label of the property would read badly.
VERBS = {
    str(SKOS.broader): "is a kind of",
    str(HK.mechanismInvolvedIn): "is involved in",
}
# Types never offered by search: content and bookkeeping records, not concepts.
UNSEARCHED_TYPES = {
    CLAIM,
    CORRECTION,
    ARTICLE,
    *(
        str(HK) + name
        for name in (
            "ArticleSection",
            "Comparison",
            "CostEstimate",
            "TreatmentSchedule",
            "AftercareInstruction",
            "InsuranceCoverage",
            "ClaimStatus",
        )
    ),
}

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


# -- reading the store ----------------------------------------------------------------------


def _term(binding: dict | None):
    if binding is None:
        return None
    kind = binding["type"]
    if kind == "uri":
        return binding["value"]
    if kind == "bnode":
        return "_:" + binding["value"]
    if kind in ("literal", "typed-literal"):
        return Lit(
            binding["value"],
            binding.get("xml:lang", ""),
            binding.get("datatype", "http://www.w3.org/2001/XMLSchema#string"),
        )
    return None  # RDF-star triple terms: not used here


def _select_json(store: SparqlStore, sparql: str, timeout_s: float = 120.0) -> list[dict]:
    raw = store.query(
        sparql, default_graphs=CONTENT_GRAPHS, accept=SOLUTIONS_JSON, timeout_s=timeout_s
    )
    return json.loads(raw.body)["results"]["bindings"]


def _article_filter(iris: Iterable[str] | None) -> str:
    if iris is None:
        return ""
    return values_clause("a", [ox.NamedNode(i) for i in iris])


def _select_iri_pairs(store: SparqlStore, sparql: str) -> list[list[str]]:
    """Rows of IRIs only, read as TSV (half the bytes of JSON and a plain split to parse)."""
    raw = store.query(
        sparql, default_graphs=CONTENT_GRAPHS, accept="text/tab-separated-values", timeout_s=300.0
    )
    rows = []
    for line in raw.body.decode("utf-8").split("\n")[1:]:
        if line.startswith("<") and line.endswith(">"):
            rows.append(line[1:-1].split(">\t<"))
    return rows


def load_articles(store: SparqlStore, iris: Iterable[str] | None = None) -> list[Article]:
    """Articles with their fields and tags; all of them, or only ``iris``.

    Each query is one triple pattern (an index scan in the engine): joining them in SPARQL
    was 10x slower at 100k articles than joining them here."""
    restrict = _article_filter(iris)
    article_cls = sparql_term(ox.NamedNode(ARTICLE))
    wanted = {
        row[0]
        for row in _select_iri_pairs(store, f"SELECT ?a WHERE {{ {restrict} ?a a {article_cls} }}")
    }

    def field(names: tuple[str, ...], *, iri_ok: bool = False) -> dict[str, str]:
        """article -> value of the first property in ``names`` it has (English preferred)."""
        found: dict[str, tuple] = {}
        for rank, prop in enumerate(names):
            rows = _select_json(
                store,
                f"SELECT ?a ?o WHERE {{ {restrict} ?a {sparql_term(ox.NamedNode(prop))} ?o }}",
            )
            for row in rows:
                subject, value = row["a"]["value"], row["o"]
                if subject not in wanted or (value["type"] == "uri" and not iri_ok):
                    continue
                lang = value.get("xml:lang", "").lower()
                key = (rank, 0 if lang.startswith("en") else 1 if not lang else 2, value["value"])
                current = found.get(subject)
                if current is None or key < current:
                    found[subject] = key
        return {subject: key[2] for subject, key in found.items()}

    urls = field(URL_PROPERTIES, iri_ok=True)
    titles = field(TITLE_PROPERTIES)
    summaries = field(SUMMARY_PROPERTIES)
    dates = field(DATE_PROPERTIES)
    about: dict[str, set] = {}
    mentions: dict[str, set] = {}
    for table, prop in ((about, ABOUT), (mentions, MENTIONS)):
        pattern = f"?a {sparql_term(ox.NamedNode(prop))} ?o"
        for row in _select_iri_pairs(store, f"SELECT ?a ?o WHERE {{ {restrict} {pattern} }}"):
            if len(row) == 2 and row[0] in wanted:
                table.setdefault(row[0], set()).add(row[1])
    articles = []
    empty: set = set()
    for iri in sorted(wanted):
        url = urls.get(iri)
        if not url:
            continue  # an article without a URL cannot be shown in a widget
        tagged_about = about.get(iri, empty)
        articles.append(
            Article(
                iri=iri,
                url=url,
                title=titles.get(iri) or humanise(iri),
                summary=summaries.get(iri, ""),
                date=dates.get(iri, ""),
                about=tuple(sorted(tagged_about)),
                mentions=tuple(sorted(mentions.get(iri, empty) - tagged_about)),
            )
        )
    return articles


def _first_text(props: dict, names: tuple[str, ...], *, literal_only: bool = True) -> str | None:
    for name in names:
        values = [v for v in props.get(name, ()) if v is not None]
        if not literal_only:
            values = [Lit(v) if isinstance(v, str) else v for v in values]
        literals = [v for v in values if isinstance(v, Lit)]
        if literals:
            english = [v for v in literals if v.lang.lower().startswith("en")] or literals
            return min(english, key=lambda v: (v.lang, v.value)).value
    return None


def load_entity_triples(store: SparqlStore) -> list[tuple]:
    """Every triple whose subject is not an article (ontology, concepts, claims...)."""
    article_cls = sparql_term(ox.NamedNode(ARTICLE))
    rows = _select_json(
        store,
        f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o MINUS {{ ?s a {article_cls} }} }}",
    )
    out = []
    for row in rows:
        s, o = _term(row["s"]), _term(row["o"])
        if s is None or o is None or isinstance(s, Lit):
            continue
        out.append((s, row["p"]["value"], o))
    return out


# -- the snapshot ---------------------------------------------------------------------------


@dataclass
class Indexes:
    version: str
    graph: EntityGraph
    search: SearchIndex
    related: RelatedIndex
    built_in_s: float = 0.0
    generation: int = 0  # bumped by in-place article refreshes (part of the ETag)

    @property
    def articles(self) -> dict[str, Article]:
        return self.related.articles


def build_indexes(
    version: str,
    triples: list[tuple],
    articles: list[Article],
    weights: RelatedWeights,
) -> Indexes:
    started = time.perf_counter()
    titles = {a.iri: a.title for a in articles}
    graph = EntityGraph(triples, article_titles=titles)
    search = SearchIndex(search_entries(graph))
    links = [
        Link(s, p, o)
        for s, props in graph.spo.items()
        for p, values in props.items()
        if p in weights.links
        for o in values
        if isinstance(o, str) and not o.startswith("_:")
    ]
    related = RelatedIndex(articles, links, weights, labeller=graph.label, verbs=VERBS)
    return Indexes(version, graph, search, related, time.perf_counter() - started)


def search_entries(graph: EntityGraph) -> list[Entry]:
    entries = []
    for iri in graph.entities():
        identifier = entity_id(iri)
        if identifier is None or identifier.startswith("hk:"):
            continue
        types = graph.all_types(iri)
        if not types or any(t in UNSEARCHED_TYPES for t in types):
            continue
        if graph.label(iri) == humanise(iri) and iri not in graph._labels:
            continue  # unlabelled nodes (e.g. helper individuals) are not offered
        primary = graph.primary_type(iri) or types[0]
        entries.append(
            Entry(
                id=identifier,
                iri=iri,
                label=graph.label(iri),
                type=local_name(primary),
                types=frozenset(local_name(t) for t in types),
                synonyms=tuple(text for text, _scope in graph.synonyms(iri)),
            )
        )
    return entries


def load_indexes(store: SparqlStore, weights: RelatedWeights, attempts: int = 3) -> Indexes:
    """A snapshot whose parts all come from one dataset version (retried if a write lands
    between the reads)."""
    for _ in range(attempts):
        before = store.version(max_age_s=0)
        triples = load_entity_triples(store)
        articles = load_articles(store)
        after = store.version(max_age_s=0)
        if before == after:
            return build_indexes(after, triples, articles, weights)
    return build_indexes(after, triples, articles, weights)


MAX_INCREMENTAL_CHANGES = 100


def articles_with_triples(store: SparqlStore, iris: Iterable[str]) -> tuple[set[str], set[str]]:
    """(those of ``iris`` that are articles, those that have any triple) in the content graphs."""
    iris = sorted(iris)
    articles: set[str] = set()
    present: set[str] = set()
    article_cls = sparql_term(ox.NamedNode(ARTICLE))
    for start in range(0, len(iris), 400):
        restrict = _article_filter(iris[start : start + 400])
        for row in _select_iri_pairs(
            store, f"SELECT DISTINCT ?a WHERE {{ {restrict} ?a a {article_cls} }}"
        ):
            articles.add(row[0])
        for row in _select_iri_pairs(store, f"SELECT DISTINCT ?a WHERE {{ {restrict} ?a ?p ?o }}"):
            present.add(row[0])
    return articles, present


SNAPSHOT_FORMAT = 1
_SNAPSHOT_KEEP = 3  # newest snapshot files kept in the directory


def _code_fingerprint() -> str:
    """A hash of the modules whose classes a snapshot pickles."""
    import kb.read.entities
    import kb.read.related
    import kb.read.search

    digest = hashlib.sha256()
    for module in (kb.read.entities, kb.read.related, kb.read.search, sys.modules[__name__]):
        with contextlib.suppress(OSError, TypeError):
            digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


class SnapshotFiles:
    """Built indexes shared by the processes of one host: a pickle per dataset version in
    ``directory``. ``scope`` separates stores sharing a directory (a remote store's URL)."""

    def __init__(self, directory: Path, weights: RelatedWeights, scope: str = ""):
        self.directory = Path(directory)
        basis = repr((SNAPSHOT_FORMAT, weights, scope, sys.version_info[:2], _code_fingerprint()))
        self.tag = hashlib.sha256(basis.encode()).hexdigest()[:12]

    def path(self, version: str) -> Path:
        name = hashlib.sha256(version.encode("utf-8", "surrogatepass")).hexdigest()[:20]
        return self.directory / f"indexes-{self.tag}-{name}.pickle"

    def read(self, version: str | None = None) -> Indexes | None:
        """The snapshot of ``version``, or the newest one of any version (None: the newest)."""
        if version is not None:
            candidates = [self.path(version)]
        else:
            found = []
            for path in self.directory.glob(f"indexes-{self.tag}-*.pickle"):
                with contextlib.suppress(OSError):
                    found.append((path.stat().st_mtime, path))
            candidates = [path for _mtime, path in sorted(found, reverse=True)][:1]
        for path in candidates:
            started = time.perf_counter()
            try:
                with path.open("rb") as handle:
                    gc_was_on = gc.isenabled()
                    gc.disable()  # a million small objects: the collector would triple the time
                    try:
                        indexes = pickle.load(handle)
                    finally:
                        if gc_was_on:
                            gc.enable()
            except FileNotFoundError:
                return None
            except Exception as error:  # a truncated or foreign file: rebuild
                log.warning("index snapshot %s unreadable (%s); ignoring it", path, error)
                return None
            if not isinstance(indexes, Indexes) or (
                version is not None and indexes.version != version
            ):
                return None
            log.info(
                "indexes loaded from %s (version %s) in %.2f s",
                path.name,
                indexes.version,
                time.perf_counter() - started,
            )
            return indexes
        return None

    def write(self, indexes: Indexes) -> None:
        """Writes ``indexes`` under its version, atomically; keeps the newest few. Failures
        (a read-only or full disk) are logged: the snapshot only saves time."""
        if indexes.version == "unversioned":
            return
        target = self.path(indexes.version)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as handle:
                pickle.dump(indexes, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, target)
        except Exception as error:
            log.warning("index snapshot not written to %s: %s", self.directory, error)
            with contextlib.suppress(OSError):
                temporary.unlink()
            return
        found = []
        for path in self.directory.glob("indexes-*.pickle"):
            with contextlib.suppress(OSError):
                found.append((path.stat().st_mtime, path))
        for _mtime, path in sorted(found, reverse=True)[_SNAPSHOT_KEEP:]:
            if path != target:
                with contextlib.suppress(OSError):
                    path.unlink()

    @contextlib.contextmanager
    def building(self, timeout_s: float = 900.0):
        """One builder per host: an exclusive ``flock`` (waits for another builder). When the
        lock cannot be had (no directory), builds anyway."""
        handle = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = (self.directory / "build.lock").open("a+b")
        except OSError as error:
            log.warning("no index build lock in %s: %s", self.directory, error)
        try:
            if handle is not None:
                flock_exclusive(handle, timeout_s)  # False: a stuck builder, build ourselves
            yield
        finally:
            if handle is not None:
                handle.close()  # releases the lock


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
    ):
        self.store = store
        self.weights = weights
        self.check_interval_s = check_interval_s
        self.snapshots = snapshots
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
        snapshot brought forward from the change history, or a full build; written back."""
        found = self.snapshots.read(version)
        if found is not None:
            return found
        newest = self.snapshots.read() if bring_forward else None
        if newest is not None and newest.version != version:
            try:
                if self.apply_changes(newest, version):
                    self.snapshots.write(newest)
                    return newest
            except StoreError as error:
                log.info("snapshot not brought forward (%s): rebuilding", error)
        fresh = load_indexes(self.store, self.weights)
        self.snapshots.write(fresh)
        return fresh

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
        from kb.writes.history import changes_since

        started = time.perf_counter()
        since = changes_since(self.store, current.version, target, limit=MAX_INCREMENTAL_CHANGES)
        if since is None or str(ONTOLOGY_GRAPH) in since.graphs:
            return False
        articles, present = articles_with_triples(self.store, since.subjects)
        for iri in since.subjects:
            if iri in articles:
                continue
            if iri in current.articles and iri not in present:
                continue  # an article that was deleted
            return False  # a concept, claim, ...: cards and search change too
        self.refresh_articles(since.subjects, current)
        current.version = target
        log.info(
            "indexes updated in place to version %s: %d article(s) from %d change(s) in %.3f s",
            target,
            len(since.subjects),
            len(since.numbers),
            time.perf_counter() - started,
        )
        return True

    def refresh_articles(self, iris: Iterable[str], current: Indexes | None = None) -> None:
        """Re-reads only these articles and updates the related index in place (O(tags x log
        df) each); the snapshot keeps its version (``apply_changes`` moves it)."""
        current = current or self.get()
        iris = sorted(set(iris))
        fresh = {a.iri: a for a in load_articles(self.store, iris)}
        for iri in iris:
            if iri in fresh:
                current.related.upsert(fresh[iri])
                current.graph.article_titles[iri] = fresh[iri].title
            else:
                current.related.remove(iri)
                current.graph.article_titles.pop(iri, None)
        current.generation += 1
