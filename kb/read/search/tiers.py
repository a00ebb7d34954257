"""The tiers read through a ``KeySource`` (any index: in memory, or memory-mapped with its
overlay), kept in one place so both answer alike: every word typed in another order or with
gaps (``word_subset_hits``) and typos corrected per word against the vocabulary
(``typo_hits``; the rules are in ``kb.read.search``'s docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from kb.read.search.entries import (
    FUZZY_KEYS_PER_TEXT,
    MAX_TYPO_SEQUENCES,
    MAX_TYPO_STEPS,
    SUBSET_KEYS,
    normalise,
)


def typo_budget(length: int) -> int:
    """Edits allowed in a word (or in a whole query) of ``length`` characters."""
    return 0 if length < 4 else 1 if length < 8 else 2 if length < 12 else 3


class KeySource(Protocol):
    """What the shared tiers (``word_subset_hits``, ``typo_hits``) read from an index; an
    entry is named by an int (``ref``) that only the index interprets."""

    longest_word: int

    def words(self, length: int) -> Sequence[str]:
        """The vocabulary's distinct words of ``length`` characters."""

    def word_starts(self, length: int) -> Sequence[str]:
        """``starts_of_longer_words(self, length)``, perhaps cached."""

    def prefix_count(self, prefix: str) -> int:
        """How many keys start with ``prefix``."""

    def prefix_keys(self, prefix: str, cap: int) -> list[tuple[str, int, int, str]]:
        """The first ``cap`` (key, ref, flags, text) starting with ``prefix``, in the order
        (key, entry id, flags, text)."""


def starts_of_longer_words(source: KeySource, length: int) -> list[str]:
    """The distinct first ``length`` characters of the vocabulary's longer words (what an
    unfinished last word is compared with)."""
    longer = range(length + 1, source.longest_word + 1)
    return sorted({w[:length] for m in longer for w in source.words(m)})


def _close_words(word: str, last: bool, source: KeySource, budget: int) -> list[tuple[str, int]]:
    """(vocabulary word or, for the last word, the start of one; edits), fewest edits first."""
    if budget <= 0 or word[:1].isdigit():
        return [(word, 0)]
    found: dict[str, int] = {}

    def compare(choices: Sequence[str]) -> None:
        if not len(choices):
            return
        distances = process.cdist(
            [word], choices, scorer=OSA.distance, score_cutoff=budget, dtype=np.int32
        )[0]
        for i in np.flatnonzero(distances <= budget).tolist():
            choice, distance = choices[i], int(distances[i])
            if distance < found.get(choice, budget + 1):
                found[choice] = distance

    for length in range(max(len(word) - budget, 1), len(word) + budget + 1):
        compare(source.words(length))
    if last:
        compare(source.word_starts(len(word)))
    return sorted(found.items(), key=lambda item: (item[1], item[0]))


def typo_sequences(q: str, source: KeySource) -> list[tuple[str, int]]:
    """(corrected query, edits) for the word sequences that start some key, 1 edit or more,
    fewest edits first, at most ``MAX_TYPO_SEQUENCES``."""
    budget = typo_budget(len(q))
    if budget == 0:
        return []
    words = q.split(" ")
    options = [
        _close_words(w, i == len(words) - 1, source, min(typo_budget(len(w)), budget))
        for i, w in enumerate(words)
    ]
    found: list[tuple[int, str]] = []
    steps = 0

    def extend(prefix: str, i: int, spent: int) -> None:
        nonlocal steps
        for word, distance in options[i]:
            if spent + distance > budget or steps >= MAX_TYPO_STEPS:
                continue
            steps += 1
            text = f"{prefix} {word}" if i else word
            last = i == len(words) - 1
            if source.prefix_count(text if last else text + " ") == 0:
                continue
            if not last:
                extend(text, i + 1, spent + distance)
            elif spent + distance:
                found.append((spent + distance, text))

    extend("", 0, 0)
    return [(text, edits) for edits, text in sorted(found)[:MAX_TYPO_SEQUENCES]]


def typo_hits(q: str, source: KeySource) -> list[tuple[int, float, str]]:
    """(ref, score, matched text) of the fuzzy tier, one per entry."""
    found: dict[int, tuple[float, str]] = {}
    for corrected, distance in typo_sequences(q, source):
        for key, ref, flags, text in source.prefix_keys(corrected, FUZZY_KEYS_PER_TEXT):
            penalty = (0 if key == corrected else 2) + 3 * (flags >> 1) + (flags & 1)
            score = round(50.0 - 10 * distance - penalty, 3)
            if ref not in found or score > found[ref][0]:
                found[ref] = (score, text)
    return [(ref, score, text) for ref, (score, text) in found.items()]


def word_subset_hits(q: str, source: KeySource) -> list[tuple[int, float, str]]:
    """Texts holding every word typed, in any order, with gaps ("microneedling hair loss"
    in "Microneedling for Hair Loss"; the last word may be unfinished): the keys of the
    query word with the fewest, at most ``SUBSET_KEYS`` of them, checked one by one."""
    words = q.split(" ")
    size, word = min((source.prefix_count(w), w) for w in words)
    found = []
    for _key, ref, flags, text in source.prefix_keys(word, min(size, SUBSET_KEYS)):
        if text.isascii():  # a cheap test first: every word is in the casefolded text
            folded = text.casefold()
            if any(w not in folded for w in words):
                continue
        have = normalise(text).split(" ")
        if all(w in have for w in words[:-1]) and any(h.startswith(words[-1]) for h in have):
            coverage = len(q) / max(len(" ".join(have)), 1)
            found.append((ref, round(40 + 30 * coverage - 5 * (flags >> 1), 3), text))
    return found
