"""Entity and article edits as JSON: the editor API's documents and the triples they mean.

An entity document (``GET /api/v1/edit/entities/{id}`` answers one; ``POST``/``PUT`` take one,
``PATCH`` takes some of its keys)::

    {"id": "telogen-effluvium",
     "types": ["hk:HairLossDisorder"],
     "label": "telogen effluvium",
     "definition": "A hair loss disorder in which ...",
     "definitionSource": ["MONDO:0000000"],
     "synonyms": [{"text": "TE", "scope": "exact"}],
     "xrefs": ["MONDO:0000000"],
     "relations": {"skos:broader": ["alopecia"]},
     "attributes": {"skos:scopeNote": ["..."]},
     "sources": ["https://pubmed.ncbi.nlm.nih.gov/123/"],
     "claims": [{"predicate": "hk:treats", "object": "androgenetic-alopecia",
                 "statedIn": ["source-some-label"], "supportedBy": ["some-2020"],
                 "evidenceLevel": "evidence-level-randomised-controlled-trial",
                 "certainty": "moderate", "population": ["men"], "caveat": "..."}]}

A clinical relation (a property annotated ``hk:requiresClaim``, such as ``hk:treats``) is only
accepted with its claim: ``claims`` lists the entity's claims (those whose ``rdf:subject`` it
is), each written as its ``id`` (kept, as corrections point at it) or else as
``kb:claim-<entity>-<predicate>-<object>``, with ``status`` (default ``supported``), where it
is stated, the studies behind it, its evidence level and certainty (docs/modelling.md).
Giving ``claims`` replaces all of the entity's claims.

Names are CURIEs with the prefixes of ``kb.rdf.PREFIXES``, full IRIs, or bare entity ids
(``alopecia`` = ``kb:alopecia``). Text goes in as ``@en`` literals; ``attributes`` values may be
``{"value": ..., "datatype": "xsd:decimal"}`` or ``{"value": ..., "language": "fr"}``. Written
triples follow the knowledge base's conventions (docs/modelling.md): ``owl:NamedIndividual``,
``skos:prefLabel`` mirroring ``rdfs:label``, ``skos:altLabel`` mirroring every synonym.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import pyoxigraph as ox

from kb.rdf import (
    DCTERMS,
    DEPRECATION_REASON,
    HK,
    IAO_DEFINITION,
    IAO_DEFINITION_SOURCE,
    KB,
    OBOINOWL,
    REPLACED_BY,
    SCHEMA,
    SKOS,
    compact,
)
from kb.writes.claims import claim_quads, claims_of, claims_quads, describe_claim
from kb.writes.values import (
    DEPRECATED,
    NAMED_INDIVIDUAL,
    RDF_TYPE,
    RDFS_LABEL,
    XSD,
    EditError,
    as_list,
    checked_text,
    english,
    entity_iri,
    expand,
    kb_graph,
    literal_value,
    slug,
    subject_quads,
)

SYNONYM_SCOPES = {
    "exact": str(OBOINOWL.hasExactSynonym),
    "narrow": str(OBOINOWL.hasNarrowSynonym),
    "broad": str(OBOINOWL.hasBroadSynonym),
    "related": str(OBOINOWL.hasRelatedSynonym),
}
SCOPE_OF = {iri: scope for scope, iri in SYNONYM_SCOPES.items()}
ENTITY_KEYS = {
    "id",
    "types",
    "label",
    "definition",
    "definitionSource",
    "synonyms",
    "xrefs",
    "relations",
    "attributes",
    "sources",
    "claims",
}
ARTICLE_KEYS = {
    "id",
    "url",
    "title",
    "summary",
    "date",
    "about",
    "mentions",
    "author",
    "reviewedBy",
    "lastReviewed",
}
_SPECIAL = {
    RDF_TYPE,
    RDFS_LABEL,
    str(SKOS.prefLabel),
    str(SKOS.altLabel),
    str(IAO_DEFINITION),
    str(IAO_DEFINITION_SOURCE),
    str(OBOINOWL.hasDbXref),
    str(DCTERMS.source),
    *SYNONYM_SCOPES.values(),
}


def _section_quads(s: ox.NamedNode, key: str, value: object) -> list[ox.Quad]:
    g = kb_graph()

    def q(p: str, o) -> ox.Quad:
        return ox.Quad(s, ox.NamedNode(p), o, g)

    out: list[ox.Quad] = []
    if key == "types":
        types = as_list(value, "types")
        if not types:
            raise EditError("types: give at least one class (e.g. hk:Treatment)", "types")
        out.append(q(RDF_TYPE, ox.NamedNode(NAMED_INDIVIDUAL)))
        out += [q(RDF_TYPE, expand(t, "types")) for t in types]
    elif key == "label":
        label = english(value, "label")
        out += [q(RDFS_LABEL, label), q(str(SKOS.prefLabel), label)]
    elif key == "definition":
        if value is not None:
            out.append(q(str(IAO_DEFINITION), english(value, "definition")))
    elif key == "definitionSource":
        out += [
            q(str(IAO_DEFINITION_SOURCE), ox.Literal(checked_text(v, key)))
            for v in as_list(value, key)
        ]
    elif key == "synonyms":
        for item in as_list(value, key):
            text, scope = (item, "exact") if isinstance(item, str) else (None, None)
            if isinstance(item, dict):
                text, scope = item.get("text"), item.get("scope", "exact")
            if scope not in SYNONYM_SCOPES:
                raise EditError(f"synonyms: scope must be one of {sorted(SYNONYM_SCOPES)}", key)
            literal = english(text, key)
            out += [q(SYNONYM_SCOPES[scope], literal), q(str(SKOS.altLabel), literal)]
    elif key == "xrefs":
        out += [
            q(str(OBOINOWL.hasDbXref), ox.Literal(checked_text(v, key)))
            for v in as_list(value, key)
        ]
    elif key == "sources":
        for v in as_list(value, key):
            out.append(q(str(DCTERMS.source), expand(v, key)))
    elif key in ("relations", "attributes"):
        if not isinstance(value, dict):
            raise EditError(f"{key}: expected an object of property -> values", key)
        for prop, values in value.items():
            p = expand(prop, key)
            if p.value in _SPECIAL:
                raise EditError(f"{key}: {prop} has its own key in the document", key)
            for v in as_list(values, f"{key}.{prop}"):
                if key == "relations":
                    out.append(q(p.value, expand(v, f"{key}.{prop}")))
                else:
                    out.append(q(p.value, literal_value(v, f"{key}.{prop}")))
    elif key == "claims":
        for n, claim in enumerate(as_list(value, key)):
            out += claim_quads(s, claim, f"claims[{n}]")
    elif key != "id":
        raise EditError(f"unknown key {key!r}; expected some of {sorted(ENTITY_KEYS)}", key)
    return out


def entity_quads(s: ox.NamedNode, document: dict) -> list[ox.Quad]:
    unknown = set(document) - ENTITY_KEYS
    if unknown:
        raise EditError(f"unknown key(s) {sorted(unknown)}", sorted(unknown)[0])
    for required in ("types", "label"):
        if not document.get(required):
            raise EditError(f"{required} is required", required)
    out = []
    for key, value in document.items():
        out += _section_quads(s, key, value)
    return out


def _section_of(quad: ox.Quad) -> str:
    p = quad.predicate.value
    if p == RDF_TYPE:
        return "types"
    if p in (RDFS_LABEL, str(SKOS.prefLabel)):
        return "label"
    if p == str(IAO_DEFINITION):
        return "definition"
    if p == str(IAO_DEFINITION_SOURCE):
        return "definitionSource"
    if p in SCOPE_OF or p == str(SKOS.altLabel):
        return "synonyms"
    if p == str(OBOINOWL.hasDbXref):
        return "xrefs"
    if p == str(DCTERMS.source):
        return "sources"
    return "relations" if isinstance(quad.object, ox.NamedNode) else "attributes"


def description_quads(store: ox.Store, s: ox.NamedNode) -> list[ox.Quad]:
    """Everything an entity document shows: its own triples and its claims' (for the ETag)."""
    return subject_quads(store, s) + claims_quads(store, s)


