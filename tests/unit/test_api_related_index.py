"""The related-content index on synthetic Zipf-skewed data: the pruned top-k is exactly the
brute-force ranking, updates of one article are seen at once, reasons read well."""

from __future__ import annotations

import random

import pytest

from kb.read.related import ABOUT, RelatedIndex
from kb.read.related_model import Article, Link, RelatedWeights

TREATS, ACTS, BROADER = "hk:treats", "hk:actsThrough", "skos:broader"
WEIGHTS = RelatedWeights(links={TREATS: 0.4, ACTS: 0.3, BROADER: 0.4})


def synthetic(n_articles: int, n_concepts: int, seed: int):
    rng = random.Random(seed)
    concepts = [f"c{i:04d}" for i in range(n_concepts)]
    zipf = [1 / (rank + 1) ** 1.1 for rank in range(n_concepts)]
    links = []
    for i, c in enumerate(concepts):
        if i % 3 == 0:
            links.append(Link(c, TREATS, concepts[rng.randrange(min(20, n_concepts))]))
        if i % 5 == 0:
            links.append(Link(c, ACTS, concepts[rng.randrange(n_concepts)]))
        if i % 7 == 0 and i:
            links.append(Link(c, BROADER, concepts[rng.randrange(i)]))
    articles = []
    for a in range(n_articles):
        tags = set(rng.choices(concepts, weights=zipf, k=rng.randint(2, 9)))
        tags = sorted(tags)
        cut = rng.randint(1, len(tags))
        articles.append(
            Article(
                iri=f"https://w3id.org/hairkg/id/a{a:05d}",
                url=f"https://site.example/{rng.randrange(10**6):06d}/{a}",
                title=f"article {a}",
                about=tuple(tags[:cut]),
                mentions=tuple(tags[cut:]),
            )
        )
    return articles, links


def brute_force(index: RelatedIndex, source: Article, k: int):
    terms = index.query_terms(source)
    weights = {c: v[0] for c, v in terms.items()}
    scored = []
    for other in index.articles.values():
        if other.iri == source.iri:
            continue
        score = index._score(weights, other)
        if score > 0:
            scored.append((-score, other.key, other.iri))
    scored.sort()
    return [(iri, -neg) for neg, _key, iri in scored[:k]]


