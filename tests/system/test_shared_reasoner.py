"""One JVM per host (issue 14): a real ``hairkg serve --workers 2`` with tokens and full write
validation runs exactly one reasoner process, which maps the JVM; no worker (nor the master)
does. Writes through both workers still reason: HermiT's refusal is a 422 naming an OWL rule,
valid writes pass, also at once; a reasoner process killed with SIGKILL is restarted by the
supervisor and the next write passes; stopping the server stops it.

Which worker served a write is read from the reasoner's log (``run for pid N``: the peer's
pid, from ``SO_PEERCRED``), and writes are repeated (a bounded number of times) until both
workers were seen."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
from pathlib import Path

import psutil
import pytest
from conftest import server_fixture
from helpers import call, wait_until

pytestmark = pytest.mark.slow  # dealt first under xdist (tests/conftest.py)

TOKEN = "shared-reasoner-editor-secret"
EDITOR = {"Authorization": f"Bearer {TOKEN}"}
reasoning = server_fixture(
    "shared-reasoner",
    env={
        "HAIRKG_TOKENS": f"editor:{TOKEN}:write",
        "HAIRKG_TOKENS_FILE": "",
        "HAIRKG_WRITE_VALIDATION": "full",
        "HAIRKG_RATE_LIMIT": "off",
    },
)
REASONER_MODULE = "kb.validation.shared_reasoner.process"
INCONSISTENT = (
    "PREFIX hk: <https://w3id.org/hairkg/ontology#> PREFIX kb: <https://w3id.org/hairkg/id/> "
    "INSERT DATA { GRAPH <https://w3id.org/hairkg/graph/kb> "
    "{ kb:topical-minoxidil a hk:CosmeticOption } }"
)
ATTEMPTS = 20  # writes tried until both workers have been seen
# Writes go one at a time (the write lock), each validated on the whole graph with HermiT:
# seconds each, tens on a loaded machine; a bound, not a timing assertion.
WRITE_TIMEOUT_S = 600
_numbers = iter(range(1, 1_000_000))


def _children(server) -> list[psutil.Process]:
    return psutil.Process(server.process.pid).children()


def _reasoners(server) -> list[psutil.Process]:
    return [p for p in _children(server) if REASONER_MODULE in " ".join(p.cmdline())]


def _workers(server) -> list[psutil.Process]:
    reasoners = {p.pid for p in _reasoners(server)}
    return [
        p
        for p in _children(server)
        if p.pid not in reasoners and not Path(p.exe()).name.startswith("oxigraph")
    ]


def _maps_libjvm(pid: int) -> bool:
    return "libjvm.so" in Path(f"/proc/{pid}/maps").read_text()


def _runs(server, kind: str) -> set[int]:
    """The pids the reasoner process answered ``kind`` runs for (from its log)."""
    log = (server.data_dir / "reasoner.log").read_text(errors="replace")
    return {int(pid) for pid in re.findall(rf"run for pid (\d+): {kind}\b", log)}


def _new_entity(server) -> tuple[int, bytes]:
    number = next(_numbers)
    status, _, body = call(
        server.url,
        "POST",
        "/api/v1/edit/entities",
        {
            "id": f"shared-reasoner-test-condition-{number}",
            "types": ["hk:HairLossDisorder"],
            "label": f"shared reasoner test condition {number}",
            "definition": f"A hair loss disorder recorded by the shared reasoner's test {number}.",
            "definitionSource": ["hairkg editors"],
            "relations": {"skos:broader": ["alopecia"]},
        },
        EDITOR,
        timeout=WRITE_TIMEOUT_S,
    )
    return status, body


def _refused(server) -> None:
    status, headers, body = call(
        server.url,
        "POST",
        "/sparql",
        INCONSISTENT,
        EDITOR,
        "application/sparql-update",
        timeout=WRITE_TIMEOUT_S,
    )
    assert status == 422, body
    assert headers["Content-Type"] == "application/problem+json"
    rules = {error["rule"] for error in json.loads(body)["errors"]}
    assert rules & {"owl:inconsistent", "owl:disjoint_classes"}, rules


def test_hermit_refuses_through_either_worker(reasoning):
    # both workers booted (one was once still being forked when the test began)
    def two_workers():
        pids = {p.pid for p in _workers(reasoning)}
        return pids if len(pids) == 2 else None

    workers = wait_until(two_workers, 60, 0.2, "two workers")
    for _ in range(ATTEMPTS):
        _refused(reasoning)
        if workers <= _runs(reasoning, "inconsistent"):
            break
    assert workers <= _runs(reasoning, "inconsistent")


def test_valid_writes_pass_through_both_workers_at_once(reasoning):
    workers = {p.pid for p in _workers(reasoning)}
    answers: list[tuple[int, bytes]] = []

    def write() -> None:
        answers.append(_new_entity(reasoning))

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WRITE_TIMEOUT_S)
    assert len(answers) == 4
    assert all(status == 201 for status, _ in answers), answers
    for _ in range(ATTEMPTS):
        if workers <= _runs(reasoning, "ok"):
            break
        assert _new_entity(reasoning)[0] == 201
    assert workers <= _runs(reasoning, "ok")


def test_one_reasoner_process_maps_the_jvm_and_no_worker_does(reasoning):
    reasoners = _reasoners(reasoning)
    assert len(reasoners) == 1
    wait_until(lambda: _maps_libjvm(reasoners[0].pid), 120, 0.2, "the reasoner's JVM")
    workers = _workers(reasoning)
    assert len(workers) == 2
    assert _runs(reasoning, "ok") >= {p.pid for p in workers}  # they have reasoned
    for process in [psutil.Process(reasoning.process.pid), *workers]:
        assert not _maps_libjvm(process.pid), process.cmdline()


def test_a_killed_reasoner_is_restarted_and_the_next_write_passes(reasoning):
    (old,) = _reasoners(reasoning)
    os.kill(old.pid, signal.SIGKILL)
    # The write waits (bounded, HAIRKG_REASONER_RESTART_WAIT_S) for the supervisor's restart.
    status, body = _new_entity(reasoning)
    assert status == 201, body
    wait_until(
        lambda: [p.pid for p in _reasoners(reasoning)] not in ([], [old.pid]),
        60,
        0.2,
        "a new reasoner process",
    )
    (new,) = _reasoners(reasoning)
    assert new.pid != old.pid
    started = (reasoning.data_dir / "reasoner.log").read_text().count("listening on")
    assert started == 2
    _refused(reasoning)  # and it still refuses what HermiT refuses


def test_stopping_the_server_stops_the_reasoner(reasoning):
    (process,) = _reasoners(reasoning)
    reasoning.stop()
    wait_until(lambda: not psutil.pid_exists(process.pid), 30, 0.2, "the reasoner stopped")
    assert not (reasoning.data_dir / "run" / "reasoner.sock").exists()
