"""Full index builds in a short-lived child process (kb.read.building): with shared snapshots,
the holder has a child build and write the snapshot and maps it (no build in this process);
a child that fails or hangs (killed at the time limit) leaves the holder building in its own
process, with the same answers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import replace

import pytest
from test_index_snapshots import WEIGHTS, answers

import kb.read.building.parent as parent
import kb.read.indexes as indexes
from kb.read.columnar.graph import MappedEntityGraph
from kb.read.indexes import IndexHolder, load_indexes
from kb.read.snapshots import SnapshotFiles
from kb.store.managed import process_alive


@pytest.fixture
def store(release_store):
    _engine, store = release_store
    return store


@pytest.fixture
def child_runs(monkeypatch):
    """Every child run: ("answer", its answer) or ("failed", the ChildBuildFailed)."""
    runs, real = [], parent.run_child

    def recorded(request, timeout_s):
        try:
            answer = real(request, timeout_s)
        except parent.ChildBuildFailed as error:
            runs.append(("failed", error))
            raise
        runs.append(("answer", answer))
        return answer

    monkeypatch.setattr(parent, "run_child", recorded)
    return runs


def in_process_builds(monkeypatch) -> list:
    real, builds = indexes.load_indexes, []

    def counted(*args, **kwargs):
        builds.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(indexes, "load_indexes", counted)
    return builds


def unreachable_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again: connections are refused


def test_a_full_build_runs_in_a_child_and_the_worker_maps_it(
    store, tmp_path, monkeypatch, child_runs
):
    expected = answers(load_indexes(store, WEIGHTS))
    builds = in_process_builds(monkeypatch)
    snapshots = SnapshotFiles(tmp_path / "indexes", WEIGHTS)
    holder = IndexHolder(store, WEIGHTS, snapshots=snapshots)

    built = holder.get()
    assert builds == []  # nothing built in this process
    assert [kind for kind, _ in child_runs] == ["answer"]
    answer = child_runs[0][1]
    assert answer["version"] == "seed" and answer["pid"] != os.getpid()
    assert answer["peak_rss_kib"] > 0
    assert not process_alive(answer["pid"])  # exited: its memory went back to the system
    assert isinstance(built.graph, MappedEntityGraph)  # the snapshot, mapped
    assert built.version == "seed" and snapshots.path("seed").exists()
    assert answers(built) == expected


def test_a_write_during_the_childs_build_maps_the_newer_snapshot(store, tmp_path, monkeypatch):
    """The worker saw version "seed"; a write lands before the child reads the store: the
    child's snapshot (the newer version) is mapped, not rebuilt in the worker."""
    real = parent.run_child

    def write_first(request, timeout_s):
        store.update(store.set_version_update("newer"))
        return real(request, timeout_s)

    monkeypatch.setattr(parent, "run_child", write_first)
    builds = in_process_builds(monkeypatch)
    snapshots = SnapshotFiles(tmp_path / "indexes", WEIGHTS)
    built = IndexHolder(store, WEIGHTS, snapshots=snapshots).get()
    assert builds == []
    assert built.version == "newer" and isinstance(built.graph, MappedEntityGraph)
    assert snapshots.read("seed") is None and snapshots.read("newer") is not None
    assert answers(built) == answers(load_indexes(store, WEIGHTS))


def test_a_child_that_fails_leaves_the_worker_building_itself(
    store, tmp_path, monkeypatch, child_runs, caplog
):
    expected = answers(load_indexes(store, WEIGHTS))
    builds = in_process_builds(monkeypatch)
    # the child is sent a store URL that refuses; this process's own store still answers
    store.endpoints = replace(
        store.endpoints, query_url=f"http://127.0.0.1:{unreachable_port()}/query"
    )
    snapshots = SnapshotFiles(tmp_path / "indexes", WEIGHTS)
    holder = IndexHolder(store, WEIGHTS, snapshots=snapshots)

    with caplog.at_level("WARNING", logger="kb.read.indexes"):
        built = holder.get()
    [(kind, error)] = child_runs
    assert kind == "failed" and "exited with 1" in str(error) and "unreachable" in str(error)
    assert builds == [1]
    assert answers(built) == expected
    assert snapshots.read("seed") is not None  # written by this process instead
    warned = [r.getMessage() for r in caplog.records if "child process failed" in r.getMessage()]
    assert warned and "unreachable" in warned[0]


def test_a_child_that_hangs_is_killed_at_the_time_limit(store, tmp_path, monkeypatch, child_runs):
    expected = answers(load_indexes(store, WEIGHTS))
    builds = in_process_builds(monkeypatch)
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        store.endpoints = replace(store.endpoints, query_url=f"http://127.0.0.1:{port}/query")
        snapshots = SnapshotFiles(tmp_path / "indexes", WEIGHTS)
        holder = IndexHolder(store, WEIGHTS, snapshots=snapshots, build_timeout_s=1.5)
        built = holder.get()
    [(kind, error)] = child_runs
    assert kind == "failed" and "killed" in str(error) and "1.5 s" in str(error)
    assert error.pid is not None and not process_alive(error.pid)
    assert builds == [1]
    assert answers(built) == expected


def test_the_child_refuses_bad_input_in_one_line_and_never_loads_flask(tmp_path):
    bad = subprocess.run(
        [sys.executable, "-m", "kb.read.building.child"],
        input=b"{not json",
        capture_output=True,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stdout == b""
    assert bad.stderr.decode().count("\n") == 1 and "not JSON" in bad.stderr.decode()

    wrong_tag = {
        "store": {"query_url": "http://127.0.0.1:9/query", "engine": "oxigraph"},
        "weights": {},
        "snapshots": {"directory": str(tmp_path), "scope": "", "tag": "another"},
    }
    refused = subprocess.run(
        [sys.executable, "-m", "kb.read.building.child"],
        input=json.dumps(wrong_tag).encode(),
        capture_output=True,
        timeout=60,
    )
    assert refused.returncode == 1 and "is not the worker's another" in refused.stderr.decode()

    # everything the build imports, and nothing of the web layer
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, kb.read.building.child as c, kb.read.indexes, kb.read.snapshots, "
            "kb.read.columnar.files, kb.store.managed; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('api', 'flask')))",
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert imported.stdout.decode().strip() == "[]"


def test_a_store_the_child_cannot_open_is_built_in_the_worker(
    store, tmp_path, monkeypatch, child_runs, caplog
):
    """A store not made from its endpoints (no credentials to hand on): no child is started."""
    builds = in_process_builds(monkeypatch)
    store.endpoints = None
    with caplog.at_level("WARNING", logger="kb.read.indexes"):
        built = IndexHolder(store, WEIGHTS, snapshots=SnapshotFiles(tmp_path / "i", WEIGHTS)).get()
    assert child_runs == [] and builds == [1] and built.version == "seed"
    assert any("for_endpoints" in r.getMessage() for r in caplog.records)
