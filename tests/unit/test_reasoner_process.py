"""`kb.validation.shared_reasoner`: the host's one reasoner process, with a real process and
HermiT. Its answers are the in-process ones (inferences, inconsistency, HermiT's errors, the
time limit), its socket and key are private, runs from several threads at once are safe, a
killed process is restarted and the next run waits for it, and an unreachable process is
``ReasonerUnavailable`` within the bounded wait — for the write gate a 503 with nothing
written. The real ``hairkg serve --workers 2`` is in tests/system/test_shared_reasoner.py."""

from __future__ import annotations

import os
import signal
import stat
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
from helpers import wait_until, with_disjoint_individual
from rdflib import OWL, RDF, Graph, Namespace

from kb.files.sources import load_asserted, union_graph
from kb.rdf import KB_GRAPH
from kb.validation import hermit
from kb.validation.reasoning import ReasonerError, infer
from kb.validation.shared_reasoner import client
from kb.validation.shared_reasoner.supervisor import ReasonerProcess
from kb.writes.gate import gate_for
from kb.writes.results import ReasoningUnavailable

pytestmark = pytest.mark.slow  # dealt first under xdist (tests/conftest.py)

X = Namespace("https://example.org/shared-reasoner-test#")


@pytest.fixture(scope="module")
def kb_graph() -> Graph:
    return union_graph(load_asserted())


@pytest.fixture(scope="module")
def reasoner(tmp_path_factory):
    process = ReasonerProcess(tmp_path_factory.mktemp("reasoner"))
    process.start()
    yield process
    client.stop_using()
    process.stop()


@pytest.fixture
def remote(reasoner):
    """This test's HermiT runs go to the reasoner process."""
    client.use(reasoner.socket_path, restart_wait_s=60)
    yield reasoner
    client.stop_using()


