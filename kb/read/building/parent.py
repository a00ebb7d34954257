"""The worker's side of a full build in a child process (:mod:`kb.read.building.child`).

:func:`build_in_child` starts a new interpreter through ``subprocess`` (never a fork of the
worker, which has threads), sends it the build's request on stdin (the store's endpoints and
credentials: never on the command line, never logged), waits at most ``timeout_s`` (then kills
it), and maps the snapshot it wrote (``SnapshotFiles.read``). It answers None, with the reason
logged, when the child failed or its snapshot cannot be mapped: the caller then builds in its
own process, so the service keeps answering. The snapshot the child wrote may be of a newer
version than the one the worker saw (a write landed meanwhile): that one is mapped, and the
holder's usual refresh catches up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

from kb.read.related_model import RelatedWeights
from kb.read.snapshots import Indexes, SnapshotFiles
from kb.store.client import SparqlStore
from kb.store.engines import ENGINES

log = logging.getLogger("kb.read.indexes")

CHILD_MODULE = "kb.read.building.child"
# The directory holding the ``kb`` package this process runs: the child runs the same code.
_CODE_ROOT = Path(__file__).resolve().parents[3]
_REAP_TIMEOUT_S = 30.0  # waiting for a killed child to be gone


class ChildBuildFailed(Exception):
    """Why a build in a child process gave no snapshot (one line; never a secret)."""

    def __init__(self, reason: str, pid: int | None = None):
        super().__init__(reason)
        self.pid = pid


def build_request(store: SparqlStore, weights: RelatedWeights, snapshots: SnapshotFiles) -> dict:
    """What the child needs: the store as ``for_endpoints`` made it, the weights, the
    snapshot directory, its scope and tag (the child checks it runs the same code)."""
    endpoints = store.endpoints
    if endpoints is None:
        raise ChildBuildFailed("the store was not made by SparqlStore.for_endpoints")
    if ENGINES.get(endpoints.engine.kind) != endpoints.engine:
        raise ChildBuildFailed(
            f"the store's engine profile is not the {endpoints.engine.kind} preset"
        )
    supervision_dir = getattr(getattr(store.supervision, "run_dir", None), "parent", None)
    return {
        "parent_pid": os.getpid(),
        "store": {
            "query_url": endpoints.query_url,
            "update_url": endpoints.update_url,
            "graph_store_url": endpoints.graph_store_url,
            "engine": endpoints.engine.kind,
            "user": endpoints.user,
            "password": endpoints.password,
            "token": endpoints.token,
            "timeout_s": store.timeout_s,
            "supervision_dir": str(supervision_dir) if supervision_dir else None,
        },
        "weights": asdict(weights),
        "snapshots": {
            "directory": str(snapshots.directory),
            "scope": snapshots.scope,
            "tag": snapshots.tag,
        },
    }


def run_child(request: dict, timeout_s: float) -> dict:
    """Runs the child on ``request``; its answer (``version``, ``pid``, ``built_in_s``,
    ``peak_rss_kib``)."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(_CODE_ROOT), environment.get("PYTHONPATH", "")) if part
    )
    process = subprocess.Popen(
        [sys.executable, "-m", CHILD_MODULE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        close_fds=True,  # the worker's sockets and build lock stay in the worker
    )
    try:
        out, err = process.communicate(json.dumps(request).encode(), timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):  # killed; reaped by a later wait
            process.communicate(timeout=_REAP_TIMEOUT_S)
        raise ChildBuildFailed(
            f"no snapshot within {timeout_s:g} s: child {process.pid} killed", process.pid
        ) from None
    except BaseException:  # never leave the child running
        process.kill()
        process.wait()
        raise
    reason = " ".join(err.decode("utf-8", "replace").split())[-400:]
    if process.returncode != 0:
        raise ChildBuildFailed(
            f"child {process.pid} exited with {process.returncode}: {reason or 'no reason given'}",
            process.pid,
        )
    try:
        answer = json.loads(out.decode("utf-8").strip().splitlines()[-1])
        str(answer["version"])
    except (ValueError, IndexError, KeyError, TypeError):
        raise ChildBuildFailed(f"child {process.pid} gave no version", process.pid) from None
    return answer


def build_in_child(
    store: SparqlStore, weights: RelatedWeights, snapshots: SnapshotFiles, timeout_s: float
) -> Indexes | None:
    """The indexes built and written by a child process, mapped; None when that failed
    (logged: the caller builds in its own process)."""
    started = time.perf_counter()
    try:
        answer = run_child(build_request(store, weights, snapshots), timeout_s)
    except (ChildBuildFailed, OSError) as error:
        log.warning("index build in a child process failed (%s): building in this process", error)
        return None
    mapped = snapshots.read(answer["version"])
    if mapped is None:
        log.warning(
            "the snapshot of version %s written by child %s cannot be mapped: "
            "building in this process",
            answer["version"],
            answer.get("pid"),
        )
        return None
    log.info(
        "indexes of version %s built in child process %s (%.2f s of build, %.2f s in all, "
        "peak RSS %.0f MiB, returned to the system)",
        mapped.version,
        answer.get("pid"),
        float(answer.get("built_in_s", 0.0)),
        time.perf_counter() - started,
        float(answer.get("peak_rss_kib", 0)) / 1024,
    )
    mapped.built_in_s = time.perf_counter() - started
    return mapped
