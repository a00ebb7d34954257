"""Editors' picks in the related-content answer.

Editors may pin articles to an article's related-content box, in order, and block others
(``PUT /api/v1/edit/articles/{id}/related``; stored on the article as ``hk:hasEditorsPick``
nodes and ``hk:blockedRelated`` links, docs/modelling.md, read into ``Article.pinned`` and
``Article.blocked`` by ``kb.read.loading``). The answer puts the pinned articles first, in
their order, with the reason "chosen by the editors"; never shows a blocked one; and fills the
rest from the ranking (``kb.read.related``), leaving out what is pinned or blocked. A pinned
article that no longer exists is skipped.
"""

from __future__ import annotations

from kb.read.related import RelatedIndex
from kb.read.related_model import Article

EDITORS_REASON = "chosen by the editors"


def related_with_picks(
    related: RelatedIndex, source: Article, k: int
) -> list[tuple[Article, float | None, list[str]]]:
    """The first ``k`` related articles of ``source``: (article, score or None for a pinned
    one, reasons)."""
    if k <= 0:
        return []
    blocked = set(source.blocked)
    pinned = [
        related.articles[iri]
        for iri in dict.fromkeys(source.pinned)
        if iri in related.articles and iri != source.iri and iri not in blocked
    ]
    hidden = blocked | {a.iri for a in pinned}
    ranked = related.related(source, k + len(hidden)) if len(pinned) < k else []
    rest = [(a, score, reasons) for a, score, reasons in ranked if a.iri not in hidden]
    return ([(a, None, [EDITORS_REASON]) for a in pinned] + rest)[:k]
