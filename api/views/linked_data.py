"""Linked Data: every entity IRI of the knowledge base resolves, and so does the ontology.

- ``/id/{name}``: the entity ``https://w3id.org/hairkg/id/{name}`` as an HTML page for people
  (label, definition, types, relations both ways, synonyms, cross-references, claims with
  their sources and corrections, a picture of its neighbourhood) or as Turtle, N-Triples,
  JSON-LD or RDF/XML by ``Accept`` or by extension (``/id/{name}.ttl``, ``.nt``, ``.jsonld``,
  ``.rdf``, ``.html``).
- ``/ontology``: the ontology document (its named graph) in the same formats; the HTML page
  lists the class hierarchy, the properties and the instances of each class.
- ``/.well-known/void``: a VoID description of the dataset, with counts from the store.
- ``/dump.nq``: the whole dataset as N-Quads.

Every fact comes from the store through SPARQL; request values reach a query only as terms
serialised by ``kb.store.client.sparql_term``, and entity names are checked against a strict
pattern before any query is made.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from api.http import (
    alternates_for,
    cached,
    choose,
    etag_for,
    html_page,
    negotiate,
    not_acceptable,
    not_found,
    not_modified,
    rdf_response,
    split_extension,
)
from api.render.entity import describe_entity, load_entity
from api.render.rdf_formats import (
    ALIASES,
    HTML,
    OFFERED,
    serialise,
)
from api.render.schema_org import schema_view
from api.state import current_store
from kb.rdf import (
    HK,
    ID_PATTERN,
    KB,
)

bp = Blueprint("linked_data", __name__)


# -- predicates by the role they play on a page -----------------------------------------------

CLAIM = str(HK.Claim)


# ============================================================================================
# HTTP plumbing shared by the HTML pages of the service
# ============================================================================================


# ============================================================================================
# Terms: labels, links, compact names
# ============================================================================================


# ============================================================================================
# The entity page
# ============================================================================================


# -- RDF descriptions -------------------------------------------------------------------------


# -- routes -----------------------------------------------------------------------------------


@bp.get("/id/")
def entity_index():
    return not_found("this entity")


@bp.get("/id/<path:name>")
def entity(name: str):
    stem, extension = split_extension(name)
    if not ID_PATTERN.fullmatch(stem):
        return not_found("this entity")
    chosen = negotiate(extension)
    if chosen is None:
        return not_acceptable()
    store = current_store()
    iri = str(KB) + stem
    media = chosen if chosen == HTML else chosen.media_type
    alias = None
    if extension is None and chosen != HTML:
        accepted = choose(request.headers.get("Accept"), OFFERED + list(ALIASES))
        alias = accepted if accepted in ALIASES else None
    etag = etag_for("entity", stem, media, alias or "")

    if not_modified(etag):
        return cached(etag, lambda: Response(status=304))

    if chosen == HTML:
        view = load_entity(store, iri)
        if view is None:
            return not_found(f"the entity “{stem}”")
        return cached(
            etag,
            lambda: html_page("entity.html", entity=view, alternates=alternates_for(f"/id/{stem}")),
        )
    triples = describe_entity(store, iri)
    if not triples:
        return not_found(f"the entity “{stem}”")
    triples = triples + schema_view(triples, iri, store)
    body = serialise(triples, chosen)
    return cached(etag, lambda: rdf_response(body, chosen, alias=alias))


# ============================================================================================
# The ontology
# ============================================================================================


# ============================================================================================
# VoID and the dump
# ============================================================================================


# ============================================================================================
# Home page
# ============================================================================================
