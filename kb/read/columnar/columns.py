"""The columns of the related-content index (``related_arrays``): what a snapshot directory
holds for it, written from either storage (``kb.read.related.RelatedIndex`` or the mapped one
with its overlay); ``kb.read.columnar.related`` reads them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from kb.read.columnar.tables import table_arrays
from kb.read.related_model import ABOUT, Article, normalise_url

ARTICLE_TEXT = ("title", "summary", "date", "pinned", "blocked")


def csr_arrays(lists: list[list[int]], name: str) -> dict[str, np.ndarray]:
    offsets = np.zeros(len(lists) + 1, dtype=np.int64)
    np.cumsum([len(items) for items in lists], out=offsets[1:])
    values = np.fromiter((v for items in lists for v in items), np.int32, int(offsets[-1]))
    return {f"{name}.offsets": offsets, f"{name}.ids": values}


def related_arrays(
    articles: Iterable[Article], url_choices: tuple[dict[str, str], dict[str, str]], weights
) -> dict[str, np.ndarray]:
    """The columns of an index holding ``articles``; ``url_choices`` is what ``find_url``
    answers per URL and per normalised URL (``url_choices()`` of either storage)."""
    ordered = sorted(articles, key=lambda a: a.key)
    row_of = {a.iri: row for row, a in enumerate(ordered)}
    concepts = sorted({c for a in ordered for c in (*a.about, *a.mentions)})
    concept_id = {c: i for i, c in enumerate(concepts)}
    arrays = table_arrays("concept", concepts, lookup=True)
    arrays |= table_arrays("iri", [a.iri for a in ordered], lookup=True)
    arrays |= table_arrays("url", [a.url for a in ordered], lookup=True)
    arrays |= table_arrays("normal_url", [normalise_url(a.url) for a in ordered], lookup=True)
    for field in ARTICLE_TEXT:
        values = [getattr(a, field) for a in ordered]
        texts = [" ".join(v) if isinstance(v, tuple) else v for v in values]
        arrays |= table_arrays(field, texts, lookup=False)
    arrays |= csr_arrays([[concept_id[c] for c in a.about] for a in ordered], "about")
    arrays |= csr_arrays([[concept_id[c] for c in a.mentions] for a in ordered], "mentions")
    cids, rows, roles = [], [], []
    for row, article in enumerate(ordered):
        for concept, role in article.concepts():
            cids.append(concept_id[concept])
            rows.append(row)
            roles.append(0 if role == ABOUT else 1)
    cid_array = np.array(cids, dtype=np.int64)
    order = np.argsort(cid_array, kind="stable")  # rows stay ascending within a concept
    role_array = np.array(roles, dtype=np.uint8)[order]
    counts = np.bincount(cid_array, minlength=len(concepts))
    offsets = np.zeros(len(concepts) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    arrays["post.offsets"] = offsets
    arrays["post.rows"] = np.array(rows, dtype=np.int32)[order]
    arrays["post.roles"] = role_array
    role_weight = np.array([weights.about, weights.mentions], dtype=np.float64)
    arrays["post.weights"] = role_weight[role_array]
    sorted_cids = cid_array[order]
    arrays["df.about"] = np.bincount(sorted_cids[role_array == 0], minlength=len(concepts))
    arrays["df.mentions"] = np.bincount(sorted_cids[role_array == 1], minlength=len(concepts))
    for name, choices in zip(("by_url", "by_normal_url"), url_choices, strict=True):
        keys = sorted(choices)
        arrays |= table_arrays(name, keys, lookup=True)
        arrays[f"{name}.row"] = np.array([row_of[choices[k]] for k in keys], dtype=np.int64)
    return arrays
