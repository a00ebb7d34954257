"""Autocomplete over labels and synonyms: a normalised prefix index plus typo-tolerant matching.

Text is normalised once (Unicode NFKD, combining marks dropped, casefolded, punctuation turned
into spaces, whitespace collapsed), so "Alopécia" and "alopecia" are the same key. Every label
and synonym is indexed under its full text and under each word-start suffix ("androgenetic
alopecia" is also found as "alopecia ..."), in one sorted list: a prefix query is two binary
searches, O(log n + hits).

Typos are caught by restricted Damerau-Levenshtein distance (rapidfuzz's OSA, transpositions
count as one edit) against the same keys, whole and cut to the query's length (so a typo in a
half-typed word still matches): at most 1 edit for 4-7 characters, 2 from 8, 3 from 12.
Fuzzy matching runs only when the exact and prefix tiers leave room in the page.

Ranking: exact label > label prefix > synonym (exact, then prefix) > fuzzy; inside a tier, a
higher score (closer, shorter) first, then label, then id: the same query always gives the
same order. One hit per entity: its best match.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)

TIER_EXACT, TIER_PREFIX, TIER_SYNONYM, TIER_FUZZY = 0, 1, 2, 3
KIND_NAMES = {
    TIER_EXACT: "exact",
    TIER_PREFIX: "prefix",
    TIER_SYNONYM: "synonym",
    TIER_FUZZY: "fuzzy",
}
MAX_QUERY_CHARS = 200


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


@dataclass(frozen=True)
class Hit:
    entry: Entry
    matched: str
    kind: str
    score: float
    tier: int

    def as_json(self) -> dict:
        return {
            "id": self.entry.id,
            "iri": self.entry.iri,
            "label": self.entry.label,
            "type": self.entry.type,
            "matched": self.matched,
            "match": self.kind,
            "score": self.score,
        }


class SearchIndex:
    def __init__(self, entries: list[Entry]):
        self.entries = sorted(entries, key=lambda e: e.id)
        keys: list[tuple[str, int, int, str]] = []  # (key, entry index, is_synonym, original)
        for index, entry in enumerate(self.entries):
            texts = [(entry.label, 0)] + [(s, 1) for s in entry.synonyms]
            for text, is_synonym in texts:
                norm = normalise(text)
                if not norm:
                    continue
                words = norm.split(" ")
                for start in range(len(words)):
                    keys.append(
                        (" ".join(words[start:]), index, is_synonym * 2 + (start > 0), text)
                    )
        keys.sort()
        self._keys = keys
        self._key_text = [k[0] for k in keys]
        # Full normalised texts only (no suffixes) for the exact tier.
        self._exact: dict[str, list[tuple[int, int, str]]] = {}
        for key, index, flags, text in keys:
            if flags & 1 == 0:
                self._exact.setdefault(key, []).append((index, flags >> 1, text))
        self._cut_cache: dict[int, list[str]] = {}
        self.types = sorted({t for e in self.entries for t in e.types})

    def __len__(self) -> int:
        return len(self.entries)

    def search(self, query: str, *, type_: str | None = None, limit: int = 10, offset: int = 0):
        """(total, hits): the ranked page and how many entities matched in all."""
        q = normalise(query[:MAX_QUERY_CHARS])
        if not q:
            return 0, []
        best: dict[int, tuple] = {}

        def offer(index: int, tier: int, score: float, matched: str):
            entry = self.entries[index]
            if type_ and type_ not in entry.types:
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
            if flags >> 1:  # synonym
                offer(index, TIER_SYNONYM, round(60 + 30 * coverage - 5 * (flags & 1), 3), text)
            else:
                offer(index, TIER_PREFIX, round(70 + 25 * coverage - 10 * (flags & 1), 3), text)
        if len(q) >= 4 and len(best) < offset + limit:
            for index, score, text in self._fuzzy(q):
                offer(index, TIER_FUZZY, score, text)
        ranked = sorted(best.items(), key=lambda item: item[1][0])
        hits = [
            Hit(self.entries[i], matched, KIND_NAMES[rank[0]], -rank[1], rank[0])
            for i, (rank, matched) in ranked[offset : offset + limit]
        ]
        return len(ranked), hits

    def _fuzzy(self, q: str):
        max_edits = 1 if len(q) < 8 else 2 if len(q) < 12 else 3
        found: dict[int, tuple[float, str]] = {}
        for choices in (self._key_text, self._cut(len(q))):
            for _choice, distance, position in process.extract_iter(
                q, choices, scorer=OSA.distance, score_cutoff=max_edits
            ):
                key, index, flags, text = self._keys[position]
                whole = len(choices[position]) == len(key)
                score = round(50 - 10 * distance - (0 if whole else 2) - 3 * (flags >> 1), 3)
                if index not in found or score > found[index][0]:
                    found[index] = (score, text)
        return [(index, score, text) for index, (score, text) in found.items()]

    def _cut(self, length: int) -> list[str]:
        cut = self._cut_cache.get(length)
        if cut is None:
            cut = [k[:length] for k in self._key_text]
            if len(self._cut_cache) < 64:
                self._cut_cache[length] = cut
        return cut
