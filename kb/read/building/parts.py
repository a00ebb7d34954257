"""What a full build makes the indexes of a dataset version from (``IndexParts``: the concept
graph, the articles, the search entries, the concept links), read from the store in one
consistent version (``load_index_parts``), and the in-memory indexes built from them
(``build_indexes``, ``load_indexes``). The child process of a full build writes the snapshot
from the parts directly (``SnapshotFiles.write_parts``), without the in-memory indexes."""

from __future__ import annotations

import time

from kb.rdf import HK, SKOS
from kb.read.entities import (
    ARTICLE,
    CLAIM,
    CORRECTION,
    ConceptGraph,
    EntityGraph,
    entity_id,
    humanise,
    local_name,
)
from kb.read.loading import load_articles, load_entity_triples, readers
from kb.read.related import RelatedIndex
from kb.read.related_model import Article, Link, RelatedWeights
from kb.read.search import Entry, SearchIndex
from kb.read.snapshots import Indexes, IndexParts
from kb.read.successors import is_deprecated, live_successors, with_successors
from kb.store.client import SparqlStore

# Verbs for reasons, when the ontology's label of the property would read badly.
VERBS = {
    str(SKOS.broader): "is a kind of",
    str(HK.mechanismInvolvedIn): "is involved in",
}
# Types never offered by search: content and bookkeeping records, not concepts.
UNSEARCHED_TYPES = {
    CLAIM,
    CORRECTION,
    ARTICLE,
    *(
        str(HK) + name
        for name in (
            "ArticleSection",
            "Comparison",
            "CostEstimate",
            "TreatmentSchedule",
            "AftercareInstruction",
            "InsuranceCoverage",
            "ClaimStatus",
        )
    ),
}


def index_parts(
    version: str,
    graph: EntityGraph,
    articles: list[Article],
    weights: RelatedWeights,
) -> IndexParts:
    """The concept graph (``graph``, given the articles' titles), the articles with retired
    tags counted as their successors, the search entries and the weighted concept links: what
    the indexes are made of."""
    started = time.perf_counter()
    graph.article_titles = {a.iri: a.title for a in articles}
    live = live_successors(graph)
    articles = [with_successors(a, live) for a in articles]  # retired tags count as successors
    entries = search_entries(graph) + [e for e in map(article_entry, articles) if e is not None]
    links = [
        Link(s, p, o)
        for s, props in graph.spo.items()
        for p, values in props.items()
        if p in weights.links
        for o in values
        if isinstance(o, str) and not o.startswith("_:")
    ]
    return IndexParts(version, graph, articles, entries, links, time.perf_counter() - started)


def indexes_of(parts: IndexParts, weights: RelatedWeights) -> Indexes:
    """The in-memory indexes made of ``parts``."""
    started = time.perf_counter()
    search = SearchIndex(parts.entries)
    related = RelatedIndex(
        parts.articles, parts.links, weights, labeller=parts.graph.label, verbs=VERBS
    )
    built_in_s = parts.built_in_s + time.perf_counter() - started
    return Indexes(parts.version, parts.graph, search, related, built_in_s)


def build_indexes(
    version: str,
    triples: list[tuple],
    articles: list[Article],
    weights: RelatedWeights,
) -> Indexes:
    started = time.perf_counter()
    parts = index_parts(version, EntityGraph(triples), articles, weights)
    parts.built_in_s = time.perf_counter() - started
    return indexes_of(parts, weights)


def search_entries(graph: ConceptGraph) -> list[Entry]:
    entries = []
    for iri in graph.entities():
        identifier = entity_id(iri)
        if identifier is None or identifier.startswith("hk:"):
            continue
        types = graph.all_types(iri)
        if not types or any(t in UNSEARCHED_TYPES for t in types):
            continue
        if graph.own_label(iri) is None and graph.label(iri) == humanise(iri):
            continue  # unlabelled nodes (e.g. helper individuals) are not offered
        primary = graph.primary_type(iri) or types[0]
        entries.append(
            Entry(
                id=identifier,
                iri=iri,
                label=graph.label(iri),
                type=local_name(primary),
                types=frozenset(local_name(t) for t in types),
                synonyms=tuple(text for text, _scope in graph.synonyms(iri)),
                deprecated=is_deprecated(graph, iri),
            )
        )
    return entries


def article_entry(article: Article) -> Entry | None:
    """An article as a search entry: found by its title, typed ``Article``, with its URL."""
    identifier = entity_id(article.iri)
    if identifier is None or identifier.startswith("hk:"):
        return None
    return Entry(
        id=identifier,
        iri=article.iri,
        label=article.title,
        type="Article",
        types=frozenset({"Article"}),
        synonyms=(),
        url=article.url,
    )


def _read_store(store: SparqlStore, attempts: int = 3) -> tuple[str, EntityGraph, list[Article]]:
    """(version, the concept graph, the articles), all of one dataset version (read again if
    a write lands between the reads). The graph is built from the entity triples while the
    articles are read: reading waits on the engine more than it works here."""
    for _ in range(attempts):
        before = store.version(max_age_s=0)
        with readers(1) as pool:
            reading = pool.submit(load_articles, store)
            graph = EntityGraph(load_entity_triples(store))
            articles = reading.result()
        after = store.version(max_age_s=0)
        if before == after:
            break
    return after, graph, articles


def load_indexes(store: SparqlStore, weights: RelatedWeights, attempts: int = 3) -> Indexes:
    """A snapshot whose parts all come from one dataset version."""
    return indexes_of(load_index_parts(store, weights, attempts), weights)


def load_index_parts(store: SparqlStore, weights: RelatedWeights, attempts: int = 3) -> IndexParts:
    """What the indexes of the store's version are made of (``SnapshotFiles.write_parts``
    writes their snapshot without building them in memory); ``built_in_s`` counts the reads."""
    started = time.perf_counter()
    parts = index_parts(*_read_store(store, attempts), weights)
    parts.built_in_s = time.perf_counter() - started
    return parts
