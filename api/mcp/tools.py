"""The read tools other than ``sparql``: ``search``, ``describe``, ``related_articles`` and
``schema``. Plain functions of a :class:`~api.mcp.backend.Backend`; a bad argument raises
``ToolError`` (an ``isError`` result naming the problem), never a crash.

Answers are the JSON API's documents (search hits, entity cards, articles) with what an agent
needs on top: every claim says how it may be repeated (``readAs``: a corrected or disputed
statement is never to be stated as fact), a top-level ``note`` says so too, and every entity
is cited by its IRI.
"""

from __future__ import annotations

from mcp.server.mcpserver.exceptions import ToolError

from api.mcp.backend import Backend, entity_iri, required_text
from api.render.api_json import article_json, article_ref
from api.render.ontology_docs import per_version
from api.views.json_api import TYPE_PATTERN
from api.views.ontology import load_ontology
from api.views.query_ui import load_examples
from kb.rdf import PREFIXES
from kb.read.description.card import entity_card
from kb.read.related_model import ABOUT, MENTIONS
from kb.read.search import MAX_QUERY_CHARS
from kb.store.errors import StoreError

MAX_LIMIT = 50

CITE = "Cite entities by their IRI ('iri' fields)."
CLAIM_NOTE = (
    "Clinical statements are listed as claims, each with its status, evidence level and "
    "certainty. Only a claim whose status is 'Supported' may be stated as fact, with its "
    "evidence level, certainty and population. A 'Corrected' claim is something a source got "
    "wrong and a 'Disputed' one is unsettled: never repeat either as fact; read each claim's "
    "'readAs' and the 'corrections'. "
)


def _limit(value: int, default: int) -> int:
    if value is None:
        return default
    if not 1 <= value <= MAX_LIMIT:
        raise ToolError(f"'limit' must be between 1 and {MAX_LIMIT}, not {value}.")
    return value


# -- search ---------------------------------------------------------------------------------


def search(backend: Backend, query: str, type: str | None = None, limit: int = 10) -> dict:
    """Entities (and articles, ``type='Article'``) whose name matches ``query``."""
    text = required_text(query, "query", "a name such as 'minoxidil' or 'hair loss'")
    if len(text) > MAX_QUERY_CHARS:
        raise ToolError(f"'query' must be at most {MAX_QUERY_CHARS} characters.")
    indexes = backend.indexes()
    wanted = None
    if type is not None and type.strip():
        name = type.strip().removeprefix("hk:")
        by_fold = {t.casefold(): t for t in indexes.search.types}
        wanted = by_fold.get(name.casefold())
        if not TYPE_PATTERN.fullmatch(name) or wanted is None:
            raise ToolError(
                f"Unknown type {type!r}: use one of {', '.join(sorted(indexes.search.types))}."
            )
    total, hits = indexes.search.search(text, type_=wanted, limit=_limit(limit, 10))
    return {
        "query": text,
        "type": wanted,
        "total": total,
        "items": [hit.as_json() for hit in hits],
        "note": "Pass an item's 'id' to describe() for its card. " + CITE,
    }


# -- describe -------------------------------------------------------------------------------


def describe(backend: Backend, id: str) -> dict:
    """The card of an entity or ontology term, or an article with its claims."""
    identifier = required_text(id, "id", "an id such as 'microneedling' or 'hk:Treatment'")
    indexes = backend.indexes()
    iri = entity_iri(indexes, identifier)
    if iri in indexes.articles:
        body = article_json(indexes, indexes.articles[iri])
        body["type"] = "Article"
        claims = body["claims"]
    else:
        counts = (indexes.related.df_role(iri, ABOUT), indexes.related.df_role(iri, MENTIONS))
        body = entity_card(indexes.graph, iri, counts)
        claims = body["sources"]
    for claim in claims:
        claim["readAs"] = read_as(claim)
    unsafe = [c["iri"] for c in claims if c.get("status") != "Supported"]
    note = CLAIM_NOTE if claims else ""
    if unsafe:
        note += f"{len(unsafe)} of the {len(claims)} claims here are not supported as fact. "
    if body.get("corrections"):
        note += "This entry has corrections: they name what a source got wrong. "
    return {"note": note + CITE, **body}


def read_as(claim: dict) -> str:
    """How an agent may repeat ``claim`` (a ``kb.read.description.card.claim_json`` document)."""
    status = claim.get("status")
    text = claim.get("text") or claim.get("label") or claim.get("iri")
    negated = any(
        value.get("value") in ("true", "1") for value in claim["provenance"].get("negated", [])
    )
    if negated:
        text = f"NOT ({text})"
    if status == "Corrected":
        return (
            f"CORRECTED: a source stated '{text}', and it is wrong. Do not repeat it as fact; "
            "give the correction instead (see 'corrections')."
        )
    if status == "Disputed":
        return f"DISPUTED: '{text}' is not settled by the evidence. Do not state it as fact."
    if status != "Supported":
        return f"UNVERIFIED: '{text}' has no recorded status. Do not state it as fact."
    evidence = _labels(claim.get("evidenceLevel"))
    certainty = _labels(claim.get("certainty"))
    population = _labels(claim.get("population"))
    qualifiers = [f"evidence: {evidence}"] if evidence else []
    qualifiers += [f"certainty: {certainty}"] if certainty else []
    qualifiers += [f"only for: {population}"] if population else []
    described = f" ({'; '.join(qualifiers)})" if qualifiers else ""
    return f"SUPPORTED: '{text}'{described}. State it with these qualifiers."


