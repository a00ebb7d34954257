"""The scoring structures behind related content: insertion-ordered and sorted candidate lists and
the dense scorer."""

from __future__ import annotations

try:
    import numpy as np
except ImportError:  # pragma: no cover - numpy is normally installed
    np = None

import bisect

from kb.read.related_model import EPS


def _also(verb: str) -> str:
    """ "treats" -> "also treats"; "is a kind of" -> "is also a kind of"."""
    head, _, rest = verb.partition(" ")
    if head in ("is", "are", "has", "have") and rest:
        return f"{head} also {rest}"
    return f"also {verb}"


class _InsertSorted(dict):
    """Postings view whose lists take ``append`` as a sorted insert (for upserts)."""

    def __init__(self, postings: dict):
        super().__init__()
        self._postings = postings

    def setdefault(self, concept, default):
        lists = self._postings.get(concept)
        if lists is None:
            lists = ([], [])
            self._postings[concept] = lists
        return (_SortedList(lists[0]), _SortedList(lists[1]))


class _SortedList:
    def __init__(self, target: list):
        self.target = target

    def append(self, key: str) -> None:
        bisect.insort(self.target, key)


class _DenseScorer:
    """Exact scoring of every article at once, vectorised: one numpy row per article, one
    (rows, role weights) pair of arrays per concept. A query adds ``role x q(x)`` into a dense
    score array for each of its terms (O(sum of df) machine operations, no Python loop per
    posting), then selects the top k with a partition and breaks ties by the article's
    position in (URL, IRI) order. Scores are summed in concept order, like ``_score_key``, so
    both paths give bit-identical scores."""

    def __init__(self, index):  # a kb.read.related.RelatedIndex
        keys = sorted(index._vectors)
        self.sorted_keys = list(keys)
        self.key_of: list[str | None] = list(keys)
        self.row_of = {key: row for row, key in enumerate(keys)}
        self.pos = np.arange(len(keys), dtype=np.float64)  # rank in key order (ties)
        self.n = len(keys)
        rows: dict[str, list[int]] = {}
        weights: dict[str, list[float]] = {}
        for key, vector in index._vectors.items():
            row = self.row_of[key]
            for concept, role_w in vector:
                rows.setdefault(concept, []).append(row)
                weights.setdefault(concept, []).append(role_w)
        self.post = {
            c: (np.array(rows[c], dtype=np.int64), np.array(weights[c], dtype=np.float64))
            for c in rows
        }

    def add(self, key: str, vector) -> None:
        row = self.n
        self.n += 1
        self.key_of.append(key)
        self.row_of[key] = row
        i = bisect.bisect_left(self.sorted_keys, key)
        lo = self.pos[self.row_of[self.sorted_keys[i - 1]]] if i > 0 else -1.0
        hi = self.pos[self.row_of[self.sorted_keys[i]]] if i < len(self.sorted_keys) else lo + 2
        self.sorted_keys.insert(i, key)
        self.pos = np.append(self.pos, (lo + hi) / 2)
        if not lo < self.pos[row] < hi:  # float midpoints exhausted: renumber
            for rank, k in enumerate(self.sorted_keys):
                self.pos[self.row_of[k]] = rank
        for concept, role_w in vector:
            rows, weights = self.post.get(concept, (np.empty(0, np.int64), np.empty(0)))
            self.post[concept] = (np.append(rows, row), np.append(weights, role_w))

    def remove(self, key: str, vector) -> None:
        row = self.row_of.pop(key, None)
        if row is None:
            return
        self.key_of[row] = None
        i = bisect.bisect_left(self.sorted_keys, key)
        if i < len(self.sorted_keys) and self.sorted_keys[i] == key:
            del self.sorted_keys[i]
        for concept, _role_w in vector:
            rows, weights = self.post[concept]
            keep = rows != row
            self.post[concept] = (rows[keep], weights[keep])

    def top_k(self, weights: dict[str, float], source_key: str, k: int) -> list[tuple[float, str]]:
        if k <= 0 or not weights:
            return []
        scores = np.zeros(self.n)
        for concept in sorted(weights):
            posting = self.post.get(concept)
            if posting is not None:
                rows, role_w = posting
                scores[rows] += role_w * weights[concept]
        source = self.row_of.get(source_key)
        if source is not None:
            scores[source] = 0.0
        candidates = np.flatnonzero(scores > 0)
        if not len(candidates):
            return []
        values = scores[candidates]
        if len(candidates) > k:
            # keep everything that rounds to at least the k-th best score (ties included)
            kth = np.partition(values, len(values) - k)[len(values) - k]
            keep = values >= kth - 1e-8
            candidates, values = candidates[keep], values[keep]
        values = np.round(values, 9)
        order = np.lexsort((self.pos[candidates], -values))[:k]
        return [(float(values[i]), self.key_of[candidates[i]]) for i in order]


def maxscore_top_k(index, terms, source, k: int) -> list[tuple[float, str, str]]:
    """The exact top ``k`` of a ``kb.read.related.RelatedIndex`` without numpy (MaxScore,
    described there): (score, key, IRI)."""
    if k <= 0:
        return []
    weights = {c: v[0] for c, v in terms.items() if v[0] > 0}
    order = sorted(weights, key=lambda c: (-weights[c], index.df(c), c))
    about_w, mention_w = index.weights.about, index.weights.mentions
    top_role = max(about_w, mention_w)
    # An article has at most L concepts, so an article whose first query term (in this
    # order) is term i scores at most its weight there plus the L-1 largest later term
    # weights, i.e. the next L-1 in the order: tail[i] = sum of weights[i+1 : i+L].
    span = max(1, index.max_concepts)
    bounds = [weights[c] * top_role for c in order]
    prefix = [0.0]
    for b in bounds:
        prefix.append(prefix[-1] + b)
    n = len(order)

    def tail(i: int) -> float:  # sum of bounds[i+1 : i+span]
        return prefix[min(n, i + span)] - prefix[min(n, i + 1)]

    seen = {source.key}
    top: list[tuple[float, str, str]] = []  # (-score, key, iri), sorted, at most k
    blocks = sorted(((about_w, 0), (mention_w, 1)), key=lambda b: -b[0])
    score_key = index._score_key
    for i, concept in enumerate(order):
        rest = tail(i)
        if len(top) == k and bounds[i] + rest < -top[-1][0] - EPS:
            break  # later terms have smaller weights: no unseen article can enter
        lists = index.postings[concept]
        for role_w, which in blocks:
            bound = role_w * weights[concept] + rest
            if len(top) == k and bound < -top[-1][0] - EPS:
                continue
            for key in lists[which]:
                if len(top) == k:
                    kth_score = -top[-1][0]
                    if bound < kth_score - EPS or (bound <= kth_score + EPS and key > top[-1][1]):
                        break
                if key in seen:
                    continue
                seen.add(key)
                score = score_key(weights, key)
                if score <= 0:
                    continue
                entry = (-score, key, "")
                if len(top) < k:
                    bisect.insort(top, entry)
                elif entry < top[-1]:
                    top.pop()
                    bisect.insort(top, entry)
    return [(-neg, key, index._key_to_iri[key]) for neg, key, _ in top]
