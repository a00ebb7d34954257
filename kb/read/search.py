"""Autocomplete over labels, synonyms and article titles: a normalised prefix index plus
typo-tolerant matching.

Text is normalised once (Unicode NFKD, combining marks dropped, casefolded, punctuation turned
into spaces, whitespace collapsed), so "Alopécia" and "alopecia" are the same key. Every label
and synonym is indexed under its full text and under each word-start suffix ("androgenetic
alopecia" is also found as "alopecia ..."), in one sorted list: a prefix query is two binary
searches, O(log n + hits).

Typos are caught by restricted Damerau-Levenshtein distance (rapidfuzz's OSA, transpositions
count as one edit) against the same keys, whole and cut to the query's length (so a typo in a
half-typed word still matches): at most 1 edit for 4-7 characters, 2 from 8, 3 from 12.
Fuzzy matching runs only when the exact and prefix tiers leave room in the page; a typo
from a text's first word outranks the same typo from a later word.

Articles are entries too (type ``Article``, their title as the label, their URL carried in
the hit), in the same sorted list: no second structure, no scan.

Match kinds say what matched, truthfully (``q`` normalised):

- ``exact``: ``q`` is the whole label or title;
- ``prefix``: ``q`` is the start of the label or title;
- ``synonym``: ``q`` is a whole synonym or its start;
- ``words``: ``q`` starts at a later word of the label, title or synonym ("hair loss" in
  "Microneedling for Hair Loss"): the words typed, in order, inside a longer text; or,
  scored lower, every word typed is a word of the text, in any order or with gaps
  ("microneedling hair loss"), the last one perhaps unfinished;
- ``fuzzy``: within the typo distance above.

Ranking: whole label or title > whole synonym > start of a label or title > start of a
synonym > words > fuzzy; inside a tier, a higher score (closer, shorter) first, then
label, then id: the same query always gives the same order. One hit per entry: its best
match.

Articles change often, so the index is updated in place (``upsert``, ``remove``: a binary
search and a list insertion per key, the typo tier's cut keys kept in step), under a lock
that searches take too.
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)

# Ranking tiers; a whole synonym ("PRP") outranks the start of a longer label or title.
TIER_EXACT, TIER_SYNONYM, TIER_PREFIX, TIER_SYNONYM_PREFIX, TIER_WORDS, TIER_FUZZY = range(6)
KIND_NAMES = {
    TIER_EXACT: "exact",
    TIER_SYNONYM: "synonym",
    TIER_PREFIX: "prefix",
    TIER_SYNONYM_PREFIX: "synonym",
    TIER_WORDS: "words",
    TIER_FUZZY: "fuzzy",
}
MAX_QUERY_CHARS = 200
FUZZY_KEYS_PER_TEXT = 64  # keys read per distinct text the typo tier finds
SUBSET_KEYS = 2000  # keys read for a query of several words in another order or with gaps


def normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()


@dataclass(frozen=True)
class Entry:
    """One searchable entity."""

    id: str
    iri: str
    label: str
    type: str  # most specific class, local name ("Drug")
    types: frozenset[str]  # every class local name, for the type filter
    synonyms: tuple[str, ...]
    url: str = ""  # articles: the page's URL
    deprecated: bool = False  # left out of answers unless asked for (kb.read.successors)


@dataclass(frozen=True)
class Hit:
    entry: Entry
    matched: str
    kind: str
    score: float
    tier: int

    def as_json(self) -> dict:
        body = {
            "id": self.entry.id,
            "iri": self.entry.iri,
            "label": self.entry.label,
            "type": self.entry.type,
            "matched": self.matched,
            "match": self.kind,
            "score": self.score,
        }
        if self.entry.url:
            body["url"] = self.entry.url
        if self.entry.deprecated:
            body["deprecated"] = True
        return body


def _keys_of(index: int, entry: Entry):
    """(key, entry index, flags, original text) for the label and each synonym, under every
    word start; flags: 2 for a synonym, +1 for a key that starts after the first word."""
    texts = [(entry.label, 0)] + [(s, 1) for s in entry.synonyms]
    for text, is_synonym in texts:
        norm = normalise(text)
        if not norm:
            continue
        words = norm.split(" ")
        for start in range(len(words)):
            yield (" ".join(words[start:]), index, is_synonym * 2 + (start > 0), text)


def _typo_matched(key: str) -> bool:
    """Keys starting with a digit (a year, an article's number) are not typo-matched: a
    number one digit off is another number."""
    return not key[:1].isdigit()


class _Distinct:
    """A sorted list of distinct strings with a count of the keys behind each: what the typo
    tier compares against (many keys share a text, e.g. the first words of article titles)."""

    def __init__(self, texts=()):
        self.counts: dict[str, int] = {}
        for text in texts:
            self.counts[text] = self.counts.get(text, 0) + 1
        self.texts = sorted(self.counts)

    def add(self, text: str) -> None:
        count = self.counts.get(text, 0)
        self.counts[text] = count + 1
        if count == 0:
            bisect.insort(self.texts, text)

    def discard(self, text: str) -> None:
        count = self.counts.get(text, 0)
        if count > 1:
            self.counts[text] = count - 1
        elif count == 1:
            del self.counts[text]
            del self.texts[bisect.bisect_left(self.texts, text)]


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
        by_length: dict[int, list[str]] = {}
        for text in self._key_text:
            if _typo_matched(text):
                by_length.setdefault(len(text), []).append(text)
        self._whole = {length: _Distinct(texts) for length, texts in by_length.items()}
        self._cut_cache: dict[int, _Distinct] = {}
        self._count = len(self.entries)
        self.types = sorted({t for e in self.entries for t in e.types})
        self._lock = threading.RLock()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        del state["_lock"]
        state["_cut_cache"] = {}  # rebuilt on use: not worth a snapshot's bytes
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return self._count

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
                if _typo_matched(item[0]):
                    self._whole.setdefault(len(item[0]), _Distinct()).add(item[0])
                for length, cut in self._cut_cache.items():
                    if len(item[0]) > length and _typo_matched(item[0]):
                        cut.add(item[0][:length])
                if item[2] & 1 == 0:
                    self._exact.setdefault(item[0], []).append((index, item[2] >> 1, item[3]))
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
        for item in _keys_of(index, self.entries[index]):
            position = bisect.bisect_left(self._keys, item)
            if position < len(self._keys) and self._keys[position] == item:
                del self._keys[position]
                del self._key_text[position]
                if _typo_matched(item[0]):
                    self._whole[len(item[0])].discard(item[0])
                for length, cut in self._cut_cache.items():
                    if len(item[0]) > length and _typo_matched(item[0]):
                        cut.discard(item[0][:length])
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
            rank = (tier, -score, len(entry.label), entry.label.casefold(), entry.id)
            current = best.get(index)
            if current is None or rank < current[0]:
                best[index] = (rank, matched)

        for index, is_synonym, text in self._exact.get(q, ()):
            if is_synonym:
                offer(index, TIER_SYNONYM, 95.0, text)
            else:
                offer(index, TIER_EXACT, 100.0, text)
        lo = bisect.bisect_left(self._key_text, q)
        hi = bisect.bisect_left(self._key_text, q + "\U0010ffff")
        for key, index, flags, text in self._keys[lo:hi]:
            coverage = len(q) / len(key)
            if flags & 1:  # from a later word of the label, title or synonym
                offer(index, TIER_WORDS, round(60 + 30 * coverage - 5 * (flags >> 1), 3), text)
            elif flags >> 1:  # synonym
                offer(index, TIER_SYNONYM_PREFIX, round(60 + 30 * coverage, 3), text)
            else:
                offer(index, TIER_PREFIX, round(70 + 25 * coverage, 3), text)
        if " " in q and len(best) < offset + limit:
            for index, score, text in self._word_subset(q):
                offer(index, TIER_WORDS, score, text)
        if len(q) >= 4 and len(best) < offset + limit and _typo_matched(q):
            for index, score, text in self._fuzzy(q):
                offer(index, TIER_FUZZY, score, text)
        ranked = sorted(best.items(), key=lambda item: item[1][0])
        hits = [
            Hit(self.entries[i], matched, KIND_NAMES[rank[0]], -rank[1], rank[0])
            for i, (rank, matched) in ranked[offset : offset + limit]
        ]
        return len(ranked), hits

    def _word_subset(self, q: str):
        """Texts holding every word typed, in any order, with gaps ("microneedling hair loss"
        in "Microneedling for Hair Loss"; the last word may be unfinished): the keys of the
        query word with the fewest, at most ``SUBSET_KEYS`` of them, checked one by one."""
        words = q.split(" ")
        ranges = []
        for word in words:
            lo = bisect.bisect_left(self._key_text, word)
            hi = bisect.bisect_left(self._key_text, word + "\U0010ffff", lo)
            ranges.append((hi - lo, lo))
        size, lo = min(ranges)
        found = []
        for _key, index, flags, text in self._keys[lo : lo + min(size, SUBSET_KEYS)]:
            if text.isascii():  # a cheap test first: every word is in the casefolded text
                folded = text.casefold()
                if any(w not in folded for w in words):
                    continue
            have = normalise(text).split(" ")
            if all(w in have for w in words[:-1]) and any(h.startswith(words[-1]) for h in have):
                coverage = len(q) / max(len(" ".join(have)), 1)
                found.append((index, round(40 + 30 * coverage - 5 * (flags >> 1), 3), text))
        return found

    def _fuzzy(self, q: str):
        """Typo matches: OSA distance against the distinct whole keys of about the query's
        length and the distinct keys cut to its length (rapidfuzz, C++); each distinct text
        found leads to its keys by binary search, at most ``FUZZY_KEYS_PER_TEXT`` of them, so
        that the work depends on the vocabulary, not on how many articles share a title's
        words."""
        max_edits = 1 if len(q) < 8 else 2 if len(q) < 12 else 3
        found: dict[int, tuple[float, str]] = {}
        passes = [
            (self._whole[length].texts, True)
            for length in range(len(q) - max_edits, len(q) + max_edits + 1)
            if length in self._whole
        ]
        passes.append((self._cut(len(q)).texts, False))
        for choices, whole in passes:
            for choice, distance, _position in process.extract_iter(
                q, choices, scorer=OSA.distance, score_cutoff=max_edits
            ):
                lo = bisect.bisect_left(self._key_text, choice)
                if whole:
                    hi = bisect.bisect_right(self._key_text, choice, lo)
                else:
                    hi = bisect.bisect_left(self._key_text, choice + "\U0010ffff", lo)
                taken = 0
                for key, index, flags, text in self._keys[lo:hi]:
                    if not whole and len(key) <= len(q):
                        continue  # the whole key itself: compared in its own pass
                    penalty = (0 if whole else 2) + 3 * (flags >> 1) + (flags & 1)
                    score = round(50 - 10 * distance - penalty, 3)
                    if index not in found or score > found[index][0]:
                        found[index] = (score, text)
                    taken += 1
                    if taken >= FUZZY_KEYS_PER_TEXT:
                        break
        return [(index, score, text) for index, (score, text) in found.items()]

    def _cut(self, length: int) -> _Distinct:
        cut = self._cut_cache.get(length)
        if cut is None:
            cut = _Distinct(
                k[:length] for k in self._key_text if len(k) > length and _typo_matched(k)
            )
            if len(self._cut_cache) < 64:
                self._cut_cache[length] = cut
        return cut
