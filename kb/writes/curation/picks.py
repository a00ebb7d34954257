"""Editors' picks of an article's related content, as RDF (docs/modelling.md).

``PUT /api/v1/edit/articles/{id}/related`` with ``{"pinned": [ids, in order], "blocked": [ids]}``
replaces the picks of article ``A``: each pinned article ``B`` at rank ``n`` (from 1) becomes a
node ``<A#pick-n>`` (a hash IRI under the article's own: it belongs to the article, resolves to
the article's page, and the index refresh counts it as a change of the article)::

    <A> hk:hasEditorsPick <A#pick-1> .
    <A#pick-1> a hk:EditorsPick , owl:NamedIndividual ; rdfs:label "editors' pick 1 of A" ;
        hk:pickedArticle <B> ; hk:pickRank 1 .

and each blocked article ``C`` a link ``<A> hk:blockedRelated <C>``. Shapes
(``hks:EditorsPickShape``, ``hks:RelatedPicksShape``) check what a file or SPARQL Update could
write otherwise; ``picks_from_body`` refuses a bad document before anything is read.
"""

from __future__ import annotations

import pyoxigraph as ox

from kb.rdf import HK, KB, NEW_ID_PATTERN
from kb.store.client import SparqlStore, sparql_term
from kb.writes.results import ChangeError
from kb.writes.values import NAMED_INDIVIDUAL, RDF_TYPE, RDFS_LABEL, XSD, kb_graph, subject_quads

PICK_KEYS = {"pinned", "blocked", "message"}
MAX_PICKS = 50
ARTICLE = ox.NamedNode(str(HK.Article))


class PicksRefused(ChangeError):
    """A picks document that cannot be stored (422, with the offending field)."""

    status = 422

    def __init__(self, message: str, field: str, *, status: int | None = None):
        super().__init__(
            message, status=status, **{"invalid-params": [{"name": field, "reason": message}]}
        )


PICK_MARK = "#pick-"


def pick_node(article: str, rank: int) -> ox.NamedNode:
    return ox.NamedNode(f"{article}{PICK_MARK}{rank}")


def pick_owner(iri: str) -> str:
    """The article a pick node belongs to; any other IRI itself."""
    return iri.partition(PICK_MARK)[0]


def picks_from_body(article: ox.NamedNode, body: dict) -> tuple[list[str], list[str]]:
    """(pinned article IRIs in order, blocked article IRIs) from the JSON document."""
    unknown = sorted(set(body) - PICK_KEYS)
    if unknown:
        raise PicksRefused(f"unknown key(s) {unknown}; expected pinned and blocked", unknown[0])
    lists = {}
    for key in ("pinned", "blocked"):
        value = body.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PicksRefused(f"{key} must be a list of article ids", key)
        if len(value) > MAX_PICKS:
            raise PicksRefused(f"{key} may hold at most {MAX_PICKS} articles", key)
        for v in value:
            if not NEW_ID_PATTERN.match(v):
                raise PicksRefused(f"{key}: {v!r} is not an article id", key)
        twice = sorted({v for v in value if value.count(v) > 1})
        if twice:
            raise PicksRefused(f"{key} names {', '.join(twice)} more than once", key)
        lists[key] = [str(KB) + v for v in value]
    both = sorted(set(lists["pinned"]) & set(lists["blocked"]))
    if both:
        names = ", ".join(b.removeprefix(str(KB)) for b in both)
        raise PicksRefused(f"{names} cannot be both pinned and blocked", "blocked")
    for key in ("pinned", "blocked"):
        if article.value in lists[key]:
            raise PicksRefused(f"an article cannot be {key} on its own related content", key)
    return lists["pinned"], lists["blocked"]


def current_pick_nodes(store: SparqlStore, article: str) -> set[str]:
    """The pick nodes the article has in the store now (what a new set of picks replaces)."""
    rows = store.select(
        f"SELECT ?n WHERE {{ {sparql_term(ox.NamedNode(article))} "
        f"{sparql_term(ox.NamedNode(str(HK.hasEditorsPick)))} ?n }}"
    )
    return {r["n"].value for r in rows if isinstance(r["n"], ox.NamedNode)}


def is_article(store: ox.Store, iri: str) -> bool:
    return any(
        True for _ in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(RDF_TYPE), ARTICLE)
    )


def set_picks(store: ox.Store, article: ox.NamedNode, pinned: list[str], blocked: list[str]):
    """Replaces the article's picks in ``store`` (which holds the article, its pick nodes and
    the articles named)."""
    if not is_article(store, article.value):
        raise ChangeError(f"there is no article {article.value.removeprefix(str(KB))}", status=404)
    for key, iris in (("pinned", pinned), ("blocked", blocked)):
        missing = [i.removeprefix(str(KB)) for i in iris if not is_article(store, i)]
        if missing:
            raise PicksRefused(f"{key}: no article with id {', '.join(missing)}", key)
    has_pick, blocks = ox.NamedNode(str(HK.hasEditorsPick)), ox.NamedNode(str(HK.blockedRelated))
    for q in list(store.quads_for_pattern(article, has_pick, None)):
        store.remove(q)
        for own in subject_quads(store, q.object):
            store.remove(own)
    for q in list(store.quads_for_pattern(article, blocks, None)):
        store.remove(q)
    g = kb_graph()
    name = article.value.removeprefix(str(KB))
    for rank, iri in enumerate(pinned, 1):
        node = pick_node(article.value, rank)
        store.add(ox.Quad(article, has_pick, node, g))
        for p, o in (
            (RDF_TYPE, ox.NamedNode(NAMED_INDIVIDUAL)),
            (RDF_TYPE, ox.NamedNode(str(HK.EditorsPick))),
            (RDFS_LABEL, ox.Literal(f"editors' pick {rank} of {name}", language="en")),
            (str(HK.pickedArticle), ox.NamedNode(iri)),
            (str(HK.pickRank), ox.Literal(str(rank), datatype=ox.NamedNode(XSD + "integer"))),
        ):
            store.add(ox.Quad(node, ox.NamedNode(p), o, g))
    for iri in blocked:
        store.add(ox.Quad(article, blocks, ox.NamedNode(iri), g))


def read_picks(store: ox.Store, article: ox.NamedNode) -> dict:
    """The picks document of the article (``{"article", "pinned", "blocked"}``)."""
    ranked = []
    for q in store.quads_for_pattern(article, ox.NamedNode(str(HK.hasEditorsPick)), None):
        rank = next(store.quads_for_pattern(q.object, ox.NamedNode(str(HK.pickRank)), None), None)
        picked = next(
            store.quads_for_pattern(q.object, ox.NamedNode(str(HK.pickedArticle)), None), None
        )
        if rank is not None and picked is not None and rank.object.value.isdigit():
            ranked.append((int(rank.object.value), picked.object.value))
    blocked = store.quads_for_pattern(article, ox.NamedNode(str(HK.blockedRelated)), None)
    short = str(KB)
    return {
        "article": article.value.removeprefix(short),
        "pinned": [iri.removeprefix(short) for _r, iri in sorted(ranked)],
        "blocked": sorted(q.object.value.removeprefix(short) for q in blocked),
    }