def _labels(value) -> str:
    if not value:
        return ""
    values = value if isinstance(value, list) else [value]
    return "; ".join(str(v.get("label") or v.get("value") or v.get("iri")) for v in values)


# -- related articles -----------------------------------------------------------------------


def related_articles(backend: Backend, url_or_id: str, limit: int = 5) -> dict:
    """Articles related to an article (by URL or id), or articles about an entity."""
    identifier = required_text(
        url_or_id, "url_or_id", "an article URL, an article id or an entity id"
    )
    indexes = backend.indexes()
    count = _limit(limit, 5)
    if identifier.startswith(("http://", "https://")) and indexes.related.find_url(identifier):
        article = indexes.related.find_url(identifier)
    else:
        iri = entity_iri(indexes, identifier)
        article = indexes.articles.get(iri)
        if article is None:
            return _articles_about(indexes, iri, count)
    ranked = indexes.related.related(article, count)
    return {
        "article": article_ref(article),
        "items": [
            {**article_ref(a), "score": round(score, 6), "reasons": reasons}
            for a, score, reasons in ranked
        ],
        "note": "Ranked by shared and linked concepts; 'reasons' say why. " + CITE,
    }


def _articles_about(indexes, iri: str, count: int) -> dict:
    items = []
    for role in (ABOUT, MENTIONS):
        for article in indexes.related.articles_for(iri, role):
            if len(items) < count:
                items.append({**article_ref(article), "role": role})
    return {
        "entity": indexes.graph.ref(iri),
        "items": items,
        "note": "Articles about the entity first, then articles that mention it. " + CITE,
    }


# -- schema ---------------------------------------------------------------------------------

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL_UNION_OF = "http://www.w3.org/2002/07/owl#unionOf"
MAX_UNION = 100


def schema(backend: Backend) -> dict:
    """The ontology's classes and properties and the competency questions as example queries."""
    store = backend.store
    try:
        version = store.version()
        ontology = per_version("ontology", version, lambda: load_ontology(store))
    except StoreError as error:
        raise ToolError(f"The knowledge graph is not available right now: {error}") from error

    graph = backend.indexes().graph

    def ref(term) -> dict:
        return {"iri": term.key, "label": term.label}

    classes = [
        {
            "iri": t.iri,
            "id": "hk:" + t.local,
            "label": t.label,
            "definition": t.definition,
            "subClassOf": [ref(p) for p in t.parents],
        }
        for t in ontology["classes"]
        if not t.deprecated
    ]
    properties = [
        {
            "iri": t.iri,
            "id": "hk:" + t.local,
            "label": t.label,
            "kind": t.kind,
            "definition": t.definition,
            "domain": _class_expression(graph, t.iri, RDFS + "domain"),
            "range": _class_expression(graph, t.iri, RDFS + "range"),
            "inverseOf": [ref(i) for i in t.inverse],
        }
        for t in ontology["properties"]
        if not t.deprecated
    ]
    return {
        "ontology": {"title": ontology["title"], "version": ontology["version"]},
        "prefixes": PREFIXES,
        "classes": classes,
        "properties": properties,
        "exampleQueries": [
            {"id": e.id, "question": e.title, "query": e.query} for e in load_examples()
        ],
        "note": (
            "sparql() declares these prefixes for you when a query uses them. Clinical "
            "links (hk:treats, hk:hasAdverseEffect, ...) are asserted only when a supported "
            "claim backs them; the claims themselves are hk:Claim nodes (rdf:subject, "
            "rdf:predicate, rdf:object, hk:claimStatus, hk:evidenceLevel, hk:certainty)."
        ),
    }


def _class_expression(graph, prop: str, predicate: str) -> list[dict]:
    """The classes of a property's domain or range: named ones, and the members of an
    ``owl:unionOf`` (``hk:treats`` ranges over conditions and adverse effects)."""
    found: list[dict] = []
    for node in graph.values(prop, predicate):
        members = [node]
        if isinstance(node, str) and node.startswith("_:"):
            members = []
            for item in graph.values(node, OWL_UNION_OF)[:1]:
                for _ in range(MAX_UNION):
                    members += graph.values(item, RDF + "first")
                    rest = graph.values(item, RDF + "rest")
                    if not rest or rest[0] == RDF + "nil":
                        break
                    item = rest[0]
        for member in members:
            if isinstance(member, str) and not member.startswith("_:"):
                found.append({"iri": member, "label": graph.label(member)})
    return found
