"""Issue 17, parts 2 and 3, in the kb code without a server: successors of deprecated terms
(chains, cycles, retagging), the editors' picks in the related answer and in a picks
document, and merging one term into another on an in-memory store."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kb.rdf import DCTERMS, HK, IAO_TERM_REPLACED_BY, KB, KB_GRAPH, OBOINOWL, OWL_DEPRECATED
from kb.read.entities import EntityGraph, Lit
from kb.read.picks import EDITORS_REASON, related_with_picks
from kb.read.related import RelatedIndex
from kb.read.related_model import Article, RelatedWeights
from kb.read.successors import live_successors, successor, with_successors
from kb.writes.curation.merge import MergeRefused, merge_into
from kb.writes.curation.picks import PicksRefused, picks_from_body, read_picks, set_picks

TRUE = Lit("true", "", "http://www.w3.org/2001/XMLSchema#boolean")
REPLACED = str(DCTERMS.isReplacedBy)


def retired(iri: str, *successors: str, prop: str = REPLACED) -> list[tuple]:
    return [(iri, OWL_DEPRECATED, TRUE)] + [(iri, prop, s) for s in successors]


# -- successors ------------------------------------------------------------------------------


def test_chains_end_at_the_first_live_term_and_cycles_give_none():
    graph = EntityGraph(
        [
            *retired("a", "b"),
            *retired("b", "c", prop=str(IAO_TERM_REPLACED_BY)),  # OBO's property is read too
            ("c", "label", Lit("c")),
            *retired("x", "y"),
            *retired("y", "x"),  # a loop: no live successor
            *retired("d", "x"),  # leads into the loop
            *retired("e"),  # retired with no successor
            *retired("f", "e"),  # its successor is retired without one
            ("g", REPLACED, "c"),  # not deprecated: not a successor link
        ]
    )
    assert live_successors(graph) == {"a": "c", "b": "c"}
    assert successor(graph, "a") == "b" and successor(graph, "e") is None


def test_articles_count_under_the_live_successor_about_winning():
    article = Article("art", "https://a.example/1", "t", about=("a", "k"), mentions=("c", "m"))
    moved = with_successors(article, {"a": "c"})
    assert moved.about == ("c", "k") and moved.mentions == ("m",)
    assert with_successors(article, {"z": "c"}) is article


# -- the related answer with picks -----------------------------------------------------------


def _index(pinned=(), blocked=()) -> tuple[RelatedIndex, Article]:
    source = Article(
        "s", "https://a.example/s", "s", about=("c1", "c2"), pinned=pinned, blocked=blocked
    )
    others = [
        Article("a1", "https://a.example/1", "1", about=("c1", "c2")),
        Article("a2", "https://a.example/2", "2", about=("c1",)),
        Article("a3", "https://a.example/3", "3", mentions=("c2",)),
        Article("a4", "https://a.example/4", "4", about=("zz",)),  # unrelated
    ]
    return RelatedIndex([source, *others], [], RelatedWeights()), source


def test_pinned_first_in_order_blocked_never_rest_from_the_ranking():
    plain, source = _index()
    assert [a.iri for a, _s, _r in plain.related(source, 10)] == ["a1", "a2", "a3"]
    index, source = _index(pinned=("a4", "a3", "gone", "s"), blocked=("a1",))
    answer = related_with_picks(index, source, 10)
    assert [a.iri for a, _s, _r in answer] == ["a4", "a3", "a2"]
    assert [(score, reasons) for _a, score, reasons in answer[:2]] == [
        (None, [EDITORS_REASON]),
        (None, [EDITORS_REASON]),
    ]
    assert answer[2][1] > 0 and answer[2][2] != [EDITORS_REASON]
    assert [a.iri for a, _s, _r in related_with_picks(index, source, 1)] == ["a4"]
    assert related_with_picks(index, source, 0) == []


# -- the picks document ------------------------------------------------------------------------

ARTICLE = ox.NamedNode(str(KB) + "source-article")


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"pinned": ["a", "a"]}, "pinned", "more than once"),
        ({"pinned": ["a"], "blocked": ["a"]}, "blocked", "both pinned and blocked"),
        ({"pinned": ["source-article"]}, "pinned", "its own"),
        ({"blocked": ["source-article"]}, "blocked", "its own"),
        ({"pinned": "a"}, "pinned", "a list"),
        ({"pinned": [1]}, "pinned", "a list"),
        ({"pinned": ["Not An Id"]}, "pinned", "not an article id"),
        ({"pinned": [f"a{n}" for n in range(51)]}, "pinned", "at most"),
        ({"pins": []}, "pins", "unknown key"),
    ],
)
def test_bad_picks_documents_name_the_field(body, field, says):
    with pytest.raises(PicksRefused) as refused:
        picks_from_body(ARTICLE, body)
    assert refused.value.status == 422 and says in refused.value.message
    assert refused.value.extra["invalid-params"][0]["name"] == field


def _quad(s, p, o) -> ox.Quad:
    return ox.Quad(s, ox.NamedNode(p), o, ox.NamedNode(str(KB_GRAPH)))


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def _articles(*names: str) -> ox.Store:
    store = ox.Store()
    for name in names:
        store.add(_quad(ox.NamedNode(str(KB) + name), RDF_TYPE, ox.NamedNode(str(HK.Article))))
    return store


def test_picks_replace_the_previous_ones_and_read_back_in_order():
    store = _articles("source-article", "b", "c", "d")
    set_picks(store, ARTICLE, [str(KB) + "c", str(KB) + "b"], [str(KB) + "d"])
    assert read_picks(store, ARTICLE) == {
        "article": "source-article",
        "pinned": ["c", "b"],
        "blocked": ["d"],
    }
    set_picks(store, ARTICLE, [str(KB) + "d"], [])
    assert read_picks(store, ARTICLE)["pinned"] == ["d"]
    assert not list(store.quads_for_pattern(ox.NamedNode(f"{ARTICLE.value}#pick-2"), None, None))
    with pytest.raises(PicksRefused, match="no article with id nope"):
        set_picks(store, ARTICLE, [str(KB) + "nope"], [])


# -- merging ---------------------------------------------------------------------------------


def _term(store: ox.Store, name: str, cls: str, label: str) -> ox.NamedNode:
    node = ox.NamedNode(str(KB) + name)
    store.add(_quad(node, RDF_TYPE, ox.NamedNode(str(HK) + cls)))
    store.add(
        _quad(node, "http://www.w3.org/2000/01/rdf-schema#label", ox.Literal(label, language="en"))
    )
    return node


def test_merge_moves_references_synonyms_and_links_and_deprecates_the_source():
    store = ox.Store()
    old, new = _term(store, "old", "Procedure", "old name"), _term(store, "new", "Procedure", "new")
    other, condition = (
        _term(store, "other", "Drug", "other"),
        _term(store, "cond", "Condition", "c"),
    )
    article, claim = ox.NamedNode(str(KB) + "art"), ox.NamedNode(str(KB) + "claim-old")
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    store.add(_quad(article, str(HK.about), old))
    store.add(_quad(claim, rdf + "subject", old))
    store.add(_quad(old, str(HK.treats), condition))
    store.add(_quad(old, str(OBOINOWL.hasExactSynonym), ox.Literal("alias", language="en")))
    store.add(_quad(old, str(OBOINOWL.hasDbXref), ox.Literal("X:1")))
    store.add(_quad(new, "http://www.w3.org/2004/02/skos/core#related", old))  # would be a loop
    moved = merge_into(store, old, new)
    assert moved == {"references": 2, "synonyms": 2, "xrefs": 1, "links": 1}
    about = list(store.quads_for_pattern(article, ox.NamedNode(str(HK.about)), None))
    assert [q.object for q in about] == [new]
    assert [
        q.object for q in store.quads_for_pattern(claim, ox.NamedNode(rdf + "subject"), None)
    ] == [new]
    assert list(store.quads_for_pattern(new, ox.NamedNode(str(HK.treats)), condition))
    exact = {
        q.object.value
        for q in store.quads_for_pattern(new, ox.NamedNode(str(OBOINOWL.hasExactSynonym)), None)
    }
    assert exact == {"old name", "alias"}
    assert not list(store.quads_for_pattern(new, None, old))
    assert list(store.quads_for_pattern(old, ox.NamedNode(REPLACED), new))
    assert list(store.quads_for_pattern(old, ox.NamedNode(OWL_DEPRECATED), None))
    with pytest.raises(MergeRefused, match="is deprecated") as refused:
        merge_into(store, other, old)
    assert refused.value.status == 409
    with pytest.raises(MergeRefused, match="incompatible types") as refused:
        merge_into(store, other, new)
    assert refused.value.status == 422
    with pytest.raises(MergeRefused, match="itself"):
        merge_into(store, new, new)
