"""The search index as memory-mapped columns (``MappedSearchIndex``, columns in
``kb.read.columnar.search_columns``), with an in-memory overlay of the entries written since.

Exact, prefix and in-order words tiers: the keys starting with ``q`` are one range of the sorted
key table, found by binary search on UTF-8 bytes (their order is code-point order); the range's
entry rows, flags and key lengths are arrays, so tiers and scores are computed with numpy
(scores from per-length tables computed with Python's ``round``, hence the same floats as the
in-memory index), the best per entry kept, and type, deprecation and removed rows filtered with
per-entry arrays. Text is decoded only for the hits of the page. The other tiers (every word in
another order, typos) are the shared ones of ``kb.read.search.tiers``, read through this index
as a ``KeySource``; the vocabulary's length buckets are decoded once per process on use.

The overlay: ``upsert``/``remove`` mark the base row of the entry's id dead (its words leave
the vocabulary's counts) and keep the entries written since in a small ``SearchIndex``; each
query merges both (keys in (key, id, flags, text) order, hits by the same ranking), so answers
equal an in-memory ``SearchIndex`` holding the same entries. The next snapshot
(``search_arrays`` of ``live_entries``) folds the overlay in.
"""

from __future__ import annotations

import bisect
import threading

import numpy as np

from kb.read.columnar.search_columns import entries_of
from kb.read.columnar.tables import StringTable
from kb.read.search.entries import (
    KIND_NAMES,
    MAX_QUERY_CHARS,
    TIER_FUZZY,
    TIER_WORDS,
    Entry,
    Hit,
    entry_words,
    key_match,
    normalise,
    rank_of,
)
from kb.read.search.index import SearchIndex
from kb.read.search.tiers import starts_of_longer_words, typo_hits, word_subset_hits

_AFTER_ANY = "\U0010ffff".encode()  # a range's end: its prefix followed by the last code point


class _KeyBytes:
    """The sorted key table as a sequence of UTF-8 bytes (for ``bisect``)."""

    def __init__(self, table: StringTable):
        self.blob, self.offsets = table.blob, table.offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, row: int) -> bytes:
        return self.blob[int(self.offsets[row]) : int(self.offsets[row + 1])].tobytes()


