"""Indexes are built once per host and shared through snapshot files
(kb.read.indexes.SnapshotFiles):
a process whose store is at a version with a snapshot loads it instead of reading the store;
one with an older snapshot brings it forward from the change history; otherwise one process
builds (under a lock) and the others load what it wrote. Answers equal a full build."""

from __future__ import annotations

import json
import threading

import pyoxigraph as ox
import pytest
from helpers import wait_until

import kb.read.building.parent as building
import kb.read.indexes as indexes
from kb.rdf import KB_GRAPH
from kb.read.indexes import IndexHolder, load_indexes
from kb.read.related_model import RelatedWeights
from kb.read.snapshots import SnapshotFiles
from kb.store.managed import ManagedOxigraph
from kb.writes.gate import gate_for

KB = "https://w3id.org/hairkg/id/"
SCHEMA = "http://schema.org/"
HK = "https://w3id.org/hairkg/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
WEIGHTS = RelatedWeights(links=dict(indexes.DEFAULT_LINK_WEIGHTS))


@pytest.fixture
def store(tmp_path, release_dir):
    server = ManagedOxigraph(tmp_path / "store", timeout_cap_s=60)
    server.start()
    store = server.store(timeout_s=60)
    store.load_nquads((release_dir / "release.nq").read_bytes())
    store.update(store.set_version_update("seed"))
    yield store
    server.stop()


def answers(built) -> dict:
    """Every article's top 5 (ids, scores, reasons) and a search: what the API serves."""
    out = {}
    for iri, article in sorted(built.articles.items()):
        out[iri] = [(a.iri, round(s, 9), r) for a, s, r in built.related.related(article, 5)]
    out["search"] = [h.entry.id for h in built.search.search("alo", limit=10)[1]]
    # articles are found by title (here the humanised id): brought forward in place too
    out["titles"] = [h.as_json() for h in built.search.search("snapshot", limit=10)[1]]
    return out


def add_article(store, data_dir, name: str, about: str = "alopecia"):
    gate = gate_for(store, data_dir, "off")
    g = ox.NamedNode(str(KB_GRAPH))
    article = ox.NamedNode(KB + name)

    def edit(memory: ox.Store) -> None:
        memory.add(ox.Quad(article, ox.NamedNode(RDF_TYPE), ox.NamedNode(HK + "Article"), g))
        memory.add(
            ox.Quad(article, ox.NamedNode(SCHEMA + "url"), ox.Literal(f"https://ex.org/{name}"), g)
        )
        memory.add(ox.Quad(article, ox.NamedNode(HK + "about"), ox.NamedNode(KB + about), g))

    assert gate.apply(edit, author="test", message=name).record is not None


