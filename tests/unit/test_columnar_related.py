"""The related-content index in its memory-mapped form (kb.read.columnar.related): written
once, mapped read-only, it answers exactly like the in-memory index and the brute-force
ranking; with an overlay of upserts and removals too, and after folding the overlay into a
new snapshot."""

from __future__ import annotations

import random

import pytest
from test_api_related_index import WEIGHTS, brute_force, synthetic

from kb.read.columnar.columns import related_arrays
from kb.read.columnar.files import open_directory, write_directory
from kb.read.columnar.related import MappedRelatedIndex
from kb.read.related import ABOUT, MENTIONS, RelatedIndex
from kb.read.related_model import Article


def mapped(tmp_path, index, name="snap") -> MappedRelatedIndex:
    """``index`` written as columns and mapped back."""
    arrays = related_arrays(index.articles.values(), index.url_choices(), index.weights)
    write_directory(tmp_path / name, arrays, {}, {}, fmt=1)
    opened = open_directory(tmp_path / name, fmt=1)
    assert opened is not None
    assert all(not a.flags.writeable for a in opened.arrays.values())  # mapped read-only
    return MappedRelatedIndex(opened.arrays, index._out, index._in, index.weights)


def answers(index, sources, ks=(1, 5, 20)):
    return {
        (source.iri, k): [(a, s, r) for a, s, r in index.related(source, k)]
        for source in sources
        for k in ks
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mapped_top_k_equals_the_in_memory_index_and_brute_force(tmp_path, seed):
    articles, links = synthetic(3000, 300, seed)
    memory = RelatedIndex(articles, links, WEIGHTS)
    columns = mapped(tmp_path, memory)
    sources = random.Random(seed).sample(articles, 40)
    assert answers(columns, sources) == answers(memory, sources)  # articles, scores, reasons
    for source in sources[:10]:
        got = [(a.iri, s) for a, s, _r in columns.related(source, 20)]
        assert got == brute_force(columns, source, 20)
    assert len(columns.articles) == len(memory.articles)
    assert columns.articles[articles[5].iri] == articles[5]
    concept = articles[0].about[0]
    for role in (ABOUT, MENTIONS, None):
        assert columns.articles_for(concept, role) == memory.articles_for(concept, role)
    assert columns.df(concept) == memory.df(concept) and columns.idf(concept) == memory.idf(concept)
    assert columns.find_url(articles[9].url + "/") == memory.find_url(articles[9].url + "/")
    assert columns.find_url("https://nowhere.example/") is None


def edits(articles, rng):
    """Upserts (new, retagged, moved URL, a duplicate URL) and removals."""
    out = []
    for i in range(25):
        old = rng.choice(articles)
        tags = tuple(sorted({t for a in rng.sample(articles, 2) for t in a.about}))
        out.append(("upsert", Article(old.iri, old.url, "retitled", about=tags)))
        out.append(("remove", rng.choice(articles).iri))
        new_url = rng.choice([f"https://site.example/-{i}", rng.choice(articles).url])
        out.append(
            ("upsert", Article(f"https://w3id.org/hairkg/id/new{i}", new_url, "new", about=tags))
        )
    out.append(("remove", "https://w3id.org/hairkg/id/new3"))
    out.append(("upsert", Article(articles[1].iri, "https://moved.example/", "moved", ())))
    return out


@pytest.mark.parametrize("seed", [4, 5])
def test_base_plus_overlay_answers_like_the_in_memory_index(tmp_path, seed):
    articles, links = synthetic(1500, 150, seed)
    memory = RelatedIndex(articles, links, WEIGHTS)
    columns = mapped(tmp_path, memory)
    rng = random.Random(seed)
    for kind, value in edits(articles, rng):
        for index in (memory, columns):
            if kind == "upsert":
                index.upsert(value)
            else:
                index.remove(value)
    new = memory.articles["https://w3id.org/hairkg/id/new7"]
    sources = [*rng.sample(list(memory.articles.values()), 30), new]
    assert answers(columns, sources) == answers(memory, sources)
    for source in sources[:10]:
        got = [(a.iri, s) for a, s, _r in columns.related(source, 20)]
        assert got == brute_force(columns, source, 20) == brute_force(memory, source, 20)
    assert sorted(columns.articles.items()) == sorted(memory.articles.items())
    assert columns.url_choices() == memory.url_choices()
    for article in rng.sample(articles, 50):
        for url in (article.url, article.url.upper() + "/"):
            assert columns.find_url(url) == memory.find_url(url)
        for concept, role in article.concepts():
            assert columns.df_role(concept, role) == memory.df_role(concept, role)
            assert columns.articles_for(concept, role) == memory.articles_for(concept, role)

    folded = mapped(tmp_path, columns, "folded")  # the overlay folded into a new snapshot
    assert answers(folded, sources) == answers(memory, sources)


def test_a_new_article_takes_its_place_in_url_order_among_ties(tmp_path):
    shared = ("https://w3id.org/hairkg/id/x",)
    base = [
        Article(f"https://w3id.org/hairkg/id/{n}", f"https://{n}.example/", n, about=shared)
        for n in ("s", "b", "d", "f")
    ]
    columns = mapped(tmp_path, RelatedIndex(base, [], WEIGHTS))
    for name in ("c", "a", "e", "c2", "g"):
        columns.upsert(
            Article(
                f"https://w3id.org/hairkg/id/{name}", f"https://{name}.example/", name, about=shared
            )
        )
    got = [a.url for a, _s, _r in columns.related(base[0], 8)]
    expected = sorted(f"https://{n}.example/" for n in ("a", "b", "c", "c2", "d", "e", "f", "g"))
    assert got == expected


@pytest.mark.parametrize("short_posting", [1, 8, 40, 2048])
def test_the_pruned_scorer_answers_like_the_dense_one(tmp_path, monkeypatch, short_posting):
    """kb.read.columnar.topk: with postings counted long from ``short_posting`` rows, the
    answers (articles, scores to the bit, reasons) are the in-memory index's, with an overlay
    too; the pruned scorer settled queries, and where postings are long left some to the
    dense one."""
    from kb.read.columnar import related as mapped_related
    from kb.read.columnar import topk

    monkeypatch.setattr(topk, "SHORT_POSTING", short_posting)
    monkeypatch.setattr(topk, "DENSE_BELOW", 0)  # the pruned scorer on every query
    settled = []

    def counted(*args, **kwargs):
        found = topk.pruned_scores(*args, **kwargs)
        settled.append(found is not None)
        return found

    monkeypatch.setattr(mapped_related, "pruned_scores", counted)
    articles, links = synthetic(3000, 300, 6)
    memory = RelatedIndex(articles, links, WEIGHTS)
    columns = mapped(tmp_path, memory)
    rng = random.Random(6)
    sources = rng.sample(articles, 60)
    assert answers(columns, sources) == answers(memory, sources)
    for kind, value in edits(articles, rng):
        for index in (memory, columns):
            index.upsert(value) if kind == "upsert" else index.remove(value)
    sources = rng.sample(list(memory.articles.values()), 40)
    assert answers(columns, sources) == answers(memory, sources)
    if short_posting > 1:
        assert any(settled), "the pruned scorer never settled a query"
    if short_posting < 2048:  # some postings are long: some queries are left to the dense one
        assert not all(settled), "every query was settled: the dense path went untested"
