"""The related-content index: which articles to show next to an article, and why.

Model
-----
An article ``A`` is a set of concepts with a role each: ``about`` (weight ``about``, default
1.0) or ``mentions`` (default 0.5). Its *query* spreads through the ontology: every concept
``c`` of ``A`` reaches

- itself (factor 1),
- its neighbours through the link properties (``hk:treats``, ``hk:actsThrough``,
  ``hk:mechanismInvolvedIn``, ``skos:broader``, either direction; factor = the property's
  weight), and
- its siblings sharing a target of such a link (``minoxidil`` and ``microneedling`` both treat
  androgenetic alopecia; factor = weight x ``sibling_factor``), and its co-targets (two
  conditions treated by one drug; same factor).

Each reached concept ``x`` gets ``q(x) = max over paths (role(c) x factor) x idf(x)`` with
``idf(x) = ln(1 + N / df(x))`` (``N`` articles, ``df`` the articles tagged with ``x``): rare
concepts count more. A candidate ``B`` scores ``sum over its concepts x of role_B(x) x q(x)``.
Results are ordered by score (descending, compared at 1e-9), then URL, then IRI: deterministic.
Reasons come from the best path of each contributing concept ("both about microneedling",
"minoxidil also treats androgenetic alopecia"), strongest first.

Evaluation: exact top-k with MaxScore-style pruning
---------------------------------------------------
Postings: for each concept, the articles tagged ``about`` and those tagged ``mentions``, each
sorted by (URL, IRI). Query terms are visited by decreasing upper bound ``q(x) x about``. When
term ``i`` is visited, an article not yet seen cannot contain any earlier term (or it would
have been seen, unless an earlier list was cut, which only happens for articles that already
cannot reach the top k), so it scores at most ``role x q(x_i) + sum of the bounds of the later
terms``. A list is abandoned as soon as that bound is below the k-th best score (or equal with
a larger sort key, since the list is in key order), and the whole loop stops when the bounds
of the remaining terms cannot reach the k-th score. Every article that is seen is scored
exactly from its own concept list. The answer is therefore *exactly* the top k of the full
scoring, not an approximation; only the amount of work depends on the data. Popular concepts
(tens of thousands of articles) carry small ``idf`` and sit at the end of the order, where
their lists are cut after a handful of postings. Worst case (an article tagged only with very
common concepts that all score alike) is O(sum of the df of its terms); the typical cost is
O(postings of the article's rare terms + k x terms). Answers are memoised per (article, k)
until the index changes.

Updates: ``upsert``/``remove`` change one article in O(c x log df) (binary search into each
of its ``c`` concept lists, plus a list insert), and clear the answer memo; ``idf`` is read
from the live list lengths, so no global recomputation is needed.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

EPS = 1e-9

ABOUT, MENTIONS = "about", "mentions"


@dataclass(frozen=True)
class Article:
    iri: str
    url: str
    title: str
    summary: str = ""
    date: str = ""
    about: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"{self.url}\x00{self.iri}"

    def concepts(self) -> list[tuple[str, str]]:
        """(concept, role), ``about`` winning when a concept is tagged both ways."""
        about = set(self.about)
        return [(c, ABOUT) for c in sorted(about)] + [
            (c, MENTIONS) for c in sorted(set(self.mentions) - about)
        ]


@dataclass(frozen=True)
class RelatedWeights:
    about: float = 1.0
    mentions: float = 0.5
    # Link property IRI -> weight of one hop through it.
    links: dict[str, float] = field(default_factory=dict)
    sibling_factor: float = 0.5
    # Concepts with more links than this are not expanded into siblings (hubs).
    hub_limit: int = 200
    max_reasons: int = 3


@dataclass(frozen=True)
class Link:
    """One ontology link ``subject --property--> object`` between two concepts."""

    subject: str
    property: str
    object: str


@dataclass(frozen=True)
class Path:
    """How a query concept was reached from a concept of the source article."""

    origin: str  # the source article's concept
    kind: str  # "self", "link", "sibling", "cotarget"
    link: Link | None = None
    via: str | None = None  # the shared target or source for siblings / co-targets


def normalise_url(url: str) -> str:
    """Scheme and host lower-cased, fragment dropped, trailing slash of the path dropped."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url
    path = parts.path.rstrip("/") or ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