def test_socket_and_key_are_private(reasoner):
    assert stat.S_ISSOCK(os.stat(reasoner.socket_path).st_mode)
    assert stat.S_IMODE(os.stat(reasoner.socket_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(reasoner.key_path).st_mode) == 0o600


def test_answers_are_the_in_process_ones(remote, kb_graph):
    shared = infer(kb_graph)
    hermit.last_producer = ""
    typed = infer(kb_graph, types_of=[str(X.nobody)])
    assert hermit.last_producer == ""  # nothing ran in this process
    client.stop_using()
    local = infer(kb_graph)
    local_typed = infer(kb_graph, types_of=[str(X.nobody)])
    assert shared.consistent and len(shared.inferred) > 0
    assert set(shared.inferred) == set(local.inferred)
    assert set(typed.inferred) == set(local_typed.inferred)


def test_inconsistency_crosses_the_socket_as_such(remote, kb_graph):
    result = infer(with_disjoint_individual(kb_graph, X))
    assert not result.consistent
    assert result.conflicts == [(str(X.i), str(X.A), str(X.B))]


def test_hermit_errors_and_the_time_limit_cross_the_socket(remote, kb_graph):
    with pytest.raises(hermit.HermitError, match="HermiT could not read the graph") as caught:
        client.classify(b"<not an ontology", timeout_s=60)
    assert not isinstance(caught.value, hermit.ReasonerUnavailable)
    with pytest.raises(ReasonerError, match=r"time limit of 0\.001 s"):
        infer(kb_graph, timeout_s=0.001)
    assert infer(kb_graph).consistent  # the process still works afterwards


def test_runs_from_several_threads_at_once(remote, kb_graph):
    expected = set(infer(kb_graph).inferred)
    bad = with_disjoint_individual(kb_graph, X)
    results: dict[int, object] = {}

    def run(number: int) -> None:
        try:
            results[number] = infer(bad if number % 2 else kb_graph)
        except Exception as error:  # reported below
            results[number] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert sorted(results) == list(range(6))
    for number, result in results.items():
        assert not isinstance(result, Exception), result
        if number % 2:
            assert not result.consistent
        else:
            assert result.consistent and set(result.inferred) == expected


def test_a_wrong_key_is_refused(reasoner, tmp_path):
    fake = tmp_path / "run" / "reasoner.sock"
    fake.parent.mkdir()
    fake.symlink_to(reasoner.socket_path)
    client.key_path_for(fake).write_bytes(b"not the key")
    with pytest.raises(hermit.ReasonerUnavailable, match="key does not match"):
        client.connect(fake, restart_wait_s=0)


def test_a_killed_process_is_restarted_and_the_next_run_waits_for_it(remote, kb_graph):
    old = remote.pid
    restarts = remote.restarts
    os.kill(old, signal.SIGKILL)
    result = infer(kb_graph)  # connects once the supervisor's new process listens
    assert result.consistent
    assert remote.pid != old
    assert remote.restarts == restarts + 1


def test_an_unreachable_process_is_unavailable_and_the_gate_writes_nothing(release_store, tmp_path):
    _engine, store = release_store
    client.use(tmp_path / "run" / "reasoner.sock", restart_wait_s=0.3)
    try:
        with pytest.raises(hermit.ReasonerUnavailable, match="not available"):
            client.classify(b"", timeout_s=5)
        gate = gate_for(store, tmp_path, validation="full")
        version = store.version(max_age_s=0)
        subject = ox.NamedNode("https://w3id.org/hairkg/id/shared-reasoner-test")
        quad = ox.Quad(
            subject,
            ox.NamedNode(str(RDF.type)),
            ox.NamedNode(str(OWL.NamedIndividual)),
            ox.NamedNode(str(KB_GRAPH)),
        )
        with pytest.raises(ReasoningUnavailable) as caught:
            gate.apply(lambda s: s.add(quad), author="test")
        assert caught.value.status == 503
        assert store.version(max_age_s=0) == version
        assert not store.ask(f"ASK {{ {subject} ?p ?o }}")
    finally:
        client.stop_using()


def test_the_supervisor_stops_its_process(tmp_path):
    process = ReasonerProcess(tmp_path)
    process.start()
    pid = process.pid
    process.stop()
    wait_until(lambda: not Path(f"/proc/{pid}").exists(), 10, 0.1, "reasoner gone")
    assert not process.socket_path.exists() and not process.key_path.exists()


def test_a_socket_path_too_long_is_a_clear_error(tmp_path):
    process = ReasonerProcess(tmp_path / ("d" * 120))
    with pytest.raises(ValueError, match="shorter path"):
        process.start()
    assert process.pid is None


def test_the_cli_reasons_on_a_running_servers_process_and_falls_back_when_it_is_gone(
    reasoner, kb_graph, tmp_path
):
    """``hairkg load --data-dir`` (kb.cli.files) on a data dir a server runs on."""
    try:
        assert client.use_host_reasoner(reasoner.data_dir)
        hermit.last_producer = ""
        assert infer(kb_graph, types_of=[str(X.nobody)]).consistent
        assert hermit.last_producer == ""  # ran in the reasoner process
    finally:
        client.stop_using()
    gone = tmp_path / "data"
    (gone / "run").mkdir(parents=True)
    (gone / "run" / "reasoner.sock").write_text("")  # left behind by a server that is gone
    (gone / "run" / "reasoner.key").write_bytes(b"k" * 32)
    assert not client.use_host_reasoner(gone)
    assert not client.use_host_reasoner(tmp_path / "never-served")
    # the server goes away after the check: the run falls back to this process
    client.use(gone / "run" / "reasoner.sock", restart_wait_s=0.0, fall_back=True)
    try:
        hermit.last_producer = ""
        assert infer(kb_graph, types_of=[str(X.nobody)]).consistent
        assert hermit.last_producer in ("jvm", "subprocess")
    finally:
        client.stop_using()
    # a worker (no fall-back) is refused instead
    client.use(gone / "run" / "reasoner.sock", restart_wait_s=0.0)
    try:
        with pytest.raises(hermit.ReasonerUnavailable):
            infer(kb_graph)
    finally:
        client.stop_using()
