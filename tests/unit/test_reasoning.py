"""`kb.validation.reasoning` with the real HermiT: the warm in-process JVM and the ``java``
subprocess
give the same answers, inconsistency is explained, the time limit stops a run, and a forked
child (a gunicorn worker) falls back to the subprocess."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import wait_until, with_disjoint_individual
from rdflib import OWL, RDF, Dataset, Graph, Namespace

from kb.files.sources import load_asserted, union_graph
from kb.validation import hermit
from kb.validation.reasoning import ReasonerError, infer

X = Namespace("https://example.org/reasoning-test#")
REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(not hermit.in_process_possible(), reason="no in-process JVM"),
    pytest.mark.slow,  # dealt first under xdist (tests/conftest.py)
]


@pytest.fixture(scope="module")
def kb_graph() -> Graph:
    return union_graph(load_asserted())


@pytest.fixture(scope="module")
def synthetic_10k(tmp_path_factory) -> Graph:
    """The 10k synthetic graph: HermiT needs more than a second for it."""
    out = tmp_path_factory.mktemp("synthetic") / "10k.nq"
    script = REPO / "scripts" / "generate_synthetic.py"
    subprocess.run(
        [sys.executable, str(script), "--size", "10k", "--out", str(out), "--quiet"],
        check=True,
        capture_output=True,
    )
    dataset = Dataset()
    dataset.parse(out, format="nquads")
    graph = Graph()
    for named in dataset.graphs():
        graph += named
    return graph


def _triples(graph: Graph) -> set:
    return set(graph)


def test_warm_jvm_and_subprocess_give_the_same_result(kb_graph, monkeypatch):
    warm = infer(kb_graph)
    assert hermit.last_producer == "jvm"
    monkeypatch.setenv("HAIRKG_REASONER", "subprocess")
    cold = infer(kb_graph)
    assert hermit.last_producer == "subprocess"
    assert warm.consistent and cold.consistent
    assert len(warm.inferred) > 0
    assert _triples(warm.inferred) == _triples(cold.inferred)
    assert warm.unsatisfiable == cold.unsatisfiable == []


def test_a_second_call_is_served_by_the_same_warm_jvm(kb_graph):
    infer(kb_graph)
    assert hermit.last_producer == "jvm"
    again = infer(kb_graph)
    assert hermit.last_producer == "jvm"
    assert hermit._jvm_pid == os.getpid()
    assert again.consistent


@pytest.mark.parametrize("producer", ["jvm", "subprocess"])
def test_inconsistency_is_reported_with_its_conflicts(kb_graph, monkeypatch, producer):
    if producer == "subprocess":
        monkeypatch.setenv("HAIRKG_REASONER", "subprocess")
    result = infer(with_disjoint_individual(kb_graph, X))
    assert hermit.last_producer == producer
    assert not result.consistent
    assert len(result.inferred) == 0
    assert result.conflicts == [(str(X.i), str(X.A), str(X.B))]
    assert result.explanation.startswith("HermiT: the ontology is inconsistent.")
    assert f"{X.i} is an instance of both {X.A} and {X.B}" in result.explanation


def test_an_unsatisfiable_class_is_named(kb_graph):
    graph = with_disjoint_individual(kb_graph, X)
    graph.remove((X.i, None, None))
    graph.add((X.C, RDF.type, OWL.Class))
    graph.add((X.C, OWL.equivalentClass, X.A))
    graph.add((X.D, RDF.type, OWL.Class))
    graph.add((X.D, OWL.intersectionOf, X.list1))
    graph.add((X.list1, RDF.first, X.A))
    graph.add((X.list1, RDF.rest, X.list2))
    graph.add((X.list2, RDF.first, X.B))
    graph.add((X.list2, RDF.rest, RDF.nil))
    result = infer(graph)
    assert result.consistent
    assert str(X.D) in result.unsatisfiable
    assert str(X.C) not in result.unsatisfiable


@pytest.mark.parametrize("producer", ["jvm", "subprocess"])
def test_the_time_limit_stops_a_run(kb_graph, synthetic_10k, monkeypatch, producer):
    if producer == "subprocess":
        monkeypatch.setenv("HAIRKG_REASONER", "subprocess")
    else:
        infer(kb_graph)  # the JVM is warm: the limit applies to reasoning, not to a start
    with pytest.raises(ReasonerError, match=r"time limit of 0\.2 s"):
        infer(synthetic_10k, timeout_s=0.2)
    assert hermit.last_producer == producer
    monkeypatch.delenv("HAIRKG_REASONER", raising=False)
    assert infer(kb_graph).consistent  # the warm JVM still works afterwards
    assert hermit.last_producer == "jvm"


def test_the_time_limit_setting_is_read(synthetic_10k, monkeypatch):
    monkeypatch.setenv("HAIRKG_REASONER_TIMEOUT_S", "0.2")
    with pytest.raises(ReasonerError, match="HAIRKG_REASONER_TIMEOUT_S"):
        infer(synthetic_10k)


@pytest.mark.parametrize("producer", ["jvm", "subprocess"])
def test_a_document_hermit_cannot_read_is_a_reasoner_error(monkeypatch, producer):
    if producer == "subprocess":
        monkeypatch.setenv("HAIRKG_REASONER", "subprocess")
    with pytest.raises(hermit.HermitError):
        hermit.classify(b"<not an ontology", timeout_s=60)


def _child(graph: Graph, queue) -> None:
    result = infer(graph)
    queue.put((hermit.last_producer, result.consistent, sorted(map(str, result.inferred))))


def test_a_forked_child_uses_the_subprocess(kb_graph):
    warm = infer(kb_graph)  # the JVM runs in this process before the fork
    assert hermit.last_producer == "jvm"
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_child, args=(kb_graph, queue))
    child.start()
    producer, consistent, triples = queue.get(timeout=120)
    child.join(timeout=30)
    assert child.exitcode == 0
    assert producer == "subprocess"
    assert consistent
    assert triples == sorted(map(str, warm.inferred))
    assert infer(kb_graph).consistent and hermit.last_producer == "jvm"  # parent unaffected


def test_warm_up_starts_the_jvm_in_the_background():
    thread = hermit.warm_up()
    assert thread is not None
    thread.join(timeout=60)
    assert hermit._jvm_pid == os.getpid()
    assert hermit.last_producer == "jvm"


@pytest.mark.parametrize("producer", ["jvm", "subprocess"])
def test_types_of_limits_the_inferred_types_and_nothing_else(kb_graph, monkeypatch, producer):
    """A local check asks for the types of a few individuals: those are the whole run's,
    and every other inference is unchanged."""
    if producer == "subprocess":
        monkeypatch.setenv("HAIRKG_REASONER", "subprocess")
    whole = infer(kb_graph)
    typed = sorted({s for s, _o in whole.inferred.subject_objects(RDF.type)}, key=str)
    assert len(typed) > 2, "the knowledge base has inferred class memberships"
    chosen = set(typed[:2])
    some = infer(kb_graph, types_of={str(c) for c in chosen})
    assert hermit.last_producer == producer
    expected = {t for t in whole.inferred if t[1] != RDF.type or t[0] in chosen}
    assert _triples(some.inferred) == expected


def test_the_reasoner_process_warm_up_reasons_on_the_shipped_graph(caplog):
    from kb.validation.shared_reasoner.process import warm_up

    hermit.last_producer = ""  # earlier tests ran HermiT in this process: see this run's
    thread = warm_up()
    assert thread is not None
    thread.join(180)
    assert not thread.is_alive()
    assert hermit.last_producer == "jvm"
    assert "warm-up failed" not in caplog.text


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _has_jvm(pid: int) -> bool:
    try:
        return "libjvm" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def test_serve_keeps_the_jvm_out_of_the_master_and_the_workers(tmp_path):
    """The first start builds the release graph (HermiT) in the master, which then forks
    the workers: the master must use the java subprocess, the workers none (their runs go to
    the host's one reasoner process, which holds the only JVM; tests/system/
    test_shared_reasoner.py writes through them)."""

    from conftest import start_server

    server = start_server(
        tmp_path / "data",  # empty: the master builds and reasons
        env={"HAIRKG_TOKENS": "ed:jvm-test-token:write", "HAIRKG_TOKENS_FILE": ""},
        ready_timeout_s=180,
    )
    try:
        master = server.process.pid
        pythons = [
            p for p in _children(master) if "python" in Path(f"/proc/{p}/cmdline").read_text()
        ]
        reasoners = [
            p
            for p in pythons
            if "kb.validation.shared_reasoner.process" in Path(f"/proc/{p}/cmdline").read_text()
        ]
        workers = [p for p in pythons if p not in reasoners]
        assert len(workers) == 2, workers
        assert len(reasoners) == 1, reasoners
        wait_until(lambda: _has_jvm(reasoners[0]), 120, 0.5, "the reasoner process's JVM")
        assert not any(_has_jvm(p) for p in [master, *workers])
    finally:
        server.stop()
