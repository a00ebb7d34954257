"""The store's write lease (kb/store/lease.py) on a real Oxigraph: one holder at a time, taken
over when its holder stopped renewing it, renewed while held, invisible to the dataset version
and to what the write gate reads, and the write gate's 503 while another host holds it."""

from __future__ import annotations

import threading

import pyoxigraph as ox
import pytest
from helpers import wait_until

from kb.rdf import KB_GRAPH
from kb.store.lease import CLAIM_PREFIX, StoreLease
from kb.store.managed import ManagedOxigraph
from kb.writes.gate import gate_for
from kb.writes.results import GateBusy

KB = "https://w3id.org/hairkg/id/"
LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    server = ManagedOxigraph(tmp_path_factory.mktemp("lease") / "store", timeout_cap_s=60)
    server.start()
    store = server.store(timeout_s=30)
    store.update(store.set_version_update("seed"))
    yield store
    server.stop()


@pytest.fixture(autouse=True)
def no_claims(store):
    yield
    for lease_claim in StoreLease(store, "cleaner").claims():
        StoreLease(store, "cleaner")._delete(lease_claim.iri)


def test_one_holder_at_a_time_then_the_next(store):
    first, second = StoreLease(store, "host-a:/a"), StoreLease(store, "host-b:/b")
    assert first.acquire(timeout_s=1)
    assert not second.acquire(timeout_s=0.3)
    # the loser retracted its claim: only the holder's is left
    assert [c.iri for c in first.claims()] == [first.claim]
    first.release()
    assert first.claims() == []
    assert second.acquire(timeout_s=1)
    second.release()


def test_the_lease_never_changes_the_dataset_version(store):
    before = store.version(max_age_s=0)
    lease = StoreLease(store, "host-a:/a")
    with lease.held(timeout_s=1):
        assert store.version(max_age_s=0) == before
        assert lease.claims()[0].iri.startswith(CLAIM_PREFIX)
    assert store.version(max_age_s=0) == before


def test_an_expired_claim_is_taken_over_and_its_holder_learns_it(store):
    dead = StoreLease(store, "host-a:/a", length_s=1.0)
    assert dead.acquire(timeout_s=1)  # never renewed nor released: its holder "died"
    heir = StoreLease(store, "host-b:/b")
    assert heir.acquire(timeout_s=20)  # waits out the 1 s expiry
    assert [c.holder for c in heir.claims()] == ["host-b:/b"]
    assert not dead.renew() and dead.lost
    heir.release()


def test_a_claim_of_this_holder_left_by_a_dead_process_is_taken_at_once(store):
    crashed = StoreLease(store, "host-a:/a", length_s=600)
    assert crashed.acquire(timeout_s=1)
    restarted = StoreLease(store, "host-a:/a", length_s=600)
    assert restarted.acquire(timeout_s=0)
    assert [c.iri for c in restarted.claims()] == [restarted.claim]
    restarted.release()


def test_a_held_lease_is_renewed_past_its_length(store):
    holder = StoreLease(store, "host-a:/a", length_s=1.5)
    with holder.held(timeout_s=1):
        first = holder.claims()[0].expires
        wait_until(lambda: holder.claims()[0].expires > first, 20, 0.1, "a renewal")
        assert not StoreLease(store, "host-b:/b").acquire(timeout_s=0.2)
        assert not holder.lost
    assert holder.claims() == []


def test_the_gate_answers_busy_while_another_host_holds_the_lease(store, tmp_path):
    g = ox.NamedNode(str(KB_GRAPH))

    def edit(memory: ox.Store) -> None:
        memory.add(ox.Quad(ox.NamedNode(KB + "lease-test"), LABEL, ox.Literal("lease test"), g))

    other_host = StoreLease(store, "other-host:/srv/hairkg/write.lock")
    gate = gate_for(store, tmp_path / "a", "off", lock_timeout_s=0.5)
    assert other_host.acquire(timeout_s=1)
    with pytest.raises(GateBusy) as refused:
        gate.apply(edit, author="test")
    assert refused.value.status == 503 and refused.value.headers["Retry-After"]
    other_host.release()

    done = []
    with other_host.held(timeout_s=1):
        waiting = threading.Thread(
            target=lambda: done.append(
                gate_for(store, tmp_path / "b", "off", lock_timeout_s=30).apply(edit, author="t")
            )
        )
        waiting.start()
        wait_until(lambda: len(other_host.claims()) >= 1, 10, 0.05, "the claims")
    waiting.join(timeout=60)
    assert done and done[0].record is not None  # it waited, then wrote
    assert other_host.claims() == []
    quads = store.dump()
    assert not any(q.subject.value.startswith(CLAIM_PREFIX) for q in quads)


def test_claimants_racing_on_the_store_never_hold_it_together(store):
    """Four holders (threads, as four hosts would be) take the lease five times each."""
    inside, most, taken = [0], [0], []
    count = threading.Lock()

    def host(n: int) -> None:
        lease = StoreLease(store, f"racing-host-{n}:/lock")
        for _ in range(5):
            assert lease.acquire(timeout_s=60)
            with count:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            store.select("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 1")  # the "write"
            with count:
                inside[0] -= 1
            taken.append(n)
            lease.release()

    threads = [threading.Thread(target=host, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(taken) == sorted(list(range(4)) * 5)
    assert most[0] == 1
    assert StoreLease(store, "observer").claims() == []
