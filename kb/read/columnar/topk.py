"""The articles that can be among the top k of a related-content query, scored exactly, without
touching every article when the query's rare concepts decide the answer.

A query term is a concept with a weight; its posting is the rows of the articles tagged with it
(ascending) and each one's role weight. An article's score is the sum, over the terms it has, in
the caller's order, of role weight x term weight. Scoring densely (an array of every article,
every posting added to it) costs the length of the longest postings: at 10M triples a concept
on a third of the 720k articles made a query 10-50 ms.

Here the terms are split by posting length. The rows of the short postings are the candidates.
An article that is not a candidate has only long-posting terms, so its score is at most the sum
of the ``span`` largest long-posting weights times the largest role weight (``span``: the most
concepts an article has). The candidates are scored exactly: for each term in the caller's
order, a binary search of the shorter of its posting and the candidates in the other, and the
same product added to the same running sum, so every score is bit-identical to the dense
scorer's. When the k-th best
candidate scores above that bound (with a margin far above rounding), no other article can
reach the selection, and the candidates are the answer's only contenders; otherwise the
caller scores densely, as before. Queries whose postings are short in all (``DENSE_BELOW``
rows; at 1M triples most of them) are scored densely too: there it is as fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MARGIN = 2e-8  # above the selection's own 1e-8 tolerance and any rounding of the sums
SHORT_POSTING = 8192  # rows; longer postings are only searched, never enumerated
DENSE_BELOW = 65536  # posting rows in all: below, the dense scorer is the cheaper (1M triples)
MAX_CANDIDATES = 32768  # rows enumerated at most; beyond, dense scoring is as cheap


@dataclass(frozen=True)
class Term:
    """One query term: its weight, and its posting (rows ascending, their role weights)."""

    weight: float
    rows: np.ndarray
    role_weights: np.ndarray


def pruned_scores(
    terms: list[Term], k: int, span: int, top_role: float, excluded: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """(rows, exact scores) of every article that can be among the ``k`` best, or None when
    the short postings do not settle it (score densely). ``terms`` in summation order;
    ``excluded`` rows (the source article, removed rows) never count."""
    if sum(len(t.rows) for t in terms) < DENSE_BELOW:
        return None
    # the shortest postings enumerate the candidates, as many as the budget allows
    short, budget = set(), MAX_CANDIDATES
    for index in sorted(range(len(terms)), key=lambda i: len(terms[i].rows)):
        size = len(terms[index].rows)
        if size > SHORT_POSTING or size > budget:
            break
        short.add(index)
        budget -= size
    if not short or k <= 0:
        return None
    long_weights = sorted((t.weight for i, t in enumerate(terms) if i not in short), reverse=True)
    candidates = np.unique(np.concatenate([terms[i].rows for i in short]))
    if len(excluded):
        candidates = candidates[~np.isin(candidates, excluded)]
    if len(candidates) < k:
        return None
    scores = np.zeros(len(candidates))
    for term in terms:  # the dense scorer's ``scores[rows] += role_weights * weight``
        if len(term.rows) <= len(candidates):  # find the posting's rows among the candidates
            at = np.searchsorted(candidates, term.rows)
            inside = at < len(candidates)
            found = np.zeros(len(term.rows), dtype=bool)
            found[inside] = candidates[at[inside]] == term.rows[inside]
            scores[at[found]] += term.role_weights[found] * term.weight
        else:  # find the candidates in the posting
            at = np.searchsorted(term.rows, candidates)
            inside = at < len(term.rows)
            member = np.zeros(len(candidates), dtype=bool)
            member[inside] = term.rows[at[inside]] == candidates[inside]
            scores[member] += term.role_weights[at[member]] * term.weight
    outside_bound = sum(long_weights[:span]) * top_role
    kth = np.partition(scores, len(scores) - k)[len(scores) - k]
    if not outside_bound < kth - MARGIN:
        return None
    keep = scores > 0
    return candidates[keep], scores[keep]
