"""The application factory: settings and store in, a Flask app with every blueprint out."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from api import state
from api.errors import store_error_plain, store_error_problem
from api.feed.views import bp as feed_bp
from api.http import html_page, prefers_html, read_cors, write_cors, write_preflight
from api.mcp import endpoint as mcp_endpoint
from api.server import http_front, ratelimit
from api.server.answer_front import AnswerFront, answer_version
from api.state import current_store
from api.tracing import request_id
from api.views.admin import bp as admin_bp
from api.views.dataset import bp as dataset_bp
from api.views.editing import bp as editing_bp
from api.views.editorial.curation import bp as curation_bp
from api.views.editorial.proposals import bp as proposals_bp
from api.views.editorial.proposals import page_bp as proposals_page_bp
from api.views.editorial.releases import bp as releases_bp
from api.views.graph_store import store_bp
from api.views.json_api import api_routing_errors, widget_bp
from api.views.json_api import bp as rest_bp
from api.views.linked_data import bp as linked_data_bp
from api.views.ontology import bp as ontology_bp
from api.views.query_ui import bp as query_ui_bp
from api.views.sparql import bp as sparql_bp
from api.views.suggest import bp as suggest_bp
from api.views.suggest import page_bp as suggest_page_bp
from kb.settings import Settings
from kb.store.client import NO_RELEASE, UNVERSIONED, SparqlStore
from kb.store.engines import endpoints_of
from kb.store.errors import StoreError
from kb.store.managed import EngineSupervision

FALLBACK_HTML_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(settings: Settings | None = None, store: SparqlStore | None = None) -> Flask:
    settings = settings or Settings.from_env()
    if store is None:
        store = store_for(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.sort_keys = False
    state.register(app, settings, store)
    logging.basicConfig(level=settings.log_level.upper())

    _register_request_hooks(app)
    rate_limit = ratelimit.install(app, settings)
    app.add_url_rule("/healthz", "healthz", healthz)
    app.before_request(api_routing_errors)
    app.before_request(write_preflight)
    app.after_request(write_cors)
    app.after_request(read_cors)
    app.register_error_handler(StoreError, _store_error)
    app.register_error_handler(HTTPException, _http_error_page)
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)
    mcp_endpoint.install(app)
    app.extensions["hairkg.indexes"].warm()
    if settings.sparql_cache_mb > 0:
        app.wsgi_app = AnswerFront(  # type: ignore[method-assign]
            app.wsgi_app,
            lambda: answer_version(settings, store),
            settings.sparql_cache_mb * 1024 * 1024,
            charge=rate_limit.charge if rate_limit else None,
        )
    app.wsgi_app = http_front.wrap(app.wsgi_app, settings)  # type: ignore[method-assign]
    return app


def _blueprints():
    return [
        sparql_bp,
        rest_bp,
        widget_bp,
        linked_data_bp,
        ontology_bp,
        dataset_bp,
        query_ui_bp,
        admin_bp,
        editing_bp,
        curation_bp,
        feed_bp,
        proposals_bp,
        proposals_page_bp,
        releases_bp,
        store_bp,
        suggest_bp,
        suggest_page_bp,
    ]


def store_for(settings: Settings) -> SparqlStore:
    """The store the settings name: any engine (``kb.store.engines.endpoints_of``)."""
    if not settings.store_url:
        raise ValueError("no store configured: set HAIRKG_STORE_URL or run `hairkg serve`")
    return SparqlStore.for_endpoints(
        endpoints_of(settings),
        timeout_s=settings.query_timeout_cap_s,
        supervision=EngineSupervision(settings.data_dir) if settings.managed_store else None,
    )


def healthz():
    """Ready when the store answers and holds a hairkg release (its dataset version is
    recorded): load balancers and tests wait on this. A store that answers but holds no
    release (an engine's system graphs only) is not ready."""
    store = current_store()
    try:
        version = store.version(max_age_s=0)
    except StoreError as error:
        return jsonify(status="unavailable", error=str(error)), 503
    if version == UNVERSIONED:
        return jsonify(status="unavailable", error=NO_RELEASE), 503
    return jsonify(status="ok", datasetVersion=version)


def _http_error_page(error: HTTPException):
    """A browser that hits an HTTP error on a page route (a mistyped address, a wrong method)
    gets a page in the site's layout, with the navigation; every other client, and the
    machine routes (/api/, /admin/, /mcp), get the error as it was."""
    if request.path.startswith(("/api/", "/admin/", "/mcp")) or not prefers_html(
        request.headers.get("Accept")
    ):
        return error
    response = html_page("error.html", status=error.code or 500, error=error)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _store_error(error: StoreError) -> Response:
    """A store failure that the route did not answer itself (e.g. ``/dump.nq`` while the store
    is down), in the one wording of ``api.errors.store_failure``: problem+json under ``/api/`` and
    ``/admin/``, plain text elsewhere. The message never names the store's address
    (``kb.store.errors.public_message``)."""
    if request.path.startswith(("/api/", "/admin/")):
        return store_error_problem(error)
    return store_error_plain(error)


def _register_request_hooks(app: Flask) -> None:
    @app.before_request
    def _start():
        g.request_started = time.perf_counter()
        g.request_id = request_id(request.headers.get("X-Request-Id", ""))

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        started = g.get("request_started")
        if started is not None:
            elapsed_ms = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={elapsed_ms:.1f}"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if response.mimetype == "text/html":
            # Pages that set no policy of their own (error pages, /demo, /api/v1/docs) get
            # one that still allows their inline styles; scripts only from this origin.
            response.headers.setdefault("Content-Security-Policy", FALLBACK_HTML_CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        return response
