"""The snapshot (``Indexes``: one consistent set of indexes for a dataset version) and
snapshots shared by the processes of one host: a directory per dataset version in the data dir
(the related-content index, the concept graph and the search index as memory-mapped columns,
the rest pickled), tagged with the code that built it."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import hashlib
import logging
import pickle
import shutil
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from kb.read.columnar.columns import related_arrays
from kb.read.columnar.files import (
    manifest_time,
    open_directory,
    remove_abandoned,
    write_directory,
)
from kb.read.columnar.graph import MappedEntityGraph
from kb.read.columnar.graph_columns import graph_arrays
from kb.read.columnar.related import MappedRelatedIndex
from kb.read.columnar.search import MappedSearchIndex
from kb.read.columnar.search_columns import search_arrays
from kb.read.entities import ConceptGraph, EntityGraph
from kb.read.related import RelatedRanking, link_tables, url_choices_of
from kb.read.related_model import Article, Link, RelatedWeights
from kb.read.search import Entry, SearchIndex
from kb.store.locks import flock_exclusive

log = logging.getLogger("kb.read.indexes")


SNAPSHOT_FORMAT = 4  # 2: columns (kb.read.columnar); 3: the graph too; 4: search too
_REST = "rest.pickle"  # the related index's links


_SNAPSHOT_KEEP = 3  # newest snapshot files kept in the directory


def _code_fingerprint() -> str:
    """A hash of the modules of ``kb.read`` (and its subpackages), whose classes a snapshot
    pickles and whose columns it maps."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for module in sorted(root.rglob("*.py")):
        with contextlib.suppress(OSError):
            digest.update(str(module.relative_to(root)).encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()


def release_freed_memory() -> None:
    """Gives the memory of a dropped build back to the system: a collection, then glibc's
    ``malloc_trim`` (Linux; elsewhere nothing), so that a process that built the indexes and
    then mapped the snapshot ends about as small as one that only mapped it."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@dataclass
class Indexes:
    version: str
    graph: ConceptGraph  # kb.read.entities.EntityGraph or its mapped form
    search: SearchIndex | MappedSearchIndex
    related: RelatedRanking  # kb.read.related.RelatedIndex or its mapped form
    built_in_s: float = 0.0
    generation: int = 0  # bumped by in-place article refreshes (part of the ETag)

    @property
    def articles(self) -> dict[str, Article]:
        return self.related.articles


@dataclass
class IndexParts:
    """What the indexes of a dataset version are built from: the concept graph, the articles
    (tags brought to their successors), the search entries and the concept links."""

    version: str
    graph: EntityGraph
    articles: list[Article]
    entries: list[Entry]
    links: list[Link]
    built_in_s: float = 0.0


class SnapshotFiles:
    """Built indexes shared by the processes of one host: a directory per dataset version in
    ``directory`` (``kb.read.columnar``: the related-content index, the concept graph and the
    search index as memory-mapped columns, the rest as one pickle). ``scope`` separates stores
    sharing a directory (a remote store's URL)."""

    def __init__(self, directory: Path, weights: RelatedWeights, scope: str = ""):
        self.directory = Path(directory)
        self.scope = scope
        basis = repr((SNAPSHOT_FORMAT, weights, scope, sys.version_info[:2], _code_fingerprint()))
        self.tag = hashlib.sha256(basis.encode()).hexdigest()[:12]

    def path(self, version: str) -> Path:
        name = hashlib.sha256(version.encode("utf-8", "surrogatepass")).hexdigest()[:20]
        return self.directory / f"indexes-{self.tag}-{name}"

    def _newest(self, pattern: str) -> list[Path]:
        found = []
        for path in self.directory.glob(pattern):
            completed = manifest_time(path)
            if completed is not None:
                found.append((completed, path))
        return [path for _time, path in sorted(found, reverse=True)]

    def read(self, version: str | None = None) -> Indexes | None:
        """The snapshot of ``version``, or the newest one of any version (None: the newest)."""
        if version is not None:
            path = self.path(version)
        else:
            newest = self._newest(f"indexes-{self.tag}-*")
            if not newest:
                return None
            path = newest[0]
        started = time.perf_counter()
        opened = open_directory(path, SNAPSHOT_FORMAT)
        if opened is None or (version is not None and opened.meta.get("version") != version):
            return None
        try:
            gc_was_on = gc.isenabled()
            gc.disable()  # many small objects: the collector would triple the time
            try:
                indexes, related = pickle.loads(opened.files[_REST])
            finally:
                if gc_was_on:
                    gc.enable()
            indexes.graph = MappedEntityGraph(opened.arrays)
            indexes.related = MappedRelatedIndex(
                opened.arrays, labeller=indexes.graph.label, **related
            )
            indexes.search = MappedSearchIndex(opened.arrays)
        except Exception as error:  # a foreign or damaged file: rebuild
            log.warning("index snapshot %s unreadable (%s); ignoring it", path, error)
            return None
        if not isinstance(indexes, Indexes) or indexes.version != opened.meta.get("version"):
            return None
        log.info(
            "indexes loaded from %s (version %s) in %.2f s",
            path.name,
            indexes.version,
            time.perf_counter() - started,
        )
        return indexes

    def write(self, indexes: Indexes) -> None:
        """Writes ``indexes`` under its version, crash-safely (``kb.read.columnar.files``); keeps
        the newest few. Failures (a read-only or full disk) are logged: the snapshot only saves
        time. The related index's overlay, if any, is folded into the new columns."""
        related = indexes.related

        def columns() -> tuple[dict, dict]:
            arrays = related_arrays(
                related.articles.values(), related.url_choices(), related.weights
            )
            arrays |= graph_arrays(indexes.graph)
            arrays |= search_arrays(indexes.search.live_entries())
            small = {  # its labeller is the graph's ``label``: given again when read
                "links_out": related._out,
                "links_in": related._in,
                "weights": related.weights,
                "verbs": related.verbs,
            }
            return arrays, small

        self._write(replace(indexes, related=None, graph=None, search=None), columns)

    def write_parts(self, parts: IndexParts, weights: RelatedWeights, verbs: dict) -> None:
        """Writes the snapshot of the indexes ``parts`` make (the same directory ``write``
        writes for the indexes built from them) without building those indexes in memory:
        what a full build's child process does."""

        def columns() -> tuple[dict, dict]:
            arrays = related_arrays(parts.articles, url_choices_of(parts.articles), weights)
            arrays |= graph_arrays(parts.graph)
            arrays |= search_arrays(parts.entries)
            out, inc = link_tables(parts.links, weights)
            small = {"links_out": out, "links_in": inc, "weights": weights, "verbs": verbs}
            return arrays, small

        self._write(Indexes(parts.version, None, None, None, parts.built_in_s), columns)

    def _write(self, rest: Indexes, columns) -> None:
        """Writes the snapshot of ``rest.version``: the arrays and small objects ``columns()``
        gives, and ``rest`` (the ``Indexes`` without its three indexes) pickled."""
        if rest.version == "unversioned":
            return
        target = self.path(rest.version)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            remove_abandoned(self.directory)
            arrays, small = columns()
            pickled = pickle.dumps((rest, small), protocol=pickle.HIGHEST_PROTOCOL)
            meta = {"version": rest.version}
            write_directory(target, arrays, {_REST: pickled}, meta, SNAPSHOT_FORMAT)
        except Exception as error:
            log.warning("index snapshot not written to %s: %s", self.directory, error)
            return
        for path in self._newest("indexes-*")[_SNAPSHOT_KEEP:]:
            if path != target:
                shutil.rmtree(path, ignore_errors=True)
        for path in self.directory.glob("indexes-*.pickle"):  # the format before columns
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
