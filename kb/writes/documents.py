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
    HK,
    IAO_DEFINITION,
    IAO_DEFINITION_SOURCE,
    IAO_TERM_REPLACED_BY,
    KB,
    KB_GRAPH,
    NEW_ID_PATTERN,
    OBOINOWL,
    PREFIXES,
    SCHEMA,
    SKOS,
    compact,
)

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
NAMED_INDIVIDUAL = OWL + "NamedIndividual"
DEPRECATED = OWL + "deprecated"
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
CLAIM_KEYS = {
    "id",
    "predicate",
    "object",
    "status",
    "statedIn",
    "supportedBy",
    "consistentWith",
    "disputedBy",
    "evidenceLevel",
    "certainty",
    "population",
    "quote",
    "caveat",
    "note",
    "label",
    "negated",
}
CLAIM_STATUSES = {"supported": HK.Supported, "disputed": HK.Disputed, "corrected": HK.Corrected}
CERTAINTIES = {
    "high": HK.HighCertainty,
    "moderate": HK.ModerateCertainty,
    "low": HK.LowCertainty,
    "very low": HK.VeryLowCertainty,
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


class EditError(ValueError):
    """A document that cannot be turned into triples: ``field`` names the culprit."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def kb_graph() -> ox.NamedNode:
    return ox.NamedNode(str(KB_GRAPH))


def slug(text: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out[:120] or "entity"


def expand(name: object, field: str) -> ox.NamedNode:
    """A CURIE, IRI or bare entity id as an IRI."""
    if not isinstance(name, str) or not name.strip():
        raise EditError(f"{field}: expected a name (CURIE, IRI or entity id), got {name!r}", field)
    name = name.strip()
    if "://" in name:
        iri = name
    elif ":" in name:
        prefix, _, local = name.partition(":")
        if prefix not in PREFIXES:
            raise EditError(f"{field}: unknown prefix {prefix!r} in {name!r}", field)
        iri = PREFIXES[prefix] + local
    elif NEW_ID_PATTERN.match(name):
        iri = str(KB) + name
    else:
        raise EditError(f"{field}: {name!r} is not a CURIE, an IRI or an entity id", field)
    try:
        return ox.NamedNode(iri)
    except ValueError as error:
        raise EditError(f"{field}: {name!r} is not a valid IRI ({error})", field) from error


def entity_iri(identifier: str) -> ox.NamedNode:
    if not NEW_ID_PATTERN.match(identifier or ""):
        raise EditError(
            f"{identifier!r} is not an entity id (lower-case letters, digits and hyphens)", "id"
        )
    return ox.NamedNode(str(KB) + identifier)


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EditError(f"{field}: expected non-empty text", field)
    if len(value) > 10_000:
        raise EditError(f"{field}: longer than 10000 characters", field)
    return value.strip()


def _en(value: object, field: str) -> ox.Literal:
    return ox.Literal(_text(value, field), language="en")


def _list(value: object, field: str) -> list:
    if value is None:
        return []
    if isinstance(value, str | dict):
        return [value]
    if not isinstance(value, list):
        raise EditError(f"{field}: expected a list", field)
    return value


def _literal(value: object, field: str) -> ox.Literal:
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(value, int | float):
        kind = "integer" if isinstance(value, int) else "decimal"
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + kind))
    if isinstance(value, str):
        return _en(value, field)
    if isinstance(value, dict) and "value" in value:
        text = str(value["value"])
        if value.get("datatype"):
            return ox.Literal(text, datatype=expand(value["datatype"], field))
        if value.get("language"):
            try:
                return ox.Literal(text, language=str(value["language"]))
            except ValueError as error:
                raise EditError(f"{field}: {error}", field) from error
        return ox.Literal(text)
    raise EditError(f"{field}: expected text or {{'value': ..., 'datatype': ...}}", field)


def _section_quads(s: ox.NamedNode, key: str, value: object) -> list[ox.Quad]:
    g = kb_graph()

    def q(p: str, o) -> ox.Quad:
        return ox.Quad(s, ox.NamedNode(p), o, g)

    out: list[ox.Quad] = []
    if key == "types":
        types = _list(value, "types")
        if not types:
            raise EditError("types: give at least one class (e.g. hk:Treatment)", "types")
        out.append(q(RDF_TYPE, ox.NamedNode(NAMED_INDIVIDUAL)))
        out += [q(RDF_TYPE, expand(t, "types")) for t in types]
    elif key == "label":
        label = _en(value, "label")
        out += [q(RDFS_LABEL, label), q(str(SKOS.prefLabel), label)]
    elif key == "definition":
        if value is not None:
            out.append(q(str(IAO_DEFINITION), _en(value, "definition")))
    elif key == "definitionSource":
        out += [q(str(IAO_DEFINITION_SOURCE), ox.Literal(_text(v, key))) for v in _list(value, key)]
    elif key == "synonyms":
        for item in _list(value, key):
            text, scope = (item, "exact") if isinstance(item, str) else (None, None)
            if isinstance(item, dict):
                text, scope = item.get("text"), item.get("scope", "exact")
            if scope not in SYNONYM_SCOPES:
                raise EditError(f"synonyms: scope must be one of {sorted(SYNONYM_SCOPES)}", key)
            literal = _en(text, key)
            out += [q(SYNONYM_SCOPES[scope], literal), q(str(SKOS.altLabel), literal)]
    elif key == "xrefs":
        out += [q(str(OBOINOWL.hasDbXref), ox.Literal(_text(v, key))) for v in _list(value, key)]
    elif key == "sources":
        for v in _list(value, key):
            out.append(q(str(DCTERMS.source), expand(v, key)))
    elif key in ("relations", "attributes"):
        if not isinstance(value, dict):
            raise EditError(f"{key}: expected an object of property -> values", key)
        for prop, values in value.items():
            p = expand(prop, key)
            if p.value in _SPECIAL:
                raise EditError(f"{key}: {prop} has its own key in the document", key)
            for v in _list(values, f"{key}.{prop}"):
                if key == "relations":
                    out.append(q(p.value, expand(v, f"{key}.{prop}")))
                else:
                    out.append(q(p.value, _literal(v, f"{key}.{prop}")))
    elif key == "claims":
        for n, claim in enumerate(_list(value, key)):
            out += claim_quads(s, claim, f"claims[{n}]")
    elif key != "id":
        raise EditError(f"unknown key {key!r}; expected some of {sorted(ENTITY_KEYS)}", key)
    return out


# -- claims ---------------------------------------------------------------------------------


def claim_iri(s: ox.NamedNode, p: ox.NamedNode, o: ox.NamedNode) -> ox.NamedNode:
    """``kb:claim-<subject>-<predicate in kebab case>-<object>``, as in kb/data/claims.ttl."""

    def words(iri: str) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "-", re.split(r"[/#]", iri)[-1]).lower()

    return ox.NamedNode(f"{KB}claim-{words(s.value)}-{words(p.value)}-{words(o.value)}")


def _enum(value: object, choices: dict, field: str):
    key = " ".join(_text(value, field).lower().replace("-", " ").replace("_", " ").split())
    key = key.removeprefix("hk:").removesuffix(" certainty")
    for name, iri in choices.items():
        if key in (name, name.replace(" ", ""), str(iri).rsplit("#", 1)[-1].lower()):
            return ox.NamedNode(str(iri))
    raise EditError(f"{field}: one of {sorted(choices)}", field)


def claim_quads(s: ox.NamedNode, claim: object, field: str) -> list[ox.Quad]:
    """The triples of one claim whose subject is ``s`` (see the module docstring)."""
    if not isinstance(claim, dict):
        raise EditError(f"{field}: expected a claim object", field)
    unknown = set(claim) - CLAIM_KEYS
    if unknown:
        raise EditError(f"{field}: unknown key(s) {sorted(unknown)}", field)
    for required in ("predicate", "object", "statedIn", "evidenceLevel", "certainty"):
        if not claim.get(required):
            raise EditError(f"{field}.{required} is required", field)
    p = expand(claim["predicate"], f"{field}.predicate")
    o = expand(claim["object"], f"{field}.object")
    # an existing claim keeps its IRI (corrections and other claims point at it)
    c = entity_iri(claim["id"]) if claim.get("id") else claim_iri(s, p, o)
    g = kb_graph()

    def q(predicate: str, obj) -> ox.Quad:
        return ox.Quad(c, ox.NamedNode(predicate), obj, g)

    status = _enum(claim.get("status", "supported"), CLAIM_STATUSES, f"{field}.status")
    text = claim.get("label") or f"{compact(s.value)} {compact(p.value)} {compact(o.value)}"
    out = [
        q(RDF_TYPE, ox.NamedNode(NAMED_INDIVIDUAL)),
        q(RDF_TYPE, ox.NamedNode(str(HK.Claim))),
        q(RDFS_LABEL, _en(text, f"{field}.label")),
        q(RDF + "subject", s),
        q(RDF + "predicate", p),
        q(RDF + "object", o),
        q(str(HK.claimStatus), status),
        q(str(HK.evidenceLevel), expand(claim["evidenceLevel"], f"{field}.evidenceLevel")),
        q(str(HK.certainty), _enum(claim["certainty"], CERTAINTIES, f"{field}.certainty")),
    ]
    for key in ("statedIn", "supportedBy", "consistentWith", "disputedBy", "population"):
        for v in _list(claim.get(key, []), f"{field}.{key}"):
            out.append(q(str(HK[key]), expand(v, f"{field}.{key}")))
    for key, prop in (("quote", HK.quote), ("caveat", HK.caveat)):
        if claim.get(key):
            out.append(q(str(prop), ox.Literal(_text(claim[key], f"{field}.{key}"))))
    if claim.get("note"):
        out.append(q(str(SKOS.editorialNote), _en(claim["note"], f"{field}.note")))
    if claim.get("negated"):
        out.append(q(str(HK.negated), ox.Literal("true", datatype=ox.NamedNode(XSD + "boolean"))))
    return out


def claims_of(store: ox.Store, s: ox.NamedNode) -> list[ox.NamedNode]:
    """The claims in the KB graph whose rdf:subject is ``s``."""
    subject = ox.NamedNode(RDF + "subject")
    return sorted(
        {q.subject for q in store.quads_for_pattern(None, subject, s, kb_graph())},
        key=lambda n: n.value,
    )


def claims_quads(store: ox.Store, s: ox.NamedNode) -> list[ox.Quad]:
    return [q for c in claims_of(store, s) for q in subject_quads(store, c)]


def describe_claim(store: ox.Store, c: ox.NamedNode) -> dict:
    doc: dict = {"id": c.value.removeprefix(str(KB))}
    single = {
        RDF + "predicate": "predicate",
        RDF + "object": "object",
        str(HK.claimStatus): "status",
        str(HK.evidenceLevel): "evidenceLevel",
        str(HK.certainty): "certainty",
        str(HK.quote): "quote",
        str(HK.caveat): "caveat",
        str(SKOS.editorialNote): "note",
        RDFS_LABEL: "label",
    }
    many = {
        str(HK[k]): k
        for k in ("statedIn", "supportedBy", "consistentWith", "disputedBy", "population")
    }
    for quad in subject_quads(store, c):
        p, o = quad.predicate.value, quad.object
        value = compact(o.value) if isinstance(o, ox.NamedNode) else o.value
        if p in single:
            doc[single[p]] = value
        elif p in many:
            doc.setdefault(many[p], []).append(value)
        elif p == str(HK.negated):
            doc["negated"] = o.value in ("true", "1")
    for key, choices in (("status", CLAIM_STATUSES), ("certainty", CERTAINTIES)):
        names = {compact(str(iri)): name for name, iri in choices.items()}
        if doc.get(key) in names:
            doc[key] = names[doc[key]]
    return doc


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


def subject_quads(store: ox.Store, s: ox.NamedNode) -> list[ox.Quad]:
    """What the entity's own description is: its triples in the knowledge-base graph."""
    return sorted(store.quads_for_pattern(s, None, None, kb_graph()), key=str)


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
    replaced = [q.object.value for q in quads if q.predicate.value == str(IAO_TERM_REPLACED_BY)]
    doc["replacedBy"] = compact(replaced[0]) if replaced else None
    doc["claims"] = [describe_claim(store, c) for c in claims_of(store, s)]
    return doc


def replace_entity(store: ox.Store, s: ox.NamedNode, document: dict) -> None:
    """PUT: the entity's KB description becomes exactly the document (deprecation kept)."""
    keep = [
        q
        for q in subject_quads(store, s)
        if q.predicate.value in (DEPRECATED, str(IAO_TERM_REPLACED_BY))
    ]
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


def deprecate_entity(
    store: ox.Store, s: ox.NamedNode, replaced_by: ox.NamedNode | None, note: str | None
) -> None:
    """``owl:deprecated true``, ``IAO:0100001`` (term replaced by) and an "obsolete " label,
    as OBO does; the IRI and everything else about the term stay, so it keeps resolving."""
    g = kb_graph()
    for q in subject_quads(store, s):
        if q.predicate.value in (DEPRECATED, str(IAO_TERM_REPLACED_BY)):
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
        store.add(ox.Quad(s, ox.NamedNode(str(IAO_TERM_REPLACED_BY)), replaced_by, g))
    if note:
        store.add(ox.Quad(s, ox.NamedNode(str(SKOS.editorialNote)), _en(note, "reason"), g))


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def article_quads(document: dict) -> tuple[ox.NamedNode, list[ox.Quad]]:
    unknown = set(document) - ARTICLE_KEYS
    if unknown:
        raise EditError(f"unknown key(s) {sorted(unknown)}", sorted(unknown)[0])
    title = _text(document.get("title"), "title")
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
        quads.append(q(DCTERMS.abstract, _en(document["summary"], "summary")))
    if document.get("date"):
        date = document["date"]
        if not isinstance(date, str) or not _DATE.match(date):
            raise EditError("date: expected YYYY-MM-DD", "date")
        quads.append(q(SCHEMA.datePublished, ox.Literal(date, datatype=ox.NamedNode(XSD + "date"))))
    for key, prop in (("author", SCHEMA.author), ("reviewedBy", SCHEMA.reviewedBy)):
        for v in _list(document.get(key, []), key):
            value = _text(v, key)
            quads.append(q(prop, ox.NamedNode(value) if _URL.match(value) else ox.Literal(value)))
    if document.get("lastReviewed"):
        reviewed = document["lastReviewed"]
        if not isinstance(reviewed, str) or not _DATE.match(reviewed):
            raise EditError("lastReviewed: expected YYYY-MM-DD", "lastReviewed")
        if not document.get("reviewedBy"):
            raise EditError("lastReviewed: name the reviewer too (reviewedBy)", "reviewedBy")
        date = ox.NamedNode(XSD + "date")
        quads.append(q(SCHEMA.lastReviewed, ox.Literal(reviewed, datatype=date)))
    about = _list(document.get("about"), "about")
    if not about:
        raise EditError("about: name at least one entity the article is about", "about")
    quads += [q(HK.about, expand(v, "about")) for v in about]
    quads += [
        q(HK.mentions, expand(v, "mentions")) for v in _list(document.get("mentions"), "mentions")
    ]
    return s, quads