def no_store_reads(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("read the whole store although a snapshot was there")

    monkeypatch.setattr(indexes, "load_indexes", refuse)


def test_a_second_process_loads_the_snapshot_instead_of_reading_the_store(
    store, tmp_path, monkeypatch
):
    snapshots = SnapshotFiles(tmp_path / "indexes", WEIGHTS)
    first = IndexHolder(store, WEIGHTS, snapshots=snapshots).get()
    assert snapshots.path("seed").exists()
    expected = answers(load_indexes(store, WEIGHTS))
    assert answers(first) == expected

    no_store_reads(monkeypatch)
    second = IndexHolder(store, WEIGHTS, snapshots=SnapshotFiles(tmp_path / "indexes", WEIGHTS))
    loaded = second.get()
    assert loaded is not first and loaded.version == "seed"
    assert answers(loaded) == expected
    # the loaded snapshot still takes in-place updates (its lock was recreated)
    article = next(iter(loaded.articles.values()))
    loaded.related.upsert(article)
    assert answers(loaded) == expected


def test_an_older_snapshot_is_brought_forward_from_the_history(store, tmp_path, monkeypatch):
    snapshots = SnapshotFiles(tmp_path / "indexes", WEIGHTS)
    IndexHolder(store, WEIGHTS, snapshots=snapshots).get()
    add_article(store, tmp_path, "snapshot-forward-1")
    add_article(store, tmp_path, "snapshot-forward-2", about="androgenetic-alopecia")
    version = store.version(max_age_s=0)
    expected = answers(load_indexes(store, WEIGHTS))

    no_store_reads(monkeypatch)
    holder = IndexHolder(store, WEIGHTS, snapshots=SnapshotFiles(tmp_path / "indexes", WEIGHTS))
    brought = holder.get()
    assert brought.version == version
    assert KB + "snapshot-forward-2" in brought.articles
    assert len(expected["titles"]) == 2
    assert answers(brought) == expected
    assert snapshots.path(version).exists()  # written back for the next process


def test_concurrent_processes_build_once(store, tmp_path, monkeypatch):
    real_load, real_child, builds = indexes.load_indexes, building.run_child, []

    def counted(*args, **kwargs):
        builds.append(1)
        return real_load(*args, **kwargs)

    def counted_child(*args, **kwargs):  # a full build runs in a child process
        builds.append(1)
        return real_child(*args, **kwargs)

    monkeypatch.setattr(indexes, "load_indexes", counted)
    monkeypatch.setattr(building, "run_child", counted_child)
    holders = [
        IndexHolder(store, WEIGHTS, snapshots=SnapshotFiles(tmp_path / "indexes", WEIGHTS))
        for _ in range(3)
    ]
    threads = [threading.Thread(target=h.get) for h in holders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1
    assert len({answers_json(h.get()) for h in holders}) == 1


def answers_json(built) -> str:
    return json.dumps(answers(built), sort_keys=True)


def test_unusable_snapshots_are_rebuilt_not_trusted(store, tmp_path):
    directory = tmp_path / "indexes"
    snapshots = SnapshotFiles(directory, WEIGHTS)
    expected = answers(IndexHolder(store, WEIGHTS, snapshots=snapshots).get())
    path = snapshots.path("seed")

    (path / "manifest.json").write_bytes(b"not a manifest")  # damaged or foreign
    assert answers(IndexHolder(store, WEIGHTS, snapshots=snapshots).get()) == expected
    assert snapshots.read("seed").version == "seed"  # rewritten

    column = path / "post.rows.npy"  # a column shorter than its manifest says
    column.write_bytes(column.read_bytes()[:-4])
    assert snapshots.read("seed") is None
    assert answers(IndexHolder(store, WEIGHTS, snapshots=snapshots).get()) == expected
    assert snapshots.read("seed") is not None

    (path / "rest.pickle").write_bytes(b"x" * (path / "rest.pickle").stat().st_size)
    assert snapshots.read("seed") is None  # same size, not a pickle: rebuilt, not trusted

    # other weights (or other code) never read this snapshot
    other = RelatedWeights(links={str(HK + "treats"): 0.9})
    assert SnapshotFiles(directory, other).path("seed") != path
    assert SnapshotFiles(directory, WEIGHTS, scope="http://other-store/").path("seed") != path


def test_a_new_version_seen_by_a_running_process_uses_the_shared_snapshot(
    store, tmp_path, monkeypatch
):
    """A change the history cannot replay in place (here: none recorded) is rebuilt by one
    process; another one at the same version loads its snapshot."""
    directory = tmp_path / "indexes"
    a = IndexHolder(
        store, WEIGHTS, check_interval_s=0.0, snapshots=SnapshotFiles(directory, WEIGHTS)
    )
    a.get()
    store.update(
        f"INSERT DATA {{ GRAPH <{KB_GRAPH}> {{ <{KB}outside-write> a <{HK}Article> ; "
        f'<{SCHEMA}url> "https://ex.org/outside" ; <{HK}about> <{KB}alopecia> }} }} ;'
        + store.set_version_update("outside")
    )
    a._rebuild()
    assert a.get().version == "outside" and KB + "outside-write" in a.get().articles
    no_store_reads(monkeypatch)
    b = IndexHolder(store, WEIGHTS, snapshots=SnapshotFiles(directory, WEIGHTS))
    assert answers(b.get()) == answers(a.get())


def test_a_restarted_server_loads_its_indexes_from_the_data_dir(tmp_path, release_dir):

    from conftest import start_server

    data_dir = tmp_path / "data"
    for start in range(2):
        server = start_server(data_dir, release_dir=release_dir)
        try:
            status, _, _ = server.get("/api/v1/search?q=alopecia", timeout=60)
            assert status == 200
            built = 2 * (start + 1)  # both workers, each start

            def both_built(server=server, built=built):
                return server.log().count("indexes built") >= built

            wait_until(both_built, 60, 0.1, "indexes built by both workers")
        finally:
            server.stop()
    log = server.log()
    second_start = log[log.rindex("serving on") :]
    assert second_start.count("indexes loaded from") == 2, second_start
    first_start = log[: log.rindex("serving on")]
    assert first_start.count("built in child process") == 1, first_start  # kb.read.building
    assert "building in this process" not in log
    assert list((data_dir / "indexes").glob("indexes-*/manifest.json"))
