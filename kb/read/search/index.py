"""The in-memory search index (``SearchIndex``): a sorted list of keys, a dict of whole texts
for the exact tier and a vocabulary with word counts, updated in place."""

from __future__ import annotations

import bisect
import threading

from kb.read.search.entries import (
    KIND_NAMES,
    MAX_QUERY_CHARS,
    TIER_EXACT,
    TIER_FUZZY,
    TIER_SYNONYM,
    TIER_WORDS,
    Entry,
    Hit,
    _keys_of,
    entry_words,
    key_match,
    normalise,
    rank_of,
)
from kb.read.search.tiers import starts_of_longer_words, typo_hits, word_subset_hits


class SearchIndex:
    def __init__(self, entries: list[Entry]):
        self.entries: list[Entry | None] = sorted(entries, key=lambda e: e.id)
        self._by_id = {entry.id: index for index, entry in enumerate(self.entries)}
        keys = [key for index, e in enumerate(self.entries) for key in _keys_of(index, e)]
        keys.sort()
        self._keys = keys
        self._key_text = [k[0] for k in keys]
        # Full normalised texts only (no suffixes) for the exact tier.
        self._exact: dict[str, list[tuple[int, int, str]]] = {}
        for key, index, flags, text in keys:
            if flags & 1 == 0:
                self._exact.setdefault(key, []).append((index, flags >> 1, text))
        self._vocabulary: dict[int, dict[str, int]] = {}  # length -> word -> occurrences
        self._word_lists: dict[int, list[str]] = {}  # sorted words per length, rebuilt on use
        self._word_starts: dict[int, list[str]] = {}  # likewise, starts of longer words
        for entry in self.entries:
            self._count_words(entry, +1)
        self._count = len(self.entries)
        self.types = sorted({t for e in self.entries for t in e.types})
        self._lock = threading.RLock()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_lock"]
        state["_word_lists"], state["_word_starts"] = {}, {}
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return self._count

    def live_entries(self) -> list[Entry]:
        """Every entry (for a snapshot)."""
        with self._lock:
            return [e for e in self.entries if e is not None]

    # -- the vocabulary and keys (``KeySource``) --------------------------------------------

    def _count_words(self, entry: Entry, step: int) -> None:
        for word in entry_words(entry):
            bucket = self._vocabulary.setdefault(len(word), {})
            count = bucket.get(word, 0) + step
            if count > 0:
                bucket[word] = count
            else:
                bucket.pop(word, None)
            if (count > 0) != (count - step > 0):  # the word appeared or went
                self._word_lists.pop(len(word), None)
                self._word_starts.clear()

    @property
    def longest_word(self) -> int:
        return max((n for n, bucket in self._vocabulary.items() if bucket), default=0)

    def words(self, length: int) -> list[str]:
        found = self._word_lists.get(length)
        if found is None:
            found = self._word_lists[length] = sorted(self._vocabulary.get(length, ()))
        return found

    def word_starts(self, length: int) -> list[str]:
        found = self._word_starts.get(length)
        if found is None:
            found = self._word_starts[length] = starts_of_longer_words(self, length)
        return found

    def _range(self, prefix: str) -> tuple[int, int]:
        lo = bisect.bisect_left(self._key_text, prefix)
        return lo, bisect.bisect_left(self._key_text, prefix + "\U0010ffff", lo)

    def prefix_count(self, prefix: str) -> int:
        lo, hi = self._range(prefix)
        return hi - lo

    def prefix_keys(self, prefix: str, cap: int) -> list[tuple[str, int, int, str]]:
        lo, hi = self._range(prefix)
        return self._keys[lo : min(hi, lo + cap)]

    # -- in-place updates (articles) ------------------------------------------------------

    def upsert(self, entry: Entry) -> None:
        """Adds ``entry`` or replaces the entry with its id."""
        with self._lock:
            index = self._by_id.get(entry.id)
            if index is None:
                index = len(self.entries)
                self.entries.append(entry)
                self._by_id[entry.id] = index
                self._count += 1
            else:
                self._drop_keys(index)
                self.entries[index] = entry
            for item in _keys_of(index, entry):
                position = bisect.bisect_left(self._keys, item)
                self._keys.insert(position, item)
                self._key_text.insert(position, item[0])
                if item[2] & 1 == 0:
                    self._exact.setdefault(item[0], []).append((index, item[2] >> 1, item[3]))
            self._count_words(entry, +1)
            if not set(entry.types) <= set(self.types):
                self.types = sorted(set(self.types) | entry.types)

    def remove(self, identifier: str) -> None:
        """Removes the entry with this id (nothing when there is none)."""
        with self._lock:
            index = self._by_id.pop(identifier, None)
            if index is None:
                return
            self._drop_keys(index)
            self.entries[index] = None
            self._count -= 1

    def _drop_keys(self, index: int) -> None:
        self._count_words(self.entries[index], -1)
        for item in _keys_of(index, self.entries[index]):
            position = bisect.bisect_left(self._keys, item)
            if position < len(self._keys) and self._keys[position] == item:
                del self._keys[position]
                del self._key_text[position]
            if item[2] & 1 == 0:
                found = self._exact.get(item[0], [])
                kept = [x for x in found if x[0] != index]
                if kept:
                    self._exact[item[0]] = kept
                else:
                    self._exact.pop(item[0], None)

    # -- queries --------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        type_: str | None = None,
        limit: int = 10,
        offset: int = 0,
        include_deprecated: bool = False,
    ):
        """(total, hits): the ranked page and how many entries matched in all; deprecated
        entries only with ``include_deprecated``."""
        with self._lock:
            return self._search(query, type_, limit, offset, include_deprecated)

    def prefix_offers(self, q: str):
        """(index, tier, score, text) of the exact, prefix and in-order words tiers, in the
        order they are offered (``q`` normalised)."""
        for index, is_synonym, text in self._exact.get(q, ()):
            if is_synonym:
                yield index, TIER_SYNONYM, 95.0, text
            else:
                yield index, TIER_EXACT, 100.0, text
        lo, hi = self._range(q)
        for key, index, flags, text in self._keys[lo:hi]:
            yield index, *key_match(len(q), len(key), flags), text

    def _search(
        self, query: str, type_: str | None, limit: int, offset: int, include_deprecated: bool
    ):
        q = normalise(query[:MAX_QUERY_CHARS])
        if not q:
            return 0, []
        best: dict[int, tuple] = {}

        def offer(index: int, tier: int, score: float, matched: str):
            entry = self.entries[index]
            if (type_ and type_ not in entry.types) or (
                entry.deprecated and not include_deprecated
            ):
                return
            rank = rank_of(entry, tier, score)
            current = best.get(index)
            if current is None or rank < current[0]:
                best[index] = (rank, matched)

        for index, tier, score, text in self.prefix_offers(q):
            offer(index, tier, score, text)
        if " " in q and len(best) < offset + limit:
            for index, score, text in word_subset_hits(q, self):
                offer(index, TIER_WORDS, score, text)
        if len(best) < offset + limit:
            for index, score, text in typo_hits(q, self):
                offer(index, TIER_FUZZY, score, text)
        ranked = sorted(best.items(), key=lambda item: item[1][0])
        hits = [
            Hit(self.entries[i], matched, KIND_NAMES[rank[0]], -rank[1], rank[0])
            for i, (rank, matched) in ranked[offset : offset + limit]
        ]
        return len(ranked), hits
