"""The snapshot (``Indexes``: one consistent set of indexes for a dataset version) and
snapshots shared by the processes of one host: a pickle per dataset version in the data dir, tagged
with the code that built it."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import os
import pickle
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from kb.read.entities import (
    EntityGraph,
)
from kb.read.related import RelatedIndex
from kb.read.related_model import Article, RelatedWeights
from kb.read.search import SearchIndex
from kb.store.locks import flock_exclusive

log = logging.getLogger("kb.read.indexes")


SNAPSHOT_FORMAT = 1


_SNAPSHOT_KEEP = 3  # newest snapshot files kept in the directory


def _code_fingerprint() -> str:
    """A hash of the modules of ``kb.read``, whose classes a snapshot pickles."""
    digest = hashlib.sha256()
    for module in sorted(Path(__file__).resolve().parent.glob("*.py")):
        with contextlib.suppress(OSError):
            digest.update(module.name.encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()


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
