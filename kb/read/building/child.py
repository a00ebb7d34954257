"""The child process of a full index build: ``python -m kb.read.building.child``.

Reads one JSON object on stdin (written by :mod:`kb.read.building.parent`; it holds the store's
credentials, which are never on the command line nor logged)::

    {"parent_pid": 123,
     "store": {"query_url": ..., "update_url": ..., "graph_store_url": ..., "engine": "oxigraph",
               "user": ..., "password": ..., "token": ..., "timeout_s": 30.0,
               "supervision_dir": "DATA_DIR" or null},
     "weights": {RelatedWeights' fields},
     "snapshots": {"directory": ..., "scope": ..., "tag": ...}}

reads what the indexes are made of from the store (``kb.read.building.parts.load_index_parts``),
writes the shared snapshot from it without building the in-memory indexes
(``SnapshotFiles.write_parts``: the same directory ``SnapshotFiles.write`` writes for them),
prints one JSON line ``{"version": ..., "pid": ..., "built_in_s": ..., "peak_rss_kib": ...}``
on stdout and exits 0. Any failure: exit 1 (2 for
unusable input) with a one-line reason on stderr. The modules of the build are imported only
when needed, so that a bad input is answered at once; nothing from ``api`` (Flask) is imported.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sys
import time

BAD_INPUT = 2
FAILED = 1


class BuildError(Exception):
    """A reason the build or its snapshot failed, said in one line."""


class _Warnings(logging.Handler):
    """Keeps the warnings of the build (e.g. why a snapshot was not written) for the reason."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def one_line(text: str, limit: int = 400) -> str:
    return " ".join(str(text).split())[:limit]


def read_request(stream) -> dict:
    try:
        request = json.load(stream)
    except ValueError as error:
        raise BuildError(f"the request on stdin is not JSON: {error}") from None
    if not isinstance(request, dict):
        raise BuildError("the request on stdin is not a JSON object")
    for key in ("store", "weights", "snapshots"):
        if not isinstance(request.get(key), dict):
            raise BuildError(f"the request on stdin has no {key!r} object")
    return request


def open_store(spec: dict):
    """The store the parent uses: same endpoints, engine, credentials and query supervision."""
    from pathlib import Path

    from kb.store.client import SparqlStore
    from kb.store.engines import ENGINES, StoreEndpoints
    from kb.store.managed import EngineSupervision

    engine = ENGINES.get(spec.get("engine", ""))
    if engine is None:
        raise BuildError(f"unknown store engine {spec.get('engine')!r}")
    endpoints = StoreEndpoints(
        spec["query_url"],
        spec.get("update_url"),
        spec.get("graph_store_url"),
        engine,
        spec.get("user", ""),
        spec.get("password", ""),
        spec.get("token", ""),
    )
    supervision_dir = spec.get("supervision_dir")
    return SparqlStore.for_endpoints(
        endpoints,
        timeout_s=float(spec.get("timeout_s", 30.0)),
        supervision=EngineSupervision(Path(supervision_dir)) if supervision_dir else None,
    )


def build(request: dict) -> dict:
    """Builds, writes and checks the snapshot; what to print on stdout."""
    from pathlib import Path

    from kb.read.building.parts import VERBS, load_index_parts
    from kb.read.columnar.files import manifest_time
    from kb.read.related_model import RelatedWeights
    from kb.read.snapshots import SnapshotFiles

    weights = RelatedWeights(**request["weights"])
    spec = request["snapshots"]
    snapshots = SnapshotFiles(Path(spec["directory"]), weights, spec.get("scope", ""))
    if snapshots.tag != spec.get("tag"):
        raise BuildError(
            f"snapshot tag {snapshots.tag} is not the worker's {spec.get('tag')}: "
            "the code on disk or the weights differ from the worker's"
        )
    store = open_store(request["store"])
    started = time.perf_counter()
    parts = load_index_parts(store, weights)
    built_in_s = time.perf_counter() - started
    if parts.version == "unversioned":
        raise BuildError("the store has no dataset version: nothing to snapshot")
    snapshots.write_parts(parts, weights, VERBS)
    if manifest_time(snapshots.path(parts.version)) is None:
        raise BuildError(f"the snapshot of version {parts.version} was not written")
    return {
        "version": parts.version,
        "pid": os.getpid(),
        "built_in_s": round(built_in_s, 3),
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,  # Linux: KiB
    }


def main() -> int:
    warnings = _Warnings()
    logging.basicConfig(level=logging.WARNING, handlers=[warnings], force=True)
    try:
        request = read_request(sys.stdin)
    except BuildError as error:
        print(one_line(error), file=sys.stderr)
        return BAD_INPUT
    from kb.store.managed import die_with_parent

    die_with_parent()  # SIGTERM when the worker's building thread goes
    if request.get("parent_pid") and os.getppid() != request["parent_pid"]:
        print("the worker that asked for this build is gone", file=sys.stderr)
        return FAILED
    try:
        answer = build(request)
    except Exception as error:
        reason = str(error) if isinstance(error, BuildError) else f"{type(error).__name__}: {error}"
        if isinstance(error, BuildError) and warnings.messages:
            reason += f" ({warnings.messages[-1]})"
        print(one_line(reason), file=sys.stderr)
        return FAILED
    print(json.dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