def description_etag(quads: Iterable[ox.Quad]) -> str:
    digest = hashlib.sha256("\n".join(sorted(str(q) for q in quads)).encode()).hexdigest()
    return f'"{digest[:32]}"'


def _literal_json(literal: ox.Literal):
    if literal.language == "en" or literal.datatype.value == XSD + "string":
        return literal.value
    if literal.language:
        return {"value": literal.value, "language": literal.language}
    return {"value": literal.value, "datatype": compact(literal.datatype.value)}


def describe(store: ox.Store, s: ox.NamedNode) -> dict | None:
    """The entity document of ``s`` (None when it has no triples in the KB graph)."""
    quads = subject_quads(store, s)
    if not quads:
        return None
    doc: dict = {"id": s.value.removeprefix(str(KB)), "iri": s.value}
    types, synonyms, relations, attributes = [], [], {}, {}
    for quad in quads:
        p, o = quad.predicate.value, quad.object
        section = _section_of(quad)
        if section == "types" and o.value != NAMED_INDIVIDUAL:
            types.append(compact(o.value))
        elif section == "label" and p == RDFS_LABEL:
            doc["label"] = o.value
        elif section == "definition":
            doc["definition"] = o.value
        elif section in ("definitionSource", "xrefs"):
            doc.setdefault(section, []).append(o.value)
        elif section == "sources":
            doc.setdefault("sources", []).append(compact(o.value))
        elif section == "synonyms" and p in SCOPE_OF:
            synonyms.append({"text": o.value, "scope": SCOPE_OF[p]})
        elif section == "relations":
            relations.setdefault(compact(p), []).append(compact(o.value))
        elif section == "attributes":
            attributes.setdefault(compact(p), []).append(_literal_json(o))
    doc["types"] = types
    doc["synonyms"] = synonyms
    doc["relations"] = relations
    doc["attributes"] = attributes
    doc["deprecated"] = any(
        q.predicate.value == DEPRECATED and q.object.value in ("true", "1") for q in quads
    )
    replaced = sorted(
        (REPLACED_BY.index(q.predicate.value), q.object.value)
        for q in quads
        if q.predicate.value in REPLACED_BY
    )
    doc["replacedBy"] = compact(replaced[0][1]) if replaced else None
    doc["claims"] = [describe_claim(store, c) for c in claims_of(store, s)]
    return doc


