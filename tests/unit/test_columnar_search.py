"""The search index in its memory-mapped form (kb.read.columnar.search): written once, mapped
read-only, it answers exactly like the in-memory ``SearchIndex`` holding the same entries (every
tier, typos, type filter, deprecated entries, paging), on a generated graph and on the seed
release; with an overlay of upserts and removals too, and after folding the overlay into a new
snapshot."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from kb.read.columnar.files import open_directory, write_directory
from kb.read.columnar.search import MappedSearchIndex
from kb.read.columnar.search_columns import search_arrays
from kb.read.entities import EntityGraph
from kb.read.indexes import load_indexes
from kb.read.related import RelatedIndex
from kb.read.related_model import RelatedWeights
from kb.read.search import Entry, SearchIndex
from kb.read.snapshots import Indexes, SnapshotFiles

TYPES = ("Drug", "Condition", "Procedure", "Symptom", "Article")
SYLLABLES = ("al", "o", "pe", "ci", "mi", "cro", "nee", "dl", "ing", "fin", "as", "te", "ride")


def mapped(tmp_path, entries, name="snap") -> MappedSearchIndex:
    write_directory(tmp_path / name, search_arrays(entries), {}, {}, fmt=1)
    opened = open_directory(tmp_path / name, fmt=1)
    assert opened is not None
    assert all(not a.flags.writeable for a in opened.arrays.values())  # mapped read-only
    return MappedSearchIndex(opened.arrays)


def generated(count: int, seed: int) -> list[Entry]:
    """Entries with words from a small syllable alphabet (so that many share prefixes and lie
    within a typo of each other), synonyms, several types, deprecated ones, articles, years
    and accents."""
    rng = random.Random(seed)
    vocabulary = sorted(
        {"".join(rng.choices(SYLLABLES, k=rng.randint(1, 5))) for _ in range(600)}
        | {"2019", "1st", "alopécia", "hair", "loss", "for"}
    )

    def text() -> str:
        words = rng.choices(vocabulary, k=rng.choices((1, 2, 3, 4, 6), (4, 4, 3, 2, 1))[0])
        return " ".join(w.capitalize() if rng.random() < 0.3 else w for w in words)

    entries = []
    for n in range(count):
        kind = rng.choice(TYPES)
        types = {kind} | ({rng.choice(TYPES[:4])} if rng.random() < 0.2 else set())
        entries.append(
            Entry(
                id=f"e{n:05d}",
                iri=f"https://example.org/id/e{n}",
                label=text() + ("," if rng.random() < 0.05 else ""),
                type=kind,
                types=frozenset(types),
                synonyms=tuple(text() for _ in range(rng.choice((0, 0, 0, 1, 2)))),
                url=f"https://example.org/a/{n}" if kind == "Article" else "",
                deprecated=rng.random() < 0.05,
            )
        )
    return entries


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(len(word) - 1)
    edit = rng.choice(("drop", "swap", "change"))
    if edit == "drop":
        return word[:i] + word[i + 1 :]
    if edit == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return word[:i] + rng.choice("aeiouxz") + word[i + 1 :]


def queries(entries: list[Entry], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = ["a", "al", "hair", "hair loss", "alopecia", "2019", "loss hair", "zzzz", " ", "é"]
    for _ in range(count):
        entry = rng.choice(entries)
        words = rng.choice((entry.label, *entry.synonyms)).split()
        start = rng.randrange(len(words))
        shape = rng.randrange(6)
        if shape == 0:  # a prefix of a word
            out.append(words[start][: rng.randint(1, max(1, len(words[start])))])
        elif shape == 1:  # from a later word, the last one unfinished
            tail = " ".join(words[start:])
            out.append(tail[: rng.randint(1, len(tail))])
        elif shape == 2:  # every word in another order
            out.append(" ".join(rng.sample(words, len(words))))
        else:  # typos, perhaps in an unfinished last word
            typed = [typo(w, rng) for w in words[start:]]
            if shape == 5:
                typed[-1] = typed[-1][: max(4, len(typed[-1]) - 2)]
            out.append(" ".join(typed))
    return out


def answers(index, qs, types=(None,)) -> list:
    out = []
    for q in qs:
        for type_ in types:
            for limit, offset, deprecated in ((10, 0, False), (5, 3, True), (50, 0, False)):
                total, hits = index.search(
                    q, type_=type_, limit=limit, offset=offset, include_deprecated=deprecated
                )
                out.append((q, type_, limit, offset, total, [h.as_json() for h in hits]))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_mapped_answers_equal_the_in_memory_index(tmp_path, seed):
    entries = generated(3000, seed)
    memory, columns = SearchIndex(entries), mapped(tmp_path, entries)
    qs = queries(entries, 300, seed)
    assert answers(columns, qs, (None, "Drug", "Condition", "Nope")) == answers(
        memory, qs, (None, "Drug", "Condition", "Nope")
    )
    assert len(columns) == len(memory) and columns.types == memory.types
    fuzzy = [h for q in qs for h in columns.search(q, limit=50)[1] if h.kind == "fuzzy"]
    assert len(fuzzy) > 100  # the typo tier was exercised
    assert sorted(columns.live_entries(), key=lambda e: e.id) == sorted(entries, key=lambda e: e.id)


def edits(entries: list[Entry], rng: random.Random) -> list[tuple]:
    """Upserts (retitled, new, re-upserted) and removals (base, overlay, unknown)."""
    out = []
    for i in range(40):
        old = rng.choice(entries)
        donor = rng.choice(entries)
        out.append(
            (
                "upsert",
                Entry(
                    old.id,
                    old.iri,
                    donor.label,
                    "Article",
                    frozenset({"Article"}),
                    (),
                    "https://x/" + old.id,
                ),
            )
        )
        out.append(("remove", rng.choice(entries).id))
        out.append(
            (
                "upsert",
                Entry(
                    f"new{i}",
                    f"kb:new{i}",
                    typo(donor.label, rng) + " guide",
                    "Article",
                    frozenset({"Article"}),
                    ("Zz Topnew",),
                    f"https://x/new{i}",
                ),
            )
        )
    out += [("remove", "new3"), ("remove", "no-such-id"), ("upsert", out[2][1]), ("remove", "new5")]
    return out


@pytest.mark.parametrize("seed", [3, 4])
def test_overlay_answers_equal_a_fresh_in_memory_index(tmp_path, seed):
    unique = Entry("zz-1", "kb:zz-1", "Quuxword", "Drug", frozenset({"Drug"}), ("Blorptastic",))
    entries = [*generated(2000, seed), unique]
    columns, memory = mapped(tmp_path, entries), SearchIndex(entries)
    rng = random.Random(seed)
    qs = [*queries(entries, 200, seed), "zz topnew", "guide", "zz topnwe"]
    answers(columns, qs[:20])  # fills the vocabulary caches, which updates must keep in step
    final = {e.id: e for e in entries}
    for action, value in [*edits(entries, rng), ("remove", unique.id)]:
        if action == "upsert":
            columns.upsert(value)
            memory.upsert(value)
            final[value.id] = value
        else:
            columns.remove(value)
            memory.remove(value)
            final.pop(value, None)
        if rng.random() < 0.1:  # part-way, too
            fresh = SearchIndex(list(final.values()))
            assert answers(columns, qs[:30], (None, "Article")) == answers(
                fresh, qs[:30], (None, "Article")
            )
    fresh = SearchIndex(list(final.values()))
    assert answers(columns, qs, (None, "Article")) == answers(fresh, qs, (None, "Article"))
    assert len(columns) == len(fresh) == len(memory)
    for length in range(1, fresh.longest_word + 2):  # removed entries' words left the vocabulary
        assert columns.words(length) == fresh.words(length), length
    folded = mapped(tmp_path, columns.live_entries(), "folded")  # the next snapshot
    assert answers(folded, qs, (None, "Article")) == answers(fresh, qs, (None, "Article"))


def test_the_seed_release_answers_alike(tmp_path, release_store):
    _engine, store = release_store
    memory = load_indexes(store, RelatedWeights(links={})).search
    entries = memory.live_entries()
    columns = mapped(tmp_path, entries)
    qs = [
        *queries(entries, 300, 7),
        "topical minoxidl",
        "microneedlng for hair",
        "scalp care after microneedlng",
        "Alopécia",
        "prp",
        "hair loss microneedling",
        "side effects of fin",
    ]
    types = (None, "Article", "Drug", "Condition")
    assert answers(columns, qs, types) == answers(memory, qs, types)
    top = columns.search("topical minoxidl", limit=5)[1][0]
    assert (top.entry.id, top.kind) == ("topical-minoxidil", "fuzzy")


def test_a_snapshot_maps_the_search_index_instead_of_pickling_it(tmp_path):
    entries = generated(1000, 9)
    graph = EntityGraph([])
    weights = RelatedWeights(links={})
    related = RelatedIndex([], [], weights, labeller=graph.label)
    snapshots = SnapshotFiles(tmp_path / "indexes", weights)
    memory = SearchIndex(entries)
    snapshots.write(Indexes("v1", graph, memory, related))
    rest = (snapshots.path("v1") / "rest.pickle").read_bytes()
    assert b"SearchIndex" not in rest and entries[0].label.encode() not in rest
    read = snapshots.read("v1")
    assert isinstance(read.search, MappedSearchIndex)
    qs = queries(entries, 100, 9)
    assert answers(read.search, qs) == answers(memory, qs)
    read.search.upsert(
        Entry("new", "kb:new", "Brand new title", "Article", frozenset({"Article"}), ())
    )
    read.search.remove(entries[0].id)
    snapshots.write(replace(read, version="v2"))  # the overlay folded into new columns
    again = snapshots.read("v2").search
    fresh = SearchIndex(read.search.live_entries())
    assert len(again) == len(fresh) == 1000 and again._overlay.live_entries() == []
    assert answers(again, [*qs, "brand new"]) == answers(fresh, [*qs, "brand new"])