@pytest.mark.parametrize("use_numpy", [True, False], ids=["vectorised", "maxscore"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_top_k_equals_brute_force(seed, use_numpy):
    articles, links = synthetic(3000, 300, seed)
    index = RelatedIndex(articles, links, WEIGHTS, use_numpy=use_numpy)
    rng = random.Random(seed)
    for source in rng.sample(articles, 40):
        for k in (1, 5, 20):
            got = [(a.iri, s) for a, s, _r in index.related(source, k)]
            assert got == brute_force(index, source, k), (source.iri, k)


def test_ties_are_broken_by_url_then_iri():
    shared = ("https://w3id.org/hairkg/id/x",)
    articles = [
        Article("https://w3id.org/hairkg/id/s", "https://s.example/", "s", about=shared),
        Article("https://w3id.org/hairkg/id/b", "https://b.example/", "b", about=shared),
        Article("https://w3id.org/hairkg/id/c", "https://a.example/", "c", about=shared),
        Article("https://w3id.org/hairkg/id/a", "https://c.example/", "a", about=shared),
    ]
    for use_numpy in (True, False):
        index = RelatedIndex(articles, [], WEIGHTS, use_numpy=use_numpy)
        got = [a.url for a, _s, _r in index.related(articles[0], 3)]
        assert got == ["https://a.example/", "https://b.example/", "https://c.example/"]
        assert [a.url for a, _s, _r in index.related(articles[0], 1)] == ["https://a.example/"]
        # an article added later still takes its place in URL order
        new = Article("https://w3id.org/hairkg/id/d", "https://0.example/", "d", about=shared)
        index.upsert(new)
        got = [a.url for a, _s, _r in index.related(articles[0], 3)]
        assert got == ["https://0.example/", "https://a.example/", "https://b.example/"]


def test_about_beats_mentions_and_rare_beats_common():
    kb = "https://w3id.org/hairkg/id/"
    common, rare = kb + "common", kb + "rare"
    filler = [
        Article(f"{kb}f{i}", f"https://f.example/{i}", f"filler {i}", about=(common,))
        for i in range(20)
    ]
    source = Article(kb + "s", "https://s.example/", "s", about=(common, rare))
    about_rare = Article(kb + "r1", "https://r1.example/", "r1", about=(rare,))
    mentions_rare = Article(kb + "r2", "https://r2.example/", "r2", mentions=(rare,))
    index = RelatedIndex([source, about_rare, mentions_rare, *filler], [], WEIGHTS)
    ranked = [a.iri for a, _s, _r in index.related(source, 3)]
    assert ranked[:2] == [about_rare.iri, mentions_rare.iri]


def test_reasons_through_the_ontology():
    kb = "https://w3id.org/hairkg/id/"
    labels = {
        kb + "microneedling": "microneedling",
        kb + "minoxidil": "minoxidil",
        kb + "aga": "androgenetic alopecia",
        kb + "wound-healing": "wound healing",
        TREATS: "treats",
        ACTS: "acts through",
    }
    links = [
        Link(kb + "microneedling", TREATS, kb + "aga"),
        Link(kb + "minoxidil", TREATS, kb + "aga"),
        Link(kb + "microneedling", ACTS, kb + "wound-healing"),
    ]
    source = Article(kb + "s", "https://s.example/", "s", about=(kb + "microneedling",))
    sibling = Article(kb + "m", "https://m.example/", "m", about=(kb + "minoxidil",))
    linked = Article(kb + "w", "https://w.example/", "w", about=(kb + "wound-healing",))
    same = Article(kb + "t", "https://t.example/", "t", about=(kb + "microneedling",))
    index = RelatedIndex([source, sibling, linked, same], links, WEIGHTS, labeller=labels.get)
    reasons = {a.iri: r for a, _s, r in index.related(source, 5)}
    assert reasons[same.iri] == ["both about microneedling"]
    assert reasons[linked.iri] == ["microneedling acts through wound healing"]
    assert reasons[sibling.iri] == ["minoxidil also treats androgenetic alopecia"]
    order = [a.iri for a, _s, _r in index.related(source, 5)]
    assert order == [same.iri, linked.iri, sibling.iri]


@pytest.mark.parametrize("use_numpy", [True, False], ids=["vectorised", "maxscore"])
def test_incremental_upsert_and_remove_match_a_rebuild(use_numpy):
    articles, links = synthetic(1500, 150, 7)
    index = RelatedIndex(articles, links, WEIGHTS, use_numpy=use_numpy)
    source = articles[0]
    before = index.related(source, 10)
    # a new article that copies the source's tags is found at once
    twin = Article(
        "https://w3id.org/hairkg/id/new",
        "https://site.example/-new",  # sorts before every other URL on ties
        "new",
        about=source.about,
        mentions=source.mentions,
    )
    index.upsert(twin)
    assert twin.iri in [a.iri for a, _s, _r in index.related(source, 10)]
    rebuilt = RelatedIndex([*articles, twin], links, WEIGHTS)
    assert [(a.iri, s) for a, s, _ in index.related(source, 10)] == [
        (a.iri, s) for a, s, _ in rebuilt.related(source, 10)
    ]
    # changing its tags moves it; removing it restores the old answer
    index.upsert(Article(twin.iri, twin.url, "new", about=("https://nothing.example/",)))
    assert twin.iri not in [a.iri for a, _s, _r in index.related(source, 10)]
    index.remove(twin.iri)
    assert [(a.iri, s) for a, s, _ in index.related(source, 10)] == [
        (a.iri, s) for a, s, _ in before
    ]
    assert index.df_role(source.about[0], ABOUT) == rebuilt.df_role(source.about[0], ABOUT) - 1
