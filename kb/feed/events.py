"""Change events: one JSON object per history record, oldest first, with what the change
touched sorted into articles (an article, or one of its sections: the article) and entities
(every other subject). The same objects are the feed's JSON pages and its Server-Sent Events.

A deleted article is still named as an article (with the URL it had): when a touched subject
has no triple left, the triples the history kept say whether it was one."""

from __future__ import annotations

import re

import pyoxigraph as ox

from kb.rdf import HK, KB, KB_GRAPH, SCHEMA, compact
from kb.store.client import SparqlStore, sparql_term, values_clause
from kb.writes.history import (
    HIST,
    HISTORY_GRAPH,
    ChangeRecord,
    changes_after,
    next_number,
)

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
MAX_PAGE = 200


def latest_number(store: SparqlStore) -> int:
    """The number of the newest change; 0 when nothing was changed through hairkg."""
    return next_number(store) - 1


def change_events(store: SparqlStore, after: int, *, limit: int = 100) -> list[dict]:
    """The events of the changes numbered above ``after``, oldest first, at most ``limit``."""
    records = changes_after(store, after, limit=min(int(limit), MAX_PAGE))
    if not records:
        return []
    subjects = _recorded_subjects(store, records[0].number, records[-1].number)
    every = sorted({s for listed in subjects.values() for s in listed})
    articles = _articles_now(store, every)
    gone = _without_triples(store, every)
    if gone:
        articles.update(_deleted_articles(store, gone))
    return [_event(r, subjects.get(r.number), articles) for r in records]


def _event(record: ChangeRecord, subjects: list[str] | None, articles: dict) -> dict:
    summary = record.summary()
    touched_articles: dict[str, dict] = {}
    entities = []
    for iri in subjects or []:
        if iri in articles:
            article = articles[iri]
            touched_articles.setdefault(article["iri"], article)
        else:
            entities.append({"id": entity_id(iri), "iri": iri})
    return {
        "number": record.number,
        "iri": summary["iri"],
        "time": record.time,
        "author": record.author,
        "message": record.message,
        "added": summary["added"],
        "removed": summary["removed"],
        "reverts": record.reverts,
        "version": record.version_after,
        # False: the change touched too many subjects (or blank nodes) for the record to list
        # them; entities and articles are then empty and a consumer re-reads what it keeps.
        "subjectsRecorded": subjects is not None,
        "entities": entities,
        "articles": sorted(touched_articles.values(), key=lambda a: a["iri"]),
    }


def entity_id(iri: str) -> str:
    """The id the JSON API and /id/ pages use: the name under kb:, else the prefixed name."""
    return iri[len(str(KB)) :] if iri.startswith(str(KB)) else compact(iri)


def _history_term() -> str:
    return sparql_term(ox.NamedNode(str(HISTORY_GRAPH)))


def _recorded_subjects(store: SparqlStore, first: int, last: int) -> dict[int, list[str]]:
    """Change number -> its recorded subjects, for the records that list them."""
    g = _history_term()
    number = sparql_term(ox.NamedNode(HIST + "number"))
    recorded = sparql_term(ox.NamedNode(HIST + "subjectsRecorded"))
    subject = sparql_term(ox.NamedNode(HIST + "subject"))
    out: dict[int, list[str]] = {}
    rows = store.select(
        f"SELECT ?n ?s WHERE {{ GRAPH {g} {{ ?c {number} ?n ; {recorded} ?yes . "
        f"OPTIONAL {{ ?c {subject} ?s }} }} FILTER(?n >= {int(first)} && ?n <= {int(last)}) }}"
    )
    for row in rows:
        listed = out.setdefault(int(row["n"].value), [])
        if row["s"] is not None:
            listed.append(row["s"].value)
    return {n: sorted(listed) for n, listed in out.items()}


def _article(iri: str, url: str | None) -> dict:
    return {"id": entity_id(iri), "iri": iri, "url": url}


def _articles_now(store: SparqlStore, subjects: list[str]) -> dict[str, dict]:
    """Subject -> the article it is or is a section of, for the subjects that still exist."""
    if not subjects:
        return {}
    kb = sparql_term(ox.NamedNode(str(KB_GRAPH)))
    article_class = sparql_term(ox.NamedNode(str(HK.Article)))
    section = sparql_term(ox.NamedNode(str(HK.hasSection)))
    url = sparql_term(ox.NamedNode(str(SCHEMA.url)))
    out: dict[str, dict] = {}
    for start in range(0, len(subjects), 400):
        values = values_clause("s", [ox.NamedNode(s) for s in subjects[start : start + 400]])
        rows = store.select(
            f"SELECT ?s ?article ?url WHERE {{ {values} GRAPH {kb} {{ "
            f"{{ ?s a {article_class} BIND(?s AS ?article) }} UNION {{ ?article {section} ?s }} "
            f"OPTIONAL {{ ?article {url} ?url }} }} }}"
        )
        for row in rows:
            link = row["url"].value if row["url"] is not None else None
            out[row["s"].value] = _article(row["article"].value, link)
    return out


def _without_triples(store: SparqlStore, subjects: list[str]) -> set[str]:
    gone: set[str] = set()
    for start in range(0, len(subjects), 400):
        values = values_clause("s", [ox.NamedNode(s) for s in subjects[start : start + 400]])
        rows = store.select(
            f"SELECT ?s WHERE {{ {values} FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} }}"
        )
        gone.update(row["s"].value for row in rows)
    return gone


def _deleted_articles(store: SparqlStore, gone: set[str]) -> dict[str, dict]:
    """The gone subjects that some change's triples typed as articles, with the URL they had."""
    g = _history_term()
    subject = sparql_term(ox.NamedNode(HIST + "subject"))
    texts = "|".join(sparql_term(ox.NamedNode(HIST + n)) for n in ("added", "removed"))
    typed = f"> <{RDF_TYPE}> <{HK.Article}>"
    out: dict[str, dict] = {}
    ordered = sorted(gone)
    for start in range(0, len(ordered), 100):
        values = values_clause("s", [ox.NamedNode(s) for s in ordered[start : start + 100]])
        rows = store.select(
            f"SELECT ?s ?text WHERE {{ {values} GRAPH {g} {{ ?c {subject} ?s ; {texts} ?text }} "
            f'FILTER(CONTAINS(?text, CONCAT("<", STR(?s), {sparql_term(ox.Literal(typed))}))) }}'
        )
        for row in rows:
            iri = row["s"].value
            url = re.search(
                rf'^<{re.escape(iri)}> <{re.escape(str(SCHEMA.url))}> "([^"]*)"',
                row["text"].value,
                re.MULTILINE,
            )
            if url or iri not in out:
                out[iri] = _article(iri, url.group(1) if url else None)
    return out
