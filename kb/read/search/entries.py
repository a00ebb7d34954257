"""Search entries and hits, text normalisation and the keys of a text: what the in-memory
index (``kb.read.search.index``) and the memory-mapped one (``kb.read.columnar.search``) share."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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


def key_match(query_length: int, key_length: int, flags: int) -> tuple[int, float]:
    """(tier, score) of a key that starts with the query (``flags``: 2 for a synonym, +1 for a
    key starting after the text's first word), for both indexes (in memory and mapped)."""
    if key_length == query_length and not flags & 1:
        return (TIER_SYNONYM, 95.0) if flags >> 1 else (TIER_EXACT, 100.0)
    coverage = query_length / key_length
    if flags & 1:  # from a later word of the label, title or synonym
        return TIER_WORDS, round(60 + 30 * coverage - 5 * (flags >> 1), 3)
    if flags >> 1:  # synonym
        return TIER_SYNONYM_PREFIX, round(60 + 30 * coverage, 3)
    return TIER_PREFIX, round(70 + 25 * coverage, 3)


MAX_QUERY_CHARS = 200
FUZZY_KEYS_PER_TEXT = 64  # keys read per corrected word sequence
MAX_TYPO_SEQUENCES = 32  # corrected word sequences looked up per query, fewest edits first
MAX_TYPO_STEPS = 2000  # word sequences tried (each a binary search) per query
SUBSET_KEYS = 2000  # keys read for a query of several words in another order or with gaps


def normalise(text: str) -> str:
    """Decomposed (NFKD), combining marks dropped, casefolded, every run of non-word
    characters one space, trimmed. ASCII text is its own NFKD form, has no combining marks
    and casefolds as it lower-cases: it skips the first two steps (same result)."""
    if text.isascii():
        return _NON_WORD.sub(" ", text.lower()).strip()
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


def entry_texts(entry: Entry) -> list[tuple[str, int]]:
    """(text, 1 for a synonym else 0): the label, then each synonym, in order."""
    return [(entry.label, 0)] + [(s, 1) for s in entry.synonyms]


def text_keys(text: str) -> list[tuple[str, int]]:
    """(key, 1 if it starts after the first word else 0) of one text: its normalised form
    under every word start."""
    words = normalise(text).split(" ")
    if words == [""]:
        return []
    return [(" ".join(words[start:]), int(start > 0)) for start in range(len(words))]


def entry_words(entry: Entry) -> list[str]:
    """The vocabulary's words of an entry, once per occurrence (counted, so that removals
    keep the vocabulary exact)."""
    return [w for text, _syn in entry_texts(entry) for w in normalise(text).split(" ") if w]


def _keys_of(index: int, entry: Entry):
    """(key, entry index, flags, original text) for the label and each synonym, under every
    word start; flags: 2 for a synonym, +1 for a key that starts after the first word."""
    for text, is_synonym in entry_texts(entry):
        for key, later in text_keys(text):
            yield (key, index, is_synonym * 2 + later, text)


def rank_of(entry: Entry, tier: int, score: float) -> tuple:
    """The sort key of a hit: tier, then higher score, then shorter label, label, id."""
    return (tier, -score, len(entry.label), entry.label.casefold(), entry.id)
