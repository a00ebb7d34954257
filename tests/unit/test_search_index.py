"""The search index updated in place (articles) answers exactly like one built afresh."""

from __future__ import annotations

import pickle

from kb.read.search import Entry, SearchIndex


def article(n: int, title: str) -> Entry:
    return Entry(
        f"a{n}", f"kb:a{n}", title, "Article", frozenset({"Article"}), (), f"https://x/{n}"
    )


CONCEPTS = [
    Entry("mn", "kb:mn", "microneedling", "Procedure", frozenset({"Procedure"}), ("dermarolling",)),
    Entry("aa", "kb:aa", "androgenetic alopecia", "Condition", frozenset({"Condition"}), ()),
]
QUERIES = (
    "micro",
    "microneedlng",
    "hair loss",
    "alopecia",
    "hair loss myth",
    "dermarol",
    "guide",
    "myths hair",
    "microneedling guide",
)


def answers(index: SearchIndex) -> list:
    return [
        (q, index.search(q, limit=20)[0], [h.as_json() for h in index.search(q, limit=20)[1]])
        for q in QUERIES
    ]


def test_upsert_and_remove_equal_a_rebuild():
    start = [article(1, "Microneedling for Hair Loss"), article(2, "Hair Loss Myths")]
    index = SearchIndex(CONCEPTS + start)
    answers(index)  # fills the typo tier's cut cache, which updates must keep in step
    index.upsert(article(3, "A Guide to Microneedling"))
    index.upsert(article(2, "Hair Loss Myths, Debunked"))  # retitled
    index.remove("a1")
    index.remove("no-such-id")
    final = [article(3, "A Guide to Microneedling"), article(2, "Hair Loss Myths, Debunked")]
    assert answers(index) == answers(SearchIndex(CONCEPTS + final))
    assert len(index) == 4 and "Article" in index.types
    assert answers(pickle.loads(pickle.dumps(index))) == answers(index)


def test_article_hits_carry_their_url_and_concepts_do_not():
    index = SearchIndex([*CONCEPTS, article(1, "Microneedling for Hair Loss")])
    _total, hits = index.search("microneedling", limit=5)
    by_id = {h.entry.id: h.as_json() for h in hits}
    assert by_id["a1"]["url"] == "https://x/1" and "url" not in by_id["mn"]
    assert [h.entry.id for h in index.search("micro", type_="Article")[1]] == ["a1"]


def test_typos_are_corrected_per_word():
    index = SearchIndex(
        [
            *CONCEPTS,
            Entry("aa2", "kb:aa2", "alopecia areata", "Condition", frozenset({"Condition"}), ()),
            Entry("hl", "kb:hl", "hair loss", "Condition", frozenset({"Condition"}), ()),
            article(2019, "2019 hair loss survey"),
            Entry("mna", "kb:mna", "microneedling androgenetic", "X", frozenset({"X"}), ()),
        ]
    )

    def top(q):
        hits = index.search(q, limit=3)[1]
        return (hits[0].entry.id, hits[0].kind) if hits else None

    assert top("alopcia areata") == ("aa2", "fuzzy")  # a typo in the first word
    assert top("alopecia araeta") == ("aa2", "fuzzy")  # a transposition in the last
    assert top("androgentic alop") == ("aa", "fuzzy")  # the last word unfinished
    assert top("micorneedl") == ("mn", "fuzzy")  # a typo in an unfinished word
    assert top("hiar loss") == ("hl", "fuzzy")
    assert top("hairloss") is None  # words merged: not a typo of a word (documented)
    assert top("2018 hair loss") is None  # numbers are not corrected
    assert index.search("2019 hair los", limit=3)[1][0].entry.id == "a2019"
    # 2 edits per word of 8-11 characters, and no more than 3 in all for 12 or more
    assert top("mcroneedlng androgentic") == ("mna", "fuzzy")
    assert top("mcroneedlng androgentc") is None
