"""The JSON API under ``/api/v1``: search, entity cards, typed views, articles, related content.

Everything is answered from the in-memory indexes of ``kb.read.indexes`` (rebuilt when the dataset
version changes), so no request runs SPARQL and no user string reaches a query. Every answer
carries an ETag derived from the index version and the request (``304`` on a match),
``Cache-Control`` and open CORS headers; every error is an RFC 9457 problem document.
"""

from __future__ import annotations

import hashlib
import logging
import re

from flask import Blueprint, Response, current_app, g, json, render_template, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

from api.errors import ApiError, problem_response
from api.http import choose, not_modified, open_to_every_origin
from api.render.api_json import (
    API_PREFIX,
    _json_ld_article,
    _page,
    article_json,
    article_ref,
    json_ld,
)
from api.state import current_index_holder
from kb.rdf import HK, ID_PATTERN, KB
from kb.read.description.card import entity_card
from kb.read.entities import iri_for_id
from kb.read.indexes import (
    Indexes,
)
from kb.read.picks import related_with_picks
from kb.read.related_model import ABOUT, MENTIONS, Article
from kb.read.successors import is_deprecated, successor
from kb.read.views import adverse_effects_of, mechanisms_of, treatments_for

log = logging.getLogger(__name__)

JSON = "application/json"
JSON_LD = "application/ld+json"
CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"
MAX_URL_PARAM = 2048
MAX_Q = 200
TYPE_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9]{0,63}")
URL_PATTERN = re.compile(r"https?://[^/?#]+", re.IGNORECASE)

bp = Blueprint("rest", __name__, url_prefix=API_PREFIX)
widget_bp = Blueprint("widget", __name__)


# -- set-up -------------------------------------------------------------------------------


def api_routing_errors():
    """Before every request (registered by create_app): routing failures under /api/v1
    answer problem+json, not the HTML default."""
    if not request.path.startswith(API_PREFIX + "/") and request.path != API_PREFIX:
        return None
    error = request.routing_exception
    if request.method == "OPTIONS" and error is None:
        return None
    if isinstance(error, MethodNotAllowed):
        response = problem_response(405, f"{request.method} is not allowed here; use GET")
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods or ["GET"]))
        return response
    if isinstance(error, NotFound):
        return problem_response(404, "no such resource in the JSON API")
    return None


def current_indexes() -> Indexes:
    """The read indexes; a store failure is answered by the app's one store-error handler."""
    return current_index_holder().get()


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error.response()


# -- parameters ---------------------------------------------------------------------------


