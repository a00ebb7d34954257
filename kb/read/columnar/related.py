"""The related-content index as memory-mapped columns (``MappedRelatedIndex``), with an
in-memory overlay of the articles changed since the snapshot.

Columns (row = the article's rank in (URL, IRI) order, i.e. ``Article.key`` order, which is
also the tie-break of the ranking):

- per article: string tables ``iri``, ``url``, ``normal_url`` (looked up by value), ``title``,
  ``summary``, ``date``, ``pinned`` and ``blocked`` (IRIs joined by spaces); ``about`` and
  ``mentions`` as CSR lists of concept ids in the article's own order;
- ``concept``: the tagged concepts sorted by IRI (a concept id is its rank, so adding terms in
  id order is adding them in IRI order, as ``kb.read.scoring._DenseScorer`` does);
- postings in CSR form: ``post.offsets`` per concept, then ``post.rows`` (ascending),
  ``post.weights`` (the role weight) and ``post.roles`` (0 about, 1 mentions); ``df.about``
  and ``df.mentions`` per concept;
- ``by_url`` / ``by_normal_url``: each distinct URL with the row ``find_url`` answers.

The overlay holds the articles written since (``upsert``/``remove``): base rows it replaced or
removed are dead, its own articles are extra rows after the base ones, and per-concept counts
and URL choices are corrected. Scores are summed per row in concept IRI order and ties broken
by key, like the in-memory index, so answers are bit-identical to a ``RelatedIndex`` holding
the same articles. A new snapshot (``kb.read.columnar.columns.related_arrays`` of this index)
folds the overlay in.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping

import numpy as np

from kb.read.columnar.columns import ARTICLE_TEXT
from kb.read.columnar.tables import StringTable
from kb.read.columnar.topk import Term, pruned_scores
from kb.read.related import RelatedRanking
from kb.read.related_model import ABOUT, Article, RelatedWeights, normalise_url

# IRIs linked concepts lead to that no article of the base has, remembered per worker (a query
# looks each of its neighbours up: at 10M triples 40 of them per query, each a hash and a search
# of the concept table)
MAX_REMEMBERED_ABSENT = 100_000


class _BaseKeys:
    """The base rows' keys as a sequence (for ``bisect``)."""

    def __init__(self, index: MappedRelatedIndex):
        self.index = index

    def __len__(self) -> int:
        return self.index._n

    def __getitem__(self, row: int) -> str:
        return f"{self.index._url[row]}\x00{self.index._iri[row]}"


class _Articles(Mapping):
    """IRI -> ``Article`` over the base rows that are alive and the overlay's articles."""

    def __init__(self, index: MappedRelatedIndex):
        self.index = index

    def __getitem__(self, iri: str) -> Article:
        found = self.index._extra.get(iri)
        if found is not None:
            return found
        row = self.index._iri.first(iri)
        if row is None or row in self.index._dead:
            raise KeyError(iri)
        return self.index._article(row)

    def __iter__(self) -> Iterator[str]:
        dead, table = self.index._dead, self.index._iri
        yield from (table[row] for row in range(self.index._n) if row not in dead)
        yield from list(self.index._extra)

    def __len__(self) -> int:
        return self.index._n - len(self.index._dead) + len(self.index._extra)

    def values(self) -> list[Article]:  # type: ignore[override]
        """Every article (base rows decoded column by column, then the overlay's)."""
        return self.index._all_base_articles() + list(self.index._extra.values())

    def items(self) -> list[tuple[str, Article]]:  # type: ignore[override]
        return [(a.iri, a) for a in self.values()]