def replace_entity(store: ox.Store, s: ox.NamedNode, document: dict) -> None:
    """PUT: the entity's KB description becomes exactly the document (deprecation kept)."""
    keep = [q for q in subject_quads(store, s) if q.predicate.value in _DEPRECATION]
    for q in subject_quads(store, s):
        store.remove(q)
    if "claims" in document:
        for q in claims_quads(store, s):
            store.remove(q)
    for q in [*entity_quads(s, document), *keep]:
        store.add(q)


def patch_entity(store: ox.Store, s: ox.NamedNode, document: dict) -> None:
    """PATCH: each key given replaces that part of the description; in ``relations`` and
    ``attributes`` each property given replaces that property's values (an empty list
    removes it)."""
    unknown = set(document) - ENTITY_KEYS
    if unknown:
        raise EditError(f"unknown key(s) {sorted(unknown)}", sorted(unknown)[0])
    current = subject_quads(store, s)
    for key, value in document.items():
        if key == "id":
            continue
        if key == "claims":
            for q in claims_quads(store, s):
                store.remove(q)
            for q in _section_quads(s, key, value):
                store.add(q)
            continue
        if key in ("relations", "attributes"):
            if not isinstance(value, dict):
                raise EditError(f"{key}: expected an object of property -> values", key)
            props = {expand(p, key).value for p in value}
            for q in current:
                if q.predicate.value in props and _section_of(q) == key:
                    store.remove(q)
            for q in _section_quads(s, key, {p: v for p, v in value.items() if v}):
                store.add(q)
            continue
        for q in current:
            if _section_of(q) == key:
                store.remove(q)
        if key in ("types", "label") and not value:
            raise EditError(f"{key} cannot be removed", key)
        for q in _section_quads(s, key, value):
            store.add(q)


_DEPRECATION = {DEPRECATED, *REPLACED_BY, str(DEPRECATION_REASON)}