class RelatedIndex:
    def __init__(
        self,
        articles: Iterable[Article],
        links: Iterable[Link],
        weights: RelatedWeights,
        labeller=None,
        verbs: dict[str, str] | None = None,
    ):
        self.weights = weights
        self.labeller = labeller or (lambda iri: iri.rsplit("/", 1)[-1])
        self.verbs = verbs or {}
        self._lock = threading.RLock()
        self.articles: dict[str, Article] = {}
        self.by_url: dict[str, str] = {}
        self.by_normal_url: dict[str, str] = {}
        # concept -> ([about article keys], [mention article keys]), each sorted
        self.postings: dict[str, tuple[list[str], list[str]]] = {}
        self._key_to_iri: dict[str, str] = {}
        self._memo: OrderedDict = OrderedDict()
        self._memo_size = 4096
        self._neighbours: dict[str, dict[str, tuple[float, Path]]] = {}
        self._build_links(links)
        staged: dict[str, tuple[list[str], list[str]]] = {}
        for article in articles:
            self._add(article, staged)
        for about, mentions in staged.values():
            about.sort()
            mentions.sort()
        self.postings = staged

    # -- maintenance ----------------------------------------------------------------------

    def _build_links(self, links: Iterable[Link]) -> None:
        out: dict[str, list[Link]] = {}
        inc: dict[str, list[Link]] = {}
        for link in sorted(set(links), key=lambda k: (k.subject, k.property, k.object)):
            if link.property not in self.weights.links or link.subject == link.object:
                continue
            out.setdefault(link.subject, []).append(link)
            inc.setdefault(link.object, []).append(link)
        self._out, self._in = out, inc

    def neighbours(self, concept: str) -> dict[str, tuple[float, Path]]:
        """Concepts reachable from ``concept`` with their best factor and path (memoised)."""
        cached = self._neighbours.get(concept)
        if cached is not None:
            return cached
        w = self.weights.links
        sib = self.weights.sibling_factor
        found: dict[str, tuple[float, Path]] = {concept: (1.0, Path(concept, "self"))}

        def offer(target: str, factor: float, path: Path):
            if factor <= 0:
                return
            current = found.get(target)
            if current is None or factor > current[0] + EPS:
                found[target] = (factor, path)

        for link in self._out.get(concept, ()):
            offer(link.object, w[link.property], Path(concept, "link", link))
            # siblings: others with the same link to the same target
            others = self._in.get(link.object, ())
            if len(others) <= self.weights.hub_limit:
                for other in others:
                    if other.property == link.property and other.subject != concept:
                        offer(
                            other.subject,
                            w[link.property] * sib,
                            Path(concept, "sibling", other, via=link.object),
                        )
        for link in self._in.get(concept, ()):
            offer(link.subject, w[link.property], Path(concept, "link", link))
            # co-targets: other objects of the same source through the same property
            others = self._out.get(link.subject, ())
            if len(others) <= self.weights.hub_limit:
                for other in others:
                    if other.property == link.property and other.object != concept:
                        offer(
                            other.object,
                            w[link.property] * sib,
                            Path(concept, "cotarget", other, via=link.subject),
                        )
        self._neighbours[concept] = found
        return found

    def _add(self, article: Article, postings) -> None:
        self.articles[article.iri] = article
        self._key_to_iri[article.key] = article.iri
        self.by_url.setdefault(article.url, article.iri)
        self.by_normal_url.setdefault(normalise_url(article.url), article.iri)
        for concept, role in article.concepts():
            lists = postings.setdefault(concept, ([], []))
            lists[0 if role == ABOUT else 1].append(article.key)

    def upsert(self, article: Article) -> None:
        """Adds or replaces one article: O(concepts x log df) plus list inserts."""
        with self._lock:
            self._remove(article.iri)
            self._add(article, _InsertSorted(self.postings))
            self._memo.clear()

    def remove(self, iri: str) -> None:
        with self._lock:
            self._remove(iri)
            self._memo.clear()

    def _remove(self, iri: str) -> None:
        old = self.articles.pop(iri, None)
        if old is None:
            return
        self._key_to_iri.pop(old.key, None)
        for table, url in ((self.by_url, old.url), (self.by_normal_url, normalise_url(old.url))):
            if table.get(url) == iri:
                del table[url]
                replacement = sorted(
                    (a.key, a.iri)
                    for a in self.articles.values()
                    if (a.url if table is self.by_url else normalise_url(a.url)) == url
                )
                if replacement:
                    table[url] = replacement[0][1]
        for concept, role in old.concepts():
            lists = self.postings.get(concept)
            if not lists:
                continue
            target = lists[0 if role == ABOUT else 1]
            position = bisect.bisect_left(target, old.key)
            if position < len(target) and target[position] == old.key:
                del target[position]
            if not lists[0] and not lists[1]:
                del self.postings[concept]

    # -- look-ups -------------------------------------------------------------------------

    def find_url(self, url: str) -> Article | None:
        iri = self.by_url.get(url) or self.by_normal_url.get(normalise_url(url))
        return self.articles.get(iri) if iri else None

    def df(self, concept: str) -> int:
        lists = self.postings.get(concept)
        return len(lists[0]) + len(lists[1]) if lists else 0

    def df_role(self, concept: str, role: str) -> int:
        lists = self.postings.get(concept)
        return len(lists[0 if role == ABOUT else 1]) if lists else 0

    def idf(self, concept: str) -> float:
        df = self.df(concept)
        return math.log(1 + len(self.articles) / df) if df else 0.0

    def articles_for(self, concept: str, role: str | None = None) -> list[Article]:
        lists = self.postings.get(concept, ([], []))
        keys = lists[0] + lists[1] if role is None else lists[0] if role == ABOUT else lists[1]
        return [self.articles[self._key_to_iri[k]] for k in keys]

    # -- ranking --------------------------------------------------------------------------

    def query_terms(self, article: Article) -> dict[str, tuple[float, Path, str]]:
        """concept -> (query weight incl. idf, best path, role of the origin in ``article``)."""
        role_weight = {ABOUT: self.weights.about, MENTIONS: self.weights.mentions}
        best: dict[str, tuple[float, Path, str]] = {}
        for concept, role in article.concepts():
            for target, (factor, path) in self.neighbours(concept).items():
                if target not in self.postings:
                    continue
                value = role_weight[role] * factor
                current = best.get(target)
                if current is None or value > current[0] + EPS:
                    best[target] = (value, path, role)
        return {c: (v * self.idf(c), p, r) for c, (v, p, r) in best.items()}

    def related(self, article: Article, k: int) -> list[tuple[Article, float, list[str]]]:
        """The ``k`` best other articles, exactly, with their scores and reasons."""
        with self._lock:
            memo_key = (article.iri, k)
            cached = self._memo.get(memo_key)
            if cached is not None:
                self._memo.move_to_end(memo_key)
                return cached
            terms = self.query_terms(article)
            top = self._top_k(terms, article, k)
            result = [
                (self.articles[iri], score, self._reasons(terms, self.articles[iri]))
                for score, _key, iri in top
            ]
            self._memo[memo_key] = result
            if len(self._memo) > self._memo_size:
                self._memo.popitem(last=False)
            return result

    def _score(self, weights: dict[str, float], candidate: Article) -> float:
        about, mentions = self.weights.about, self.weights.mentions
        total = 0.0
        for concept, role in candidate.concepts():
            w = weights.get(concept)
            if w:
                total += (about if role == ABOUT else mentions) * w
        return round(total, 9)

    def _top_k(self, terms, source: Article, k: int) -> list[tuple[float, str, str]]:
        if k <= 0:
            return []
        weights = {c: v[0] for c, v in terms.items() if v[0] > 0}
        order = sorted(weights, key=lambda c: (-weights[c], self.df(c), c))
        about_w, mention_w = self.weights.about, self.weights.mentions
        top_role = max(about_w, mention_w)
        remaining = [0.0] * (len(order) + 1)
        for i in range(len(order) - 1, -1, -1):
            remaining[i] = remaining[i + 1] + weights[order[i]] * top_role
        seen = {source.key}
        top: list[tuple[float, str, str]] = []  # (-score, key, iri), sorted, at most k
        blocks = sorted(((about_w, 0), (mention_w, 1)), key=lambda b: -b[0])
        for i, concept in enumerate(order):
            if len(top) == k and remaining[i] < -top[-1][0] - EPS:
                break
            lists = self.postings[concept]
            for role_w, which in blocks:
                bound = role_w * weights[concept] + remaining[i + 1]
                cut = False
                for key in lists[which]:
                    if len(top) == k:
                        kth_score, kth_key = -top[-1][0], top[-1][1]
                        if bound < kth_score - EPS or (bound <= kth_score + EPS and key > kth_key):
                            cut = True
                            break
                    if key in seen:
                        continue
                    seen.add(key)
                    iri = self._key_to_iri[key]
                    score = self._score(weights, self.articles[iri])
                    if score <= 0:
                        continue
                    entry = (-score, key, iri)
                    if len(top) < k:
                        bisect.insort(top, entry)
                    elif entry < top[-1]:
                        top.pop()
                        bisect.insort(top, entry)
                if cut and len(top) == k:
                    continue  # the next block has a lower bound: it is cut at once
        return [(-neg, key, iri) for neg, key, iri in top]

    def _reasons(self, terms, candidate: Article) -> list[str]:
        about, mentions = self.weights.about, self.weights.mentions
        contributions = []
        for concept, role in candidate.concepts():
            term = terms.get(concept)
            if not term or term[0] <= 0:
                continue
            value = (about if role == ABOUT else mentions) * term[0]
            contributions.append((-value, concept, self._reason(term[1], term[2], concept, role)))
        contributions.sort()
        reasons: list[str] = []
        for _v, _c, text in contributions:
            if text not in reasons:
                reasons.append(text)
            if len(reasons) >= self.weights.max_reasons:
                break
        return reasons

    def _verb(self, prop: str) -> str:
        return self.verbs.get(prop) or self.labeller(prop)

    def _reason(self, path: Path, source_role: str, concept: str, role: str) -> str:
        label = self.labeller
        if path.kind == "self":
            if source_role == ABOUT and role == ABOUT:
                return f"both about {label(concept)}"
            if source_role == MENTIONS and role == MENTIONS:
                return f"both mention {label(concept)}"
            # Said from the related article's side.
            return f"about {label(concept)}" if role == ABOUT else f"mentions {label(concept)}"
        link = path.link
        verb = self._verb(link.property)
        if path.kind == "link":
            return f"{label(link.subject)} {verb} {label(link.object)}"
        if path.kind == "sibling":  # concept and origin share the object ``via``
            return f"{label(concept)} {_also(verb)} {label(path.via)}"
        # co-target: ``via`` links to both the origin and ``concept``
        return f"{label(path.via)} {verb} both {label(path.origin)} and {label(concept)}"


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
