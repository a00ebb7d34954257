"""The JSON API on the memory-mapped concept graph (a shared index snapshot, as under
``hairkg serve``) answers like the API on the in-memory graph: every entity card, typed view,
article and suggestion, on the seed release, before and after articles are refreshed in place
(a retitled article, a removed one: the mapped graph's article-title overlay)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import release_app

from api.app import create_app
from kb.rdf import KB_GRAPH, SCHEMA
from kb.read.columnar.graph import MappedEntityGraph
from kb.read.entities import EntityGraph, entity_id
from kb.settings import Settings
from kb.store.client import sparql_term

TYPED_VIEWS = (
    "conditions/{}/treatments",
    "treatments/{}/adverse-effects",
    "treatments/{}/mechanisms",
)
NEW_TITLE = "A retitled article for the mapped-graph test"


@pytest.fixture(scope="module")
def apps(tmp_path_factory, release_dir):
    """(mapped, in memory, store): two apps on one store, the first with shared snapshots."""
    data_dir = tmp_path_factory.mktemp("mapped-graph")
    with release_app(data_dir, release_dir, index_snapshots=True) as (mapped, store):
        memory = create_app(Settings(data_dir=data_dir / "memory", index_snapshots=False), store)
        yield mapped, memory, store


def holder(app):
    return app.extensions["hairkg.indexes"]


def answers(app, paths: list[str]) -> dict:
    client = app.test_client()
    out = {}
    for path in paths:
        response = client.get("/api/v1/" + path)
        out[path] = (response.status_code, response.get_json())
    for text in (
        "Microneedling with minoxidil for androgenetic alopecia",
        "finasteride side effects",
    ):
        response = client.post("/api/v1/suggest", json={"title": text, "text": text})
        body = response.get_json()
        body.pop("timing", None)
        out["suggest " + text] = (response.status_code, body)
    return out


def paths_of(app) -> list[str]:
    indexes = holder(app).get()
    ids = sorted(filter(None, map(entity_id, indexes.graph.entities())))
    paths = [f"entities/{i}" for i in ids]
    paths += [view.format(i) for i in ids for view in TYPED_VIEWS]
    articles = sorted(filter(None, map(entity_id, indexes.articles)))
    paths += [f"articles/{i}" for i in articles] + ["articles?limit=100"]
    return paths


def test_the_api_on_the_mapped_graph_answers_like_on_the_in_memory_one(apps):
    mapped, memory, _store = apps
    assert isinstance(holder(mapped).get().graph, MappedEntityGraph)  # mapped from the snapshot
    assert isinstance(holder(memory).get().graph, EntityGraph)
    paths = paths_of(memory)
    assert len(paths) > 1000
    got, expected = answers(mapped, paths), answers(memory, paths)
    assert [p for p in paths if got[p] != expected[p]] == []
    assert got == expected
    assert sum(status == 200 for status, _body in got.values()) > 300


def test_articles_refreshed_in_place_read_alike_on_both_graphs(apps):
    mapped, memory, store = apps
    articles = sorted(holder(memory).get().articles)
    retitled, removed = articles[0], articles[1]
    kb_graph, headline = ox.NamedNode(str(KB_GRAPH)), ox.NamedNode(str(SCHEMA.headline))
    subject = sparql_term(ox.NamedNode(retitled))
    store.update(
        f"INSERT DATA {{ GRAPH {sparql_term(kb_graph)} {{ {subject} {sparql_term(headline)} "
        f"{sparql_term(ox.Literal(NEW_TITLE, language='en'))} }} }}"
    )
    store.update(f"DELETE WHERE {{ GRAPH ?g {{ {sparql_term(ox.NamedNode(removed))} ?p ?o }} }}")
    for app in (mapped, memory):
        holder(app).refresh_articles([retitled, removed])
    graph = holder(mapped).get().graph
    assert graph.article_titles[retitled] == NEW_TITLE and removed not in graph.article_titles
    assert graph.article_titles._changed == {retitled: NEW_TITLE, removed: None}  # the overlay
    client = mapped.test_client()
    assert client.get(f"/api/v1/articles/{entity_id(retitled)}").get_json()["title"] == NEW_TITLE
    assert client.get(f"/api/v1/articles/{entity_id(removed)}").status_code == 404
    paths = paths_of(memory)
    got, expected = answers(mapped, paths), answers(memory, paths)
    assert [p for p in paths if got[p] != expected[p]] == []