def int_param(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    if not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 9:
        raise ApiError(400, f"{name} must be an integer", name)
    value = int(raw)
    if not low <= value <= high:
        raise ApiError(422, f"{name} must be between {low} and {high}", name)
    return value


def page_params(default_limit: int = 10, max_limit: int = 100, max_offset: int = 10_000):
    return int_param("limit", default_limit, 1, max_limit), int_param("offset", 0, 0, max_offset)


def resolve(indexes: Indexes, identifier: str, *, param: str = "id") -> str:
    """The IRI of an existing entity or article, or a 400/404 problem."""
    iri = iri_for_id(identifier)
    if iri is None:
        raise ApiError(
            400,
            f"{param} must match {ID_PATTERN.pattern} (or hk:Name for ontology terms)",
            param,
        )
    if not (indexes.graph.has(iri) or iri in indexes.articles):
        raise ApiError(404, f"no entity with id {identifier!r}")
    return iri


# -- caching ------------------------------------------------------------------------------


def _etag(indexes: Indexes, variant: str = "") -> str:
    basis = f"{indexes.version}|{getattr(indexes, 'generation', 0)}|{request.full_path}|{variant}"
    return '"' + hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()[:32] + '"'


def cached(indexes: Indexes, build, *, media_type: str = JSON, variant: str = "") -> Response:
    """Answers 304 when the client's ETag is current; else builds the JSON body."""
    etag = _etag(indexes, variant or media_type)
    if not_modified(etag):
        response = Response(status=304)
    else:
        body = build()
        response = Response(json.dumps(body), mimetype=media_type)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.vary.add("Accept")
    return response


# -- JSON pieces --------------------------------------------------------------------------


# -- routes: search and entities -----------------------------------------------------------


@bp.get("/search")
def search():
    q = request.args.get("q")
    if not q:
        raise ApiError(400, "q is required (the text typed so far)", "q")
    if len(q) > MAX_Q:
        raise ApiError(422, f"q must be at most {MAX_Q} characters", "q")
    limit, offset = page_params(10, 50, 1000)
    indexes = current_indexes()
    wanted = request.args.get("type")
    type_ = None
    if wanted is not None:
        name = wanted.strip().removeprefix("hk:")
        if not TYPE_PATTERN.fullmatch(name):
            raise ApiError(
                422,
                "type must be a class name such as Treatment or Condition",
                "type",
                allowed=indexes.search.types,
            )
        # A well-formed class name with no entities matches nothing (an empty page).
        by_fold = {t.casefold(): t for t in indexes.search.types}
        type_ = by_fold.get(name.casefold(), name)

    include_deprecated = request.args.get("includeDeprecated", "false")
    if include_deprecated not in ("true", "false"):
        raise ApiError(422, "includeDeprecated must be true or false", "includeDeprecated")

    def build():
        total, hits = indexes.search.search(
            q,
            type_=type_,
            limit=limit,
            offset=offset,
            include_deprecated=include_deprecated == "true",
        )
        return {
            "query": q,
            "type": type_,
            "total": total,
            "limit": limit,
            "offset": offset,
            "items": [h.as_json() for h in hits],
        }

    return cached(indexes, build)


@bp.get("/entities/<path:identifier>")
def entity(identifier: str):
    if identifier.endswith("/articles"):
        return entity_articles(identifier.removesuffix("/articles"))
    indexes = current_indexes()
    iri = resolve(indexes, identifier)
    media_type = choose(request.headers.get("Accept"), [JSON, JSON_LD])
    if media_type is None:
        raise ApiError(406, "this resource is available as application/json or application/ld+json")
    if iri in indexes.articles:

        def build():
            body = article_json(indexes, indexes.articles[iri])
            body["type"] = "Article"
            return _json_ld_article(body) if media_type == JSON_LD else body

        return cached(indexes, build, media_type=media_type)

    def build():
        card = entity_card(
            indexes.graph,
            iri,
            (indexes.related.df_role(iri, ABOUT), indexes.related.df_role(iri, MENTIONS)),
        )
        return json_ld(card) if media_type == JSON_LD else card

    response = cached(indexes, build, media_type=media_type)
    if is_deprecated(indexes.graph, iri) and (nxt := successor(indexes.graph, iri)):
        response.headers["Link"] = f'<{nxt}>; rel="successor-version"'
    return response


def entity_articles(identifier: str):
    indexes = current_indexes()
    iri = resolve(indexes, identifier)
    role = request.args.get("role")
    if role not in (None, ABOUT, MENTIONS):
        raise ApiError(422, "role must be 'about' or 'mentions'", "role")
    limit, offset = page_params(20, 100)

    def build():
        roles = [role] if role else [ABOUT, MENTIONS]
        items = []
        for r in roles:
            for article in indexes.related.articles_for(iri, r):
                items.append({**article_ref(article), "role": r})
        return {
            "entity": indexes.graph.ref(iri),
            "role": role or None,
            **_page(items, limit, offset),
        }

    return cached(indexes, build)


def _typed_view(identifier: str, kinds: tuple[str, ...], what: str, compute, key: str):
    indexes = current_indexes()
    iri = resolve(indexes, identifier)
    graph = indexes.graph
    if not any(graph.is_a(iri, str(HK) + kind) for kind in kinds):
        raise ApiError(404, f"{identifier!r} is not a {what}")
    limit, offset = page_params(50, 200)

    def build():
        return {key: graph.ref(iri), **_page(compute(graph, iri), limit, offset)}

    return cached(indexes, build)


TREATMENT_KINDS = ("Treatment", "CosmeticOption", "Device", "Combination", "Procedure", "Drug")


@bp.get("/conditions/<identifier>/treatments")
def condition_treatments(identifier: str):
    kinds = ("Condition", "AdverseEffect", "HairLossDisorder")
    return _typed_view(identifier, kinds, "condition", treatments_for, "condition")


@bp.get("/treatments/<identifier>/adverse-effects")
def treatment_adverse_effects(identifier: str):
    return _typed_view(identifier, TREATMENT_KINDS, "treatment", adverse_effects_of, "treatment")


@bp.get("/treatments/<identifier>/mechanisms")
def treatment_mechanisms(identifier: str):
    return _typed_view(identifier, TREATMENT_KINDS, "treatment", mechanisms_of, "treatment")


# -- routes: articles and related content --------------------------------------------------


def _article_by_id(indexes: Indexes, identifier: str) -> Article:
    iri = iri_for_id(identifier)
    if iri is None:
        raise ApiError(400, f"id must match {ID_PATTERN.pattern}", "id")
    article = indexes.articles.get(iri)
    if article is None:
        raise ApiError(404, f"no article with id {identifier!r}")
    return article


@bp.get("/articles")
def articles():
    limit, offset = page_params(20, 100)
    indexes = current_indexes()
    about = request.args.get("about")
    about_iri = None
    if about is not None:
        about_iri = iri_for_id(about)
        if about_iri is None:
            raise ApiError(400, f"about must match {ID_PATTERN.pattern}", "about")

    def build():
        if about_iri:
            chosen = indexes.related.articles_for(about_iri, ABOUT)
        else:
            chosen = list(indexes.articles.values())
        chosen.sort(key=lambda a: a.url)
        chosen.sort(key=lambda a: a.date, reverse=True)  # newest first, then by URL
        return _page([article_ref(a) for a in chosen], limit, offset)

    return cached(indexes, build)


@bp.get("/articles/<identifier>")
def article(identifier: str):
    indexes = current_indexes()
    found = _article_by_id(indexes, identifier)
    return cached(indexes, lambda: article_json(indexes, found))


@bp.get("/articles/<identifier>/related")
def article_related(identifier: str):
    indexes = current_indexes()
    return _related(indexes, _article_by_id(indexes, identifier))


@bp.get("/related")
def related_by_url():
    url = request.args.get("url")
    if not url:
        raise ApiError(400, "url is required (the URL of an article)", "url")
    if len(url) > MAX_URL_PARAM:
        raise ApiError(422, f"url must be at most {MAX_URL_PARAM} characters", "url")
    if not URL_PATTERN.match(url):
        raise ApiError(422, "url must be an absolute http(s) URL", "url")
    indexes = current_indexes()
    found = indexes.related.find_url(url)
    if found is None:
        raise ApiError(404, "no article with this URL is registered in the knowledge base")
    return _related(indexes, found)


def _related(indexes: Indexes, source: Article) -> Response:
    limit, offset = page_params(5, 50, 200)

    def build():
        ranked = related_with_picks(indexes.related, source, offset + limit + 1)
        window = ranked[offset : offset + limit]
        return {
            "article": article_ref(source),
            "limit": limit,
            "offset": offset,
            "count": len(window),
            "hasMore": len(ranked) > offset + limit,
            "items": [
                {
                    **article_ref(a),
                    "score": None if score is None else round(score, 6),
                    "pinned": score is None,
                    "reasons": reasons,
                }
                for a, score, reasons in window
            ],
        }

    return cached(indexes, build)


# -- OpenAPI and docs ---------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi_json():
    from api.openapi.document import openapi_document

    response = Response(json.dumps(openapi_document()), mimetype=JSON)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/docs")
def docs():
    from api.openapi.docs_page import docs_html

    return Response(docs_html(), mimetype="text/html")


@bp.get("/")
@bp.get("")
def index():
    return Response(
        json.dumps(
            {
                "name": "hairkg JSON API",
                "version": "1",
                "openapi": f"{API_PREFIX}/openapi.json",
                "docs": f"{API_PREFIX}/docs",
            }
        ),
        mimetype=JSON,
    )


# -- widget -------------------------------------------------------------------------------


@widget_bp.get("/widget.js")
def widget_js():
    response = current_app.send_static_file("widget.js")
    response.headers["Cache-Control"] = "public, max-age=300"
    open_to_every_origin(response)
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@widget_bp.get("/demo")
def demo():
    try:
        indexes = current_indexes()
    except ApiError as error:
        return error.response()
    wanted = request.args.get("article", "")
    chosen = indexes.related.find_url(wanted) if wanted else None
    if chosen is None:
        seed = indexes.articles.get(str(KB) + "microneedling-for-hair-loss")
        chosen = seed or (
            min(indexes.articles.values(), key=lambda a: a.url) if indexes.articles else None
        )
    g.demo_article = chosen
    return render_template("demo.html", article=chosen)
