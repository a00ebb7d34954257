"""The columns of the search index (``search_arrays``): what a snapshot directory holds for it,
written from either storage (``kb.read.search.SearchIndex`` or the mapped one with its overlay,
through their ``live_entries``) and read back (``entries_of``); ``kb.read.columnar.search``
reads them.

Entries (row = rank by id): string tables ``search.id`` (looked up by value), ``search.iri``,
``search.label``, ``search.url``; ``search.type`` (most specific class) and the ``search.types``
CSR lists, both ids into the ``search.typename`` table; ``search.synonyms`` CSR offsets into the
``search.synonym`` table; ``search.deprecated`` (uint8); ``search.order``, the row's rank by
(label length, casefolded label, id), the tie-break of the ranking.

Keys: the ``search.key`` table sorted by (key, row, flags, text), as the in-memory index orders
them, with per key ``.row`` (int32), ``.flags`` (uint8: 2 for a synonym, +1 for a later word),
``.text`` (int32: 0 the label, n the n-th synonym) and ``.length`` (int32, in characters).

Vocabulary: ``search.vocab``, the distinct words of every label, synonym and title sorted by
(length, word), ``.count`` their occurrences and ``.by_length`` the first row of each length."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np

from kb.read.columnar.columns import csr_arrays
from kb.read.columnar.tables import StringTable, table_arrays
from kb.read.search.entries import Entry, entry_texts, entry_words, text_keys


def _entry_arrays(ordered: list[Entry]) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    arrays |= table_arrays("search.id", [e.id for e in ordered], lookup=True)
    for field in ("iri", "label", "url"):
        arrays |= table_arrays(
            f"search.{field}", [getattr(e, field) for e in ordered], lookup=False
        )
    names = sorted({e.type for e in ordered} | {t for e in ordered for t in e.types})
    type_id = {name: i for i, name in enumerate(names)}
    arrays |= table_arrays("search.typename", names, lookup=False)
    arrays["search.type"] = np.array([type_id[e.type] for e in ordered], dtype=np.int32)
    type_ids: dict[frozenset, list[int]] = {}  # a few distinct sets of types, sorted once
    for entry in ordered:
        if entry.types not in type_ids:
            type_ids[entry.types] = sorted(type_id[t] for t in entry.types)
    arrays |= csr_arrays([type_ids[e.types] for e in ordered], "search.types")
    arrays |= table_arrays("search.synonym", [s for e in ordered for s in e.synonyms], lookup=False)
    offsets = np.zeros(len(ordered) + 1, dtype=np.int64)
    np.cumsum([len(e.synonyms) for e in ordered], out=offsets[1:])
    arrays["search.synonyms.offsets"] = offsets
    arrays["search.deprecated"] = np.array([e.deprecated for e in ordered], dtype=np.uint8)
    ranked = sorted(
        range(len(ordered)),
        key=lambda r: (len(ordered[r].label), ordered[r].label.casefold(), ordered[r].id),
    )
    order = np.empty(len(ordered), dtype=np.int32)
    order[np.array(ranked, dtype=np.int64)] = np.arange(len(ordered), dtype=np.int32)
    arrays["search.order"] = order
    return arrays


def _key_arrays(ordered: list[Entry]) -> dict[str, np.ndarray]:
    keys = sorted(
        (key, row, synonym * 2 + later, text, number)
        for row, entry in enumerate(ordered)
        for number, (text, synonym) in enumerate(entry_texts(entry))
        for key, later in text_keys(text)
    )
    arrays = table_arrays("search.key", [k[0] for k in keys], lookup=False)
    arrays["search.key.row"] = np.array([k[1] for k in keys], dtype=np.int32)
    arrays["search.key.flags"] = np.array([k[2] for k in keys], dtype=np.uint8)
    arrays["search.key.text"] = np.array([k[4] for k in keys], dtype=np.int32)
    arrays["search.key.length"] = np.array([len(k[0]) for k in keys], dtype=np.int32)
    return arrays


def _vocabulary_arrays(ordered: list[Entry]) -> dict[str, np.ndarray]:
    counts = Counter(w for e in ordered for w in entry_words(e))
    words = sorted(counts, key=lambda w: (len(w), w))
    arrays = table_arrays("search.vocab", words, lookup=False)
    arrays["search.vocab.count"] = np.array([counts[w] for w in words], dtype=np.int32)
    longest = len(words[-1]) if words else 0
    lengths = np.array([len(w) for w in words], dtype=np.int64)
    arrays["search.vocab.by_length"] = np.searchsorted(lengths, np.arange(longest + 2), "left")
    return arrays


def search_arrays(entries: Iterable[Entry]) -> dict[str, np.ndarray]:
    """The columns of a search index holding ``entries``."""
    ordered = sorted(entries, key=lambda e: e.id)
    return _entry_arrays(ordered) | _key_arrays(ordered) | _vocabulary_arrays(ordered)


def entries_of(arrays: dict[str, np.ndarray], rows: list[int]) -> list[Entry]:
    """The entries of these rows, decoded a column at a time (for a new snapshot)."""
    text = {f: StringTable(arrays, f"search.{f}").strings() for f in ("id", "iri", "label", "url")}
    names = StringTable(arrays, "search.typename").strings()
    synonyms = StringTable(arrays, "search.synonym").strings()
    synonym_at = arrays["search.synonyms.offsets"].tolist()
    type_at, type_ids = arrays["search.types.offsets"].tolist(), arrays["search.types.ids"].tolist()
    kinds, deprecated = arrays["search.type"].tolist(), arrays["search.deprecated"].tolist()
    return [
        Entry(
            id=text["id"][row],
            iri=text["iri"][row],
            label=text["label"][row],
            type=names[kinds[row]],
            types=frozenset(names[t] for t in type_ids[type_at[row] : type_at[row + 1]]),
            synonyms=tuple(synonyms[synonym_at[row] : synonym_at[row + 1]]),
            url=text["url"][row],
            deprecated=bool(deprecated[row]),
        )
        for row in rows
    ]
