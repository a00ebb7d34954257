"""Deprecated terms and their successors in the read indexes.

A term is deprecated when it has ``owl:deprecated true``; its successor is the object of
``dcterms:isReplacedBy`` or ``obo:IAO_0100001`` (``kb.rdf.REPLACED_BY``). A deprecated term
still resolves (cards and pages say so and link the successor), search leaves it out unless
asked, and the related-content index counts an article tagged with it as tagged with its *live*
successor: the end of the chain of successors, followed until a term that is not deprecated.
A chain that ends at a deprecated term without a successor, or that loops (the shapes refuse
both, but a remote store may hold anything), gives no live successor: the tag is kept as it is.
"""

from __future__ import annotations

from dataclasses import replace

from kb.rdf import OWL_DEPRECATED, REPLACED_BY
from kb.read.entities import ConceptGraph, Lit
from kb.read.related_model import Article


def is_deprecated(graph: ConceptGraph, iri: str) -> bool:
    return any(
        isinstance(v, Lit) and v.value.strip().lower() in ("true", "1")
        for v in graph.values(iri, OWL_DEPRECATED)
    )


def successor(graph: ConceptGraph, iri: str) -> str | None:
    """The direct successor named on ``iri`` (the first, by property then IRI), or None."""
    for prop in REPLACED_BY:
        for value in graph.values(iri, prop):
            if isinstance(value, str) and not value.startswith("_:"):
                return value
    return None


def live_successors(graph: ConceptGraph) -> dict[str, str]:
    """deprecated term -> the first live term down its chain of successors (only for the
    deprecated terms that have one)."""
    direct = {
        iri: nxt
        for iri in graph.subjects_with(OWL_DEPRECATED)
        if is_deprecated(graph, iri) and (nxt := successor(graph, iri)) is not None
    }
    live: dict[str, str] = {}
    for start in direct:
        seen = {start}
        current = direct[start]
        while current in direct and current not in seen:  # a deprecated successor: go on
            seen.add(current)
            current = direct[current]
        if current not in seen and not is_deprecated(graph, current):
            live[start] = current
    return live


def with_successors(article: Article, live: dict[str, str]) -> Article:
    """``article`` with each tag that is a deprecated term replaced by its live successor
    (``about`` winning over ``mentions`` when both end at one term)."""
    if not live or not any(c in live for c in (*article.about, *article.mentions)):
        return article
    about = tuple(sorted({live.get(c, c) for c in article.about}))
    mentions = tuple(sorted({live.get(c, c) for c in article.mentions} - set(about)))
    return replace(article, about=about, mentions=mentions)