def deprecate_entity(
    store: ox.Store, s: ox.NamedNode, replaced_by: ox.NamedNode | None, note: str | None
) -> None:
    """``owl:deprecated true``, the successor (``dcterms:isReplacedBy`` and OBO's
    ``IAO:0100001``, ``kb.rdf.REPLACED_BY``), the reason (``hk:deprecationReason``) and an
    "obsolete " label, as OBO does; the IRI and everything else about the term stay, so it keeps
    resolving."""
    g = kb_graph()
    for q in subject_quads(store, s):
        if q.predicate.value in _DEPRECATION:
            store.remove(q)
        elif q.predicate.value in (
            RDFS_LABEL,
            str(SKOS.prefLabel),
        ) and not q.object.value.startswith("obsolete "):
            store.remove(q)
            store.add(
                ox.Quad(s, q.predicate, ox.Literal("obsolete " + q.object.value, language="en"), g)
            )
    boolean = ox.NamedNode(XSD + "boolean")
    store.add(ox.Quad(s, ox.NamedNode(DEPRECATED), ox.Literal("true", datatype=boolean), g))
    if replaced_by is not None:
        for prop in REPLACED_BY:
            store.add(ox.Quad(s, ox.NamedNode(prop), replaced_by, g))
    if note:
        store.add(ox.Quad(s, ox.NamedNode(str(DEPRECATION_REASON)), english(note, "reason"), g))


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def article_quads(document: dict) -> tuple[ox.NamedNode, list[ox.Quad]]:
    unknown = set(document) - ARTICLE_KEYS
    if unknown:
        raise EditError(f"unknown key(s) {sorted(unknown)}", sorted(unknown)[0])
    title = checked_text(document.get("title"), "title")
    url = document.get("url")
    if not isinstance(url, str) or not _URL.match(url):
        raise EditError("url: an http(s) URL is required", "url")
    s = entity_iri(document.get("id") or slug(title))
    g = kb_graph()

    def q(p, o) -> ox.Quad:
        return ox.Quad(s, ox.NamedNode(str(p)), o, g)

    quads = [
        q(RDF_TYPE, ox.NamedNode(NAMED_INDIVIDUAL)),
        q(RDF_TYPE, ox.NamedNode(str(HK.Article))),
        q(RDFS_LABEL, ox.Literal(title, language="en")),
        q(DCTERMS.title, ox.Literal(title, language="en")),
        q(SCHEMA.url, ox.Literal(url, datatype=ox.NamedNode(XSD + "anyURI"))),
    ]
    if document.get("summary"):
        quads.append(q(DCTERMS.abstract, english(document["summary"], "summary")))
    if document.get("date"):
        date = document["date"]
        if not isinstance(date, str) or not _DATE.match(date):
            raise EditError("date: expected YYYY-MM-DD", "date")
        quads.append(q(SCHEMA.datePublished, ox.Literal(date, datatype=ox.NamedNode(XSD + "date"))))
    for key, prop in (("author", SCHEMA.author), ("reviewedBy", SCHEMA.reviewedBy)):
        for v in as_list(document.get(key, []), key):
            value = checked_text(v, key)
            quads.append(q(prop, ox.NamedNode(value) if _URL.match(value) else ox.Literal(value)))
    if document.get("lastReviewed"):
        reviewed = document["lastReviewed"]
        if not isinstance(reviewed, str) or not _DATE.match(reviewed):
            raise EditError("lastReviewed: expected YYYY-MM-DD", "lastReviewed")
        if not document.get("reviewedBy"):
            raise EditError("lastReviewed: name the reviewer too (reviewedBy)", "reviewedBy")
        date = ox.NamedNode(XSD + "date")
        quads.append(q(SCHEMA.lastReviewed, ox.Literal(reviewed, datatype=date)))
    about = as_list(document.get("about"), "about")
    if not about:
        raise EditError("about: name at least one entity the article is about", "about")
    quads += [q(HK.about, expand(v, "about")) for v in about]
    quads += [
        q(HK.mentions, expand(v, "mentions")) for v in as_list(document.get("mentions"), "mentions")
    ]
    return s, quads
