"""The change history and the dataset version live in named graphs that the store's union
default graph includes. hairkg's own readers (the index loader behind search, entity cards
and related content) must not read them: they query the content graphs only."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kb.rdf import KB_GRAPH, META_GRAPH
from kb.read.building.parts import build_indexes
from kb.read.loading import load_articles, load_entity_triples
from kb.read.related_model import RelatedWeights
from kb.store.managed import ManagedOxigraph
from kb.writes.gate import gate_for
from kb.writes.history import CHANGE_BASE, HISTORY_GRAPH

KB = "https://w3id.org/hairkg/id/"
SCHEMA = "http://schema.org/"
HK = "https://w3id.org/hairkg/ontology#"


@pytest.fixture(scope="module")
def store(tmp_path_factory, release_dir):
    server = ManagedOxigraph(tmp_path_factory.mktemp("hist") / "store", timeout_cap_s=60)
    server.start()
    store = server.store(timeout_s=60)
    store.load_nquads((release_dir / "release.nq").read_bytes())
    store.update(store.set_version_update("seed"))
    gate = gate_for(store, tmp_path_factory.mktemp("lock"), "off")
    g = ox.NamedNode(str(KB_GRAPH))
    article = ox.NamedNode(KB + "history-visibility-article")

    def edit(memory: ox.Store) -> None:
        memory.add(
            ox.Quad(
                article,
                ox.NamedNode(SCHEMA + "url"),
                ox.Literal("https://example.org/history-visibility"),
                g,
            )
        )
        memory.add(
            ox.Quad(
                article,
                ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                ox.NamedNode(HK + "Article"),
                g,
            )
        )
        memory.add(ox.Quad(article, ox.NamedNode(HK + "about"), ox.NamedNode(KB + "alopecia"), g))

    for n in range(3):
        result = gate.apply(edit if n == 0 else _note(n), author="test", message=f"change {n}")
        assert result.record is not None
    yield store
    server.stop()


def _note(n: int):
    def edit(memory: ox.Store) -> None:
        memory.add(
            ox.Quad(
                ox.NamedNode(KB + "alopecia"),
                ox.NamedNode("http://www.w3.org/2004/02/skos/core#editorialNote"),
                ox.Literal(f"note {n}", language="en"),
                ox.NamedNode(str(KB_GRAPH)),
            )
        )

    return edit


def history_triples(store) -> int:
    rows = store.select(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{HISTORY_GRAPH}> {{ ?s ?p ?o }} }}"
    )
    return int(rows[0]["n"].value)


def test_the_history_is_in_the_store_and_in_the_union(store):
    assert history_triples(store) >= 3 * 11
    # /sparql users see it in the union default graph and through GRAPH
    assert store.ask(f"ASK {{ <{CHANGE_BASE}1> ?p ?o }}")


def test_the_index_loader_reads_no_history_and_no_metadata(store):
    triples = load_entity_triples(store)
    bookkeeping = [
        t
        for t in triples
        if t[0].startswith(CHANGE_BASE)
        or t[0].startswith(str(META_GRAPH))
        or t[1].startswith("https://w3id.org/hairkg/history#")
    ]
    assert bookkeeping == [], bookkeeping[:3]
    # exactly the content graphs' non-article triples (measured: nothing else was read)
    content = store.select(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { "
        "VALUES ?g { <https://w3id.org/hairkg/graph/ontology> <https://w3id.org/hairkg/graph/kb> "
        "<https://w3id.org/hairkg/graph/inferred> } GRAPH ?g { ?s ?p ?o } "
        f"FILTER NOT EXISTS {{ ?s a <{HK}Article> }} }} }}"
    )
    assert len(triples) == int(content[0]["n"].value)
    articles = {a.iri for a in load_articles(store)}
    assert KB + "history-visibility-article" in articles


def test_entity_cards_know_nothing_of_the_history(store):
    indexes = build_indexes(
        "x", load_entity_triples(store), load_articles(store), RelatedWeights(links={})
    )
    assert not indexes.graph.has(f"{CHANGE_BASE}1")
    assert not any(iri.startswith(CHANGE_BASE) for iri in indexes.graph.entities())