class MappedRelatedIndex(RelatedRanking):
    """The related-content index over a snapshot's mapped columns plus the overlay."""

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        links_out: dict,
        links_in: dict,
        weights: RelatedWeights,
        labeller=None,
        verbs: dict[str, str] | None = None,
    ):
        self._init_ranking(weights, labeller, verbs)
        self._out, self._in = links_out, links_in
        self._a = arrays
        self._iri = StringTable(arrays, "iri")
        self._url = StringTable(arrays, "url")
        self._normal_url = StringTable(arrays, "normal_url")
        self._concept = StringTable(arrays, "concept")
        self._text = {field: StringTable(arrays, field) for field in ARTICLE_TEXT}
        self._by_url = StringTable(arrays, "by_url")
        self._by_normal_url = StringTable(arrays, "by_normal_url")
        self._n = len(self._iri)
        self._concept_ids: dict[str, int] = {}
        self._not_in_base: set[str] = set()
        self._keys = _BaseKeys(self)
        self.articles = _Articles(self)
        # the overlay: base rows replaced or removed, articles written since, corrections
        self._dead: set[int] = set()
        self._extra: dict[str, Article] = {}
        self._df_delta: dict[str, list[int]] = {}  # concept -> [about, mentions]
        self._url_choice: dict[str, str | None] = {}
        self._normal_choice: dict[str, str | None] = {}
        self._scoring_overlay = None  # built from the overlay when first needed
        self._base_max_concepts: int | None = None
        self._extra_max_concepts: int | None = None

    # -- the base rows --------------------------------------------------------------------

    def _concepts_of(self, row: int, name: str) -> tuple[str, ...]:
        offsets, ids = self._a[f"{name}.offsets"], self._a[f"{name}.ids"]
        return tuple(self._concept[int(i)] for i in ids[offsets[row] : offsets[row + 1]])

    def _article(self, row: int) -> Article:
        text = {field: table[row] for field, table in self._text.items()}
        return Article(
            iri=self._iri[row],
            url=self._url[row],
            title=text["title"],
            summary=text["summary"],
            date=text["date"],
            about=self._concepts_of(row, "about"),
            mentions=self._concepts_of(row, "mentions"),
            pinned=tuple(text["pinned"].split()),
            blocked=tuple(text["blocked"].split()),
        )

    def _cid(self, concept: str) -> int | None:
        """The concept's id in the base (memoised: at most one entry per concept; concepts
        of the graph that no article of the base has, which links lead to, up to a bound)."""
        found = self._concept_ids.get(concept)
        if found is None and concept not in self._not_in_base:
            found = self._concept.first(concept)
            if found is not None:
                self._concept_ids[concept] = found
            elif len(self._not_in_base) < MAX_REMEMBERED_ABSENT:
                self._not_in_base.add(concept)
        return found

    def _all_base_articles(self) -> list[Article]:
        """The live base rows as ``Article``s, decoded a column at a time (the listing of
        every article: about 30 times faster than one row at a time)."""
        columns = {field: self._text[field].strings() for field in ("title", "summary", "date")}
        iris, urls = self._iri.strings(), self._url.strings()
        pinned, blocked = self._text["pinned"].strings(), self._text["blocked"].strings()
        concepts = self._concept.strings()
        tags = {}
        for name in ("about", "mentions"):
            offsets = self._a[f"{name}.offsets"].tolist()
            names = [concepts[i] for i in self._a[f"{name}.ids"].tolist()]
            tags[name] = [tuple(names[offsets[r] : offsets[r + 1]]) for r in range(self._n)]
        return [
            Article(
                iri=iris[row],
                url=urls[row],
                title=columns["title"][row],
                summary=columns["summary"][row],
                date=columns["date"][row],
                about=tags["about"][row],
                mentions=tags["mentions"][row],
                pinned=tuple(pinned[row].split()),
                blocked=tuple(blocked[row].split()),
            )
            for row in range(self._n)
            if row not in self._dead
        ]

    def _live_row(self, iri: str) -> int | None:
        row = self._iri.first(iri)
        return None if row is None or row in self._dead else row

    # -- the overlay ----------------------------------------------------------------------

    def upsert(self, article: Article) -> None:
        """Adds or replaces one article in the overlay."""
        with self._lock:
            self._remove(article.iri)
            self._extra[article.iri] = article
            self._count(article, +1)
            for choices, url in self._url_tables(article.url):
                if self._chosen(choices, url) is None:
                    choices[url] = article.iri
            self._changed()

    def remove(self, iri: str) -> None:
        with self._lock:
            self._remove(iri)
            self._changed()

    def _remove(self, iri: str) -> None:
        old = self._extra.pop(iri, None)
        if old is None:
            row = self._live_row(iri)
            if row is None:
                return
            old = self._article(row)
            self._dead.add(row)
        self._count(old, -1)
        for choices, url in self._url_tables(old.url):
            if self._chosen(choices, url) == iri:
                holders = self._holders(choices, url)
                choices[url] = min(holders)[1] if holders else None

    def _changed(self) -> None:
        self._scoring_overlay = None
        self._extra_max_concepts = None
        self._memo.clear()

    def _count(self, article: Article, step: int) -> None:
        for concept, role in article.concepts():
            delta = self._df_delta.setdefault(concept, [0, 0])
            delta[0 if role == ABOUT else 1] += step

    def _url_tables(self, url: str):
        return ((self._url_choice, url), (self._normal_choice, normalise_url(url)))

    def _chosen(self, choices: dict, url: str) -> str | None:
        if url in choices:
            return choices[url]
        normal = choices is self._normal_choice
        table = self._by_normal_url if normal else self._by_url
        found = table.first(url)
        if found is None:
            return None
        return self._iri[int(self._a[f"{'by_normal_url' if normal else 'by_url'}.row"][found])]

    def _holders(self, choices: dict, url: str) -> list[tuple[str, str]]:
        """(key, IRI) of the live articles with this URL (normalised for that table)."""
        normal = choices is self._normal_choice
        table = self._normal_url if normal else self._url
        found = [
            (self._keys[row], self._iri[row]) for row in table.find(url) if row not in self._dead
        ]
        for article in self._extra.values():
            if (normalise_url(article.url) if normal else article.url) == url:
                found.append((article.key, article.iri))
        return found

    def url_choices(self) -> tuple[dict[str, str], dict[str, str]]:
        """What ``find_url`` answers, per URL and per normalised URL (for a new snapshot)."""
        out = []
        for name, choices in (("by_url", self._url_choice), ("by_normal_url", self._normal_choice)):
            table, rows = StringTable(self._a, name), self._a[f"{name}.row"]
            merged = {table[i]: self._iri[int(rows[i])] for i in range(len(table))}
            merged.update(choices)
            out.append({url: iri for url, iri in merged.items() if iri is not None})
        return out[0], out[1]

    # -- look-ups -------------------------------------------------------------------------

    def find_url(self, url: str) -> Article | None:
        iri = self._chosen(self._url_choice, url) or self._chosen(
            self._normal_choice, normalise_url(url)
        )
        return self.articles.get(iri) if iri else None

    def df_role(self, concept: str, role: str) -> int:
        which = 0 if role == ABOUT else 1
        cid = self._cid(concept)
        base = 0 if cid is None else int(self._a["df.about" if which == 0 else "df.mentions"][cid])
        delta = self._df_delta.get(concept)
        return base + (delta[which] if delta else 0)

    def df(self, concept: str) -> int:
        return self.df_role(concept, ABOUT) + self.df_role(concept, "mentions")

    def _has_concept(self, concept: str) -> bool:
        return self.df(concept) > 0

    def articles_for(self, concept: str, role: str | None = None) -> list[Article]:
        roles = (0, 1) if role is None else (0 if role == ABOUT else 1,)
        cid = self._cid(concept)
        out: list[Article] = []
        for which in roles:
            found: list[tuple[str, Article]] = []
            if cid is not None:
                start, end = self._a["post.offsets"][cid : cid + 2]
                rows = self._a["post.rows"][start:end][self._a["post.roles"][start:end] == which]
                found = [(self._keys[int(r)], int(r)) for r in rows if int(r) not in self._dead]
                found = [(key, self._article(row)) for key, row in found]
            wanted = ABOUT if which == 0 else "mentions"
            for article in self._extra.values():
                if (concept, wanted) in article.concepts():
                    found.append((article.key, article))
            out.extend(article for _key, article in sorted(found, key=lambda f: f[0]))
        return out

    # -- ranking --------------------------------------------------------------------------

    def _score(self, weights: dict[str, float], candidate: Article) -> float:
        role_weight = {ABOUT: self.weights.about, "mentions": self.weights.mentions}
        vector = sorted((c, role_weight[r]) for c, r in candidate.concepts())
        return round(sum(rw * weights.get(c, 0.0) for c, rw in vector), 9)

    def _overlay_scoring(self):
        """(extra articles in key order, their tie-break positions, their postings)."""
        if self._scoring_overlay is None:
            extra = sorted(self._extra.values(), key=lambda a: a.key)
            slots = [bisect.bisect_left(self._keys, a.key) for a in extra]
            positions = np.empty(len(extra))
            for i, slot in enumerate(slots):  # between base rows slot-1 and slot, in key order
                same = [j for j, s in enumerate(slots) if s == slot]
                positions[i] = slot - 1 + (same.index(i) + 1) / (len(same) + 1)
            role_weight = {ABOUT: self.weights.about, "mentions": self.weights.mentions}
            postings: dict[str, tuple[list[int], list[float]]] = {}
            for i, article in enumerate(extra):
                for concept, role in article.concepts():
                    rows, weights = postings.setdefault(concept, ([], []))
                    rows.append(self._n + i)
                    weights.append(role_weight[role])
            arrays = {
                c: (np.array(r, dtype=np.int64), np.array(w, dtype=np.float64))
                for c, (r, w) in postings.items()
            }
            dead = np.fromiter(sorted(self._dead), np.int64, len(self._dead))
            self._scoring_overlay = (extra, positions, arrays, dead)
        return self._scoring_overlay

    def _max_concepts(self) -> int:
        """The most concepts an article has (``max_concepts`` of the in-memory index; the
        ``span`` of kb.read.columnar.topk)."""
        if self._base_max_concepts is None:
            about, mentions = (np.diff(self._a[f"{n}.offsets"]) for n in ("about", "mentions"))
            self._base_max_concepts = int((about + mentions).max()) if self._n else 0
        if self._extra_max_concepts is None:  # until the overlay changes
            self._extra_max_concepts = max(
                (len(a.concepts()) for a in self._extra.values()), default=0
            )
        return max(1, self._base_max_concepts, self._extra_max_concepts)

    def _source_row(self, source: Article, extra: list[Article]) -> int | None:
        """The row of the article asked about (it is never its own related article)."""
        if source.iri in self._extra:
            if self._extra[source.iri].key == source.key:
                return self._n + extra.index(self._extra[source.iri])
            return None
        row = self._live_row(source.iri)
        return row if row is not None and self._keys[row] == source.key else None

    def _terms(self, weights: dict[str, float], extra_postings) -> list[Term]:
        """The query's terms in summation order, each with its base and overlay posting."""
        offsets, rows, role_w = (
            self._a["post.offsets"],
            self._a["post.rows"],
            self._a["post.weights"],
        )
        terms = []
        for concept in sorted(weights):
            cid = self._cid(concept)
            start, end = (int(offsets[cid]), int(offsets[cid + 1])) if cid is not None else (0, 0)
            posting = extra_postings.get(concept)
            if posting is None:
                terms.append(Term(weights[concept], rows[start:end], role_w[start:end]))
            else:  # overlay rows come after every base row: the posting stays ascending
                terms.append(
                    Term(
                        weights[concept],
                        np.concatenate([rows[start:end], posting[0]]),
                        np.concatenate([role_w[start:end], posting[1]]),
                    )
                )
        return terms

    def _ranked(self, terms, source: Article, k: int) -> list[tuple[float, str, str]]:
        weights = {c: v[0] for c, v in terms.items() if v[0] > 0}
        if k <= 0 or not weights:
            return []
        extra, positions, extra_postings, dead = self._overlay_scoring()
        query = self._terms(weights, extra_postings)
        source_row = self._source_row(source, extra)
        excluded = dead if source_row is None else np.append(dead, source_row)
        top_role = max(self.weights.about, self.weights.mentions)
        found = pruned_scores(query, k, self._max_concepts(), top_role, np.sort(excluded))
        if found is not None:
            candidates, values = found
        else:  # every article's score
            scores = np.zeros(self._n + len(extra))
            for term in query:
                scores[term.rows] += term.role_weights * term.weight
            scores[excluded] = 0.0
            candidates = np.flatnonzero(scores > 0)
            values = scores[candidates]
        if not len(candidates):
            return []
        if len(candidates) > k:  # everything that rounds to at least the k-th best score
            kth = np.partition(values, len(values) - k)[len(values) - k]
            keep = values >= kth - 1e-8
            candidates, values = candidates[keep], values[keep]
        values = np.round(values, 9)
        position = np.where(
            candidates < self._n,
            candidates,
            positions[np.maximum(candidates - self._n, 0)] if len(extra) else 0,
        )
        order = np.lexsort((position, -values))[:k]
        top = []
        for i in order:
            row = int(candidates[i])
            if row < self._n:
                top.append((float(values[i]), self._keys[row], self._iri[row]))
            else:
                article = extra[row - self._n]
                top.append((float(values[i]), article.key, article.iri))
        return top
