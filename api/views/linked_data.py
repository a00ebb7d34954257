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
- ``/sitemap.xml`` (a sitemap index of ``/sitemap-{n}.xml`` past 50,000 URLs) and
  ``/robots.txt``: every entity and article page for search engines, ``lastmod`` from the
  change history (``api.render.sitemap``).

Every fact comes from the store through SPARQL; request values reach a query only as terms
serialised by ``kb.store.client.sparql_term``, and entity names are checked against a strict
pattern before any query is made.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

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
from api.render.entity import entity_page
from api.render.rdf_formats import (
    ALIASES,
    HTML,
    OFFERED,
    serialise,
)
from api.render.schema_org import page_json_ld, schema_view, script_json
from api.render.sitemap import (
    MAX_URLS,
    robots_txt,
    sitemap_entries,
    sitemap_index,
    urlset,
)
from api.state import current_index_holder, current_store
from kb.rdf import (
    HK,
    ID_PATTERN,
    KB,
)
from kb.read.description.build import describe
from kb.read.description.neighbourhood import entity_triples, read_neighbourhood, successor_in

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
        found = read_neighbourhood(store, iri)
        if found is None:
            return not_found(f"the entity “{stem}”")
        graph, inferred = found
        description = describe(graph, iri, inferred)
        structured = script_json(page_json_ld(entity_triples(store, iri), iri, store))
        response = cached(
            etag,
            lambda: html_page(
                "entity.html",
                **entity_page(description),
                alternates=alternates_for(f"/id/{stem}"),
                json_ld=structured,
            ),
        )
        successor = description.successor if description.deprecated else None
        return _successor_link(response, successor.iri if successor else None)
    triples = entity_triples(store, iri)
    if not triples:
        return not_found(f"the entity “{stem}”")
    successor_iri = successor_in(triples, iri)
    triples = triples + schema_view(triples, iri, store)
    body = serialise(triples, chosen)
    return _successor_link(
        cached(etag, lambda: rdf_response(body, chosen, alias=alias)), successor_iri
    )


def _successor_link(response: Response, successor: str | None) -> Response:
    """A deprecated entity's answer names its successor (RFC 5829 ``successor-version``)."""
    if successor:
        response.headers.add("Link", f'<{successor}>; rel="successor-version"')
    return response


# ============================================================================================
# Search engines: the sitemap and robots.txt
# ============================================================================================


def _xml(body: str) -> Response:
    response = Response(body, mimetype="application/xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def _sitemap_pages() -> tuple[list, int]:
    entries = sitemap_entries(current_index_holder().get(), current_store())
    return entries, int(current_app.config.get("SITEMAP_PAGE_SIZE", MAX_URLS))


@bp.get("/sitemap.xml")
def sitemap():
    entries, page_size = _sitemap_pages()
    if len(entries) <= page_size:
        return _xml(urlset(request.host_url, entries))
    return _xml(sitemap_index(request.host_url, entries, page_size))


@bp.get("/sitemap-<int:number>.xml")
def sitemap_page(number: int):
    entries, page_size = _sitemap_pages()
    page = entries[(number - 1) * page_size : number * page_size] if number >= 1 else []
    if not page:
        return not_found("this sitemap page")
    return _xml(urlset(request.host_url, page))


@bp.get("/robots.txt")
def robots():
    response = Response(robots_txt(request.host_url), mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# ============================================================================================
# The ontology
# ============================================================================================


# ============================================================================================
# VoID and the dump
# ============================================================================================


# ============================================================================================
# Home page
# ============================================================================================