def _prefix_tables(query_length: int, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(tier, score) per key flags (rows 0-3) and key length (columns): the in-memory index's
    formulas, computed once per length present."""
    size = int(lengths.max()) + 1 if len(lengths) else 1
    tiers = np.zeros((4, size), dtype=np.int8)
    scores = np.zeros((4, size), dtype=np.float64)
    for length in np.flatnonzero(np.bincount(lengths, minlength=size)).tolist():
        for flags in range(4):
            tiers[flags, length], scores[flags, length] = key_match(query_length, length, flags)
    return tiers, scores


def _sort_key(tiers: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """One float per hit ordered as (tier, -score): scores lie in [0, 100] with 3 decimals."""
    return tiers * 1000.0 - scores


class MappedSearchIndex:
    """The search index over a snapshot's mapped columns plus the overlay."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        # plain views of the maps: numpy.memmap's Python-level indexing costs microseconds
        arrays = {k: v.view(np.ndarray) for k, v in arrays.items() if k.startswith("search.")}
        self._a = arrays
        self._table = {
            name: StringTable(arrays, f"search.{name}")
            for name in ("id", "iri", "label", "url", "synonym", "key", "vocab")
        }
        self._typenames = StringTable(arrays, "search.typename").strings()
        self._n = len(self._table["id"])
        self._keys = _KeyBytes(self._table["key"])
        self._key_row = arrays["search.key.row"]
        self._key_flags = arrays["search.key.flags"]
        self._key_length = arrays["search.key.length"]
        used = np.unique(np.asarray(arrays["search.types.ids"]))
        self._base_types = {self._typenames[int(t)] for t in used}
        self._type_masks: dict[str, np.ndarray] = {}
        self._by_length = arrays["search.vocab.by_length"]
        self._buckets: dict[int, list[str]] = {}  # decoded vocabulary words per length
        # the overlay: dead base rows, their words' counts, the entries written since
        self._dead = np.zeros(self._n, dtype=bool)
        self._dead_count = 0
        self._word_delta: dict[str, int] = {}
        self._live_words: dict[int, list[str]] = {}
        self._word_starts: dict[int, list[str]] = {}  # cleared by every upsert and removal
        self._overlay = SearchIndex([])
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return self._n - self._dead_count + len(self._overlay)

    @property
    def types(self) -> list[str]:
        return sorted(self._base_types | set(self._overlay.types))

    # -- the base rows --------------------------------------------------------------------

    def _entry(self, row: int) -> Entry:
        table, a = self._table, self._a
        start, end = a["search.synonyms.offsets"][row : row + 2].tolist()
        type_start, type_end = a["search.types.offsets"][row : row + 2].tolist()
        return Entry(
            id=table["id"][row],
            iri=table["iri"][row],
            label=table["label"][row],
            type=self._typenames[int(a["search.type"][row])],
            types=frozenset(
                self._typenames[t] for t in a["search.types.ids"][type_start:type_end].tolist()
            ),
            synonyms=tuple(table["synonym"][i] for i in range(start, end)),
            url=table["url"][row],
            deprecated=bool(a["search.deprecated"][row]),
        )

    def _key_source_text(self, position: int) -> str:
        """The label or synonym that the key at ``position`` comes from."""
        row, number = int(self._key_row[position]), int(self._a["search.key.text"][position])
        if number == 0:
            return self._table["label"][row]
        return self._table["synonym"][int(self._a["search.synonyms.offsets"][row]) + number - 1]

    def _live_row(self, identifier: str) -> int | None:
        row = self._table["id"].first(identifier)
        return None if row is None or self._dead[row] else row

    def live_entries(self) -> list[Entry]:
        """Every entry, the overlay's included (for a new snapshot)."""
        with self._lock:
            live = np.flatnonzero(~self._dead).tolist()
            return entries_of(self._a, live) + self._overlay.live_entries()

    # -- the overlay ----------------------------------------------------------------------

    def upsert(self, entry: Entry) -> None:
        """Adds ``entry`` or replaces the entry with its id."""
        with self._lock:
            self._kill(entry.id)
            self._overlay.upsert(entry)
            self._live_words.clear()
            self._word_starts.clear()

    def remove(self, identifier: str) -> None:
        """Removes the entry with this id (nothing when there is none)."""
        with self._lock:
            self._kill(identifier)
            self._overlay.remove(identifier)
            self._live_words.clear()
            self._word_starts.clear()

    def _kill(self, identifier: str) -> None:
        row = self._live_row(identifier)
        if row is None:
            return
        self._dead[row] = True
        self._dead_count += 1
        for word in entry_words(self._entry(row)):
            self._word_delta[word] = self._word_delta.get(word, 0) - 1

    # -- the vocabulary and keys (``kb.read.search.tiers.KeySource``) -----------------------

    @property
    def longest_word(self) -> int:
        return max(len(self._by_length) - 2, self._overlay.longest_word)

    def _bucket(self, length: int) -> list[str]:
        found = self._buckets.get(length)
        if found is None:
            found = []
            if 0 <= length < len(self._by_length) - 1:
                start, end = self._by_length[length : length + 2].tolist()
                found = self._table["vocab"].strings(start, end)
            self._buckets[length] = found
        return found

    def words(self, length: int) -> list[str]:
        base = self._bucket(length)
        extra = self._overlay.words(length)
        changed = any(len(w) == length for w in self._word_delta)
        if not extra and not changed:
            return base
        found = self._live_words.get(length)
        if found is None:
            start = int(self._by_length[length]) if base else 0
            counts = self._a["search.vocab.count"][start : start + len(base)].tolist()
            delta = self._word_delta
            live = {w for w, c in zip(base, counts, strict=True) if c + delta.get(w, 0) > 0}
            found = self._live_words[length] = sorted(live | set(extra))
        return found

    def word_starts(self, length: int) -> list[str]:
        found = self._word_starts.get(length)
        if found is None:
            found = self._word_starts[length] = starts_of_longer_words(self, length)
        return found

    def _base_range(self, prefix: str) -> tuple[int, int]:
        encoded = prefix.encode("utf-8", "surrogatepass")
        lo = bisect.bisect_left(self._keys, encoded)
        return lo, bisect.bisect_left(self._keys, encoded + _AFTER_ANY, lo)

    def _live_positions(self, lo: int, hi: int, cap: int | None = None) -> np.ndarray:
        """The key positions in [lo, hi) whose entry is alive (the first ``cap``)."""
        if not self._dead_count:
            return np.arange(lo, hi if cap is None else min(hi, lo + cap))
        alive = np.flatnonzero(~self._dead[self._key_row[lo:hi]])
        return lo + (alive if cap is None else alive[:cap])

    def prefix_count(self, prefix: str) -> int:
        lo, hi = self._base_range(prefix)
        base = hi - lo
        if self._dead_count and base:
            base -= int(np.count_nonzero(self._dead[self._key_row[lo:hi]]))
        return base + self._overlay.prefix_count(prefix)

    def prefix_keys(self, prefix: str, cap: int) -> list[tuple[str, int, int, str]]:
        lo, hi = self._base_range(prefix)
        found = [
            (
                self._table["key"][position],
                int(self._key_row[position]),
                int(self._key_flags[position]),
                self._key_source_text(position),
            )
            for position in self._live_positions(lo, hi, cap).tolist()
        ]
        extra = self._overlay.prefix_keys(prefix, cap)
        if not extra:
            return found
        entries, n, ids = self._overlay.entries, self._n, self._table["id"]
        merged = [(k, ids[ref], flags, text, ref) for k, ref, flags, text in found]
        merged += [(k, entries[i].id, flags, text, n + i) for k, i, flags, text in extra]
        merged.sort(key=lambda item: item[:4])
        return [(k, ref, flags, text) for k, _id, flags, text, ref in merged[:cap]]

    # -- queries --------------------------------------------------------------------------

    def _type_mask(self, name: str) -> np.ndarray:
        mask = self._type_masks.get(name)
        if mask is None:
            offsets, ids = self._a["search.types.offsets"], self._a["search.types.ids"]
            rows = np.repeat(np.arange(self._n), np.diff(offsets))
            mask = np.zeros(self._n, dtype=bool)
            if name in self._typenames:
                mask[rows[np.asarray(ids) == self._typenames.index(name)]] = True
            if len(self._type_masks) < 256:
                self._type_masks[name] = mask
        return mask

    def search(
        self,
        query: str,
        *,
        type_: str | None = None,
        limit: int = 10,
        offset: int = 0,
        include_deprecated: bool = False,
    ):
        """(total, hits), exactly as ``kb.read.search.SearchIndex.search``."""
        with self._lock:
            return self._search(query, type_, limit, offset, include_deprecated)

    def _search(
        self, query: str, type_: str | None, limit: int, offset: int, include_deprecated: bool
    ):
        q = normalise(query[:MAX_QUERY_CHARS])
        if not q:
            return 0, []
        admissible = ~self._dead
        if not include_deprecated:
            admissible &= self._a["search.deprecated"] == 0
        if type_:
            admissible &= self._type_mask(type_)

        def admitted(entry: Entry) -> bool:
            return not (type_ and type_ not in entry.types) and (
                include_deprecated or not entry.deprecated
            )

        base = self._prefix_best(q, admissible)  # rows, tiers, scores, key positions
        overlay: dict[int, tuple[int, float, str]] = {}  # overlay refs: (tier, score, text)
        for index, tier, score, text in self._overlay.prefix_offers(q):
            current = overlay.get(self._n + index)
            if admitted(self._overlay.entries[index]) and (
                current is None or (tier, -score) < (current[0], -current[1])
            ):
                overlay[self._n + index] = (tier, score, text)
        better: dict[int, tuple[int, float, str]] = {}  # base rows improved by the later tiers
        found = {"count": len(base[0]) + len(overlay)}

        def offer(ref: int, tier: int, score: float, text: str) -> None:
            if ref >= self._n:
                if not admitted(self._overlay.entries[ref - self._n]):
                    return
                current, into = overlay.get(ref), overlay
            else:
                if not admissible[ref]:
                    return
                current, into = better.get(ref), better
                if current is None:
                    at = int(np.searchsorted(base[0], ref))
                    if at < len(base[0]) and base[0][at] == ref:
                        current = (int(base[1][at]), float(base[2][at]), "")
            if current is None:
                found["count"] += 1
            if current is None or (tier, -score) < (current[0], -current[1]):
                into[ref] = (tier, score, text)

        if " " in q and found["count"] < offset + limit:
            for ref, score, text in word_subset_hits(q, self):
                offer(ref, TIER_WORDS, score, text)
        if found["count"] < offset + limit:
            for ref, score, text in typo_hits(q, self):
                offer(ref, TIER_FUZZY, score, text)
        return found["count"], self._page(base, better, overlay, offset, limit)

    def _prefix_best(self, q: str, admissible: np.ndarray) -> tuple[np.ndarray, ...]:
        """The exact, prefix and in-order words tiers over the base: per admissible entry
        (rows ascending) its best tier, score and the position of the key that gave it."""
        lo, hi = self._base_range(q)
        rows = np.asarray(self._key_row[lo:hi])
        keep = np.flatnonzero(admissible[rows])
        rows = rows[keep]
        flags = np.asarray(self._key_flags[lo:hi])[keep]
        lengths = np.asarray(self._key_length[lo:hi])[keep]
        tier_table, score_table = _prefix_tables(len(q), lengths)
        tiers, scores = tier_table[flags, lengths], score_table[flags, lengths]
        order = np.lexsort((_sort_key(tiers, scores), rows))  # stable: key order among ties
        first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]] if len(order) else order
        return rows[first], tiers[first], scores[first], lo + keep[first]

    def _page(self, base, better, overlay, offset: int, limit: int) -> list[Hit]:
        """The page of hits: base candidates ranked with numpy (tie-break ``search.order``),
        decoded only for the first ``offset + limit``, merged with the overlay's."""
        rows, tiers, scores, positions = base
        if better:
            kept = ~np.isin(rows, np.fromiter(better, np.int64, len(better)))
            rows, tiers, scores, positions = rows[kept], tiers[kept], scores[kept], positions[kept]
            improved = sorted(better.items())
            rows = np.concatenate([rows, [r for r, _ in improved]]).astype(np.int64)
            tiers = np.concatenate([tiers, [v[0] for _, v in improved]])
            scores = np.concatenate([scores, [v[1] for _, v in improved]])
            positions = np.concatenate([positions, [-1] * len(improved)]).astype(np.int64)
        wanted = offset + limit
        key = _sort_key(tiers, scores)
        chosen = np.arange(len(key))
        if len(key) > wanted:  # only what ranks at least as well as the last hit wanted
            chosen = np.flatnonzero(key <= np.partition(key, wanted - 1)[wanted - 1])
        ranked = np.lexsort((self._a["search.order"][rows[chosen]], key[chosen]))
        order = chosen[ranked][:wanted]
        candidates = []
        for i in order.tolist():
            row, tier, score = int(rows[i]), int(tiers[i]), float(scores[i])
            entry = self._entry(row)
            text = better[row][2] if positions[i] < 0 else self._key_source_text(int(positions[i]))
            candidates.append((rank_of(entry, tier, score), entry, text))
        for ref, (tier, score, text) in overlay.items():
            entry = self._overlay.entries[ref - self._n]
            candidates.append((rank_of(entry, tier, score), entry, text))
        candidates.sort(key=lambda c: c[0])
        return [
            Hit(entry, text, KIND_NAMES[rank[0]], -rank[1], rank[0])
            for rank, entry, text in candidates[offset:wanted]
        ]
