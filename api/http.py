"""The HTTP helpers every view shares: content negotiation, conditional requests, the CORS
policies and the security headers of pages.

Negotiation is Werkzeug's (``MIMEAccept``, RFC 9110 §12.5.1: the highest q-value, a more
specific range overriding a wildcard, ``q=0`` excluding a type); ``client_accept`` only adds
the leniency real clients need: no Accept header, or nothing in it Werkzeug can read, accepts
anything, the bare ``*`` old clients send means ``*/*``, and media-type parameters
are not compared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from flask import Response, render_template, request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header, unquote_etag

from api.errors import problem_response
from api.render.rdf_formats import (
    ALIASES,
    BY_EXTENSION,
    BY_MEDIA_TYPE,
    HTML,
    OFFERED,
    RDF_FORMATS,
    RdfFormat,
)
from api.state import current_settings, current_store


def client_accept(header: str | None) -> MIMEAccept:
    """The client's Accept header as Werkzeug reads it, with the leniency above."""
    ranges = ["*/*" if part.strip() == "*" else part for part in (header or "").split(",")]
    # Media-type parameters (``text/turtle; charset=utf-8``) do not narrow a range here: every
    # text format is sent as UTF-8, and no offer differs from another by a parameter.
    accept = [
        (value.partition(";")[0].strip(), q)
        for value, q in parse_accept_header(",".join(ranges), MIMEAccept)
        if "/" in value
    ]
    return MIMEAccept(accept or [("*/*", 1)])


def choose(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered type the client prefers (the first offer among equals), or None if none
    is acceptable (answer 406)."""
    return client_accept(accept).best_match(offered)


def prefers_html(accept: str | None) -> bool:
    """True for browsers: ``text/html`` is named and no RDF or JSON type is preferred over
    it. Wildcards (``*/*`` from curl and requests, ``text/*``) are not a preference for HTML:
    such clients get the machine-readable answer."""
    named = MIMEAccept([(v, q) for v, q in client_accept(accept) if "*" not in v])
    html = named.quality("text/html")
    return html > 0 and all(named.quality(other) <= html for other in MACHINE_READABLE)


# Types a client names when it wants data: naming one of them above text/html means "not a
# browser" (a SPARQL client may list text/html at a lower quality as a last resort).
MACHINE_READABLE = (
    "application/json",
    "application/ld+json",
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
)


# Security headers of the HTML pages.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def secure_html(response: Response, csp: str = CSP) -> Response:
    """Security headers for an HTML page: only this origin, never framed, no sniffing."""
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


# CORS for reads: one policy for every route, applied after every request (``read_cors``,
# registered by create_app). ``cors_origins`` is "*" (any origin) or a comma-separated list of
# exact origins; a listed origin is answered with itself (browsers accept one origin, never a
# list). Public Linked Data (entity pages, the ontology, VoID, the dump, the widget) is open to
# every origin whatever the setting. Preflights (OPTIONS with Access-Control-Request-Method)
# for reads allow the request headers of READ_ALLOW_HEADERS that the browser asks for; writes
# are the write policy's (below).

PUBLIC_READ_PATHS = ("/id/", "/ontology", "/.well-known/void", "/dump", "/widget")
READ_METHODS = "GET, HEAD, OPTIONS"
SPARQL_METHODS = "GET, HEAD, POST, OPTIONS"  # POST queries are reads too
READ_ALLOW_HEADERS = frozenset(
    {
        "accept",
        "accept-language",
        "content-language",
        "content-type",
        "if-none-match",
        "if-modified-since",
        "last-event-id",  # a change-feed client resuming its stream (api/feed)
        "x-request-id",
    }
)
READ_EXPOSE_HEADERS = (
    "ETag, Link, Content-Length, Content-Location, Server-Timing, X-Request-Id, X-Hairkg-Truncated"
)


def cors_origin() -> str | None:
    """The Access-Control-Allow-Origin for this request: "*", the request's Origin when the
    operator lists it, else None (no CORS headers)."""
    if request.path.startswith(PUBLIC_READ_PATHS):
        return "*"
    configured = [o.strip() for o in (current_settings().cors_origins or "*").split(",")]
    configured = [o for o in configured if o]
    if "*" in configured:
        return "*"
    origin = request.headers.get("Origin")
    return origin if origin and origin in configured else None


def read_cors(response: Response) -> Response:
    """After every request: the read-side CORS headers (answers to writes are write_cors's)."""
    if (request.method in WRITE_METHODS or _is_write_preflight()) and _write_origin():
        return response  # a write preflight or answer of a listed origin: write_cors's
    if request.method in WRITE_METHODS and request.path != "/sparql":
        return response
    opened = response.headers.get("Access-Control-Allow-Origin") == "*"
    origin = "*" if opened else cors_origin()
    if origin is None:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    if origin != "*":
        response.vary.add("Origin")
    if request.method != "OPTIONS" or "Access-Control-Request-Method" not in request.headers:
        response.headers["Access-Control-Expose-Headers"] = READ_EXPOSE_HEADERS
        return response
    response.headers["Access-Control-Allow-Methods"] = (
        SPARQL_METHODS if request.path == "/sparql" else READ_METHODS
    )
    requested = request.headers.get("Access-Control-Request-Headers", "")
    names = ["accept", "content-type"]
    names += [h.strip().lower() for h in requested.split(",") if h.strip()]
    allowed = [name for name in dict.fromkeys(names) if name in READ_ALLOW_HEADERS]
    response.headers["Access-Control-Allow-Headers"] = ", ".join(allowed)
    response.headers["Access-Control-Max-Age"] = "86400"
    return response


def open_to_every_origin(response: Response) -> Response:
    """Public resources (Linked Data in RDF, the dump, the widget) any page may read."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# The Linked Data pages' plumbing: pages, ETags, negotiation by extension, RDF answers.

CODE_VERSION = "ld-3"  # part of every ETag: bump when the pages change shape


def html_page(template: str, status: int = 200, **context) -> Response:
    response = Response(render_template(template, **context), status=status, mimetype=HTML)
    response.charset = "utf-8"
    return secure_html(response)


def etag_for(*parts: str) -> str:
    version = current_store().version()
    digest = hashlib.sha256("\x1f".join((CODE_VERSION, version, *parts)).encode()).hexdigest()
    return f'W/"{digest[:32]}"'


def not_modified(etag: str) -> bool:
    """True when the request's If-None-Match names ``etag`` or is ``*`` (the weak comparison
    of RFC 9110 §13.1.2, through Werkzeug's parsed header)."""
    tag, _weak = unquote_etag(etag)
    return request.if_none_match.contains_weak(tag)


def cached(etag: str, build: Callable[[], Response], *, max_age: int = 300) -> Response:
    """Answers 304 when the client has ``etag``, else the built response, with cache headers."""
    response = Response(status=304) if not_modified(etag) else build()
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.vary.add("Accept")
    return response


def negotiate(extension: str | None) -> str | RdfFormat | None:
    """HTML (the string), an RDF format, or None for 406; an extension overrides Accept."""
    if extension is not None:
        return HTML if extension == "html" else BY_EXTENSION.get(extension)
    accept = request.headers.get("Accept")
    chosen = choose(accept, OFFERED + list(ALIASES))
    if chosen is None:
        return None
    if chosen == HTML:
        return HTML
    return BY_MEDIA_TYPE.get(chosen) or ALIASES[chosen]


def not_acceptable() -> Response:
    """406, varying on Accept."""
    offered = ", ".join(OFFERED)
    response = problem_response(
        406,
        f"none of the requested media types is available; this resource is offered as {offered}",
    )
    response.vary.add("Accept")
    return response


def not_found(what: str) -> Response:
    if prefers_html(request.headers.get("Accept")):
        response = html_page("not_found.html", status=404, what=what)
    else:
        response = problem_response(404, f"{what} is not in the knowledge graph")
    response.vary.add("Accept")
    return response


def split_extension(name: str) -> tuple[str, str | None]:
    stem, dot, extension = name.rpartition(".")
    if dot and (extension in BY_EXTENSION or extension == "html"):
        return stem, extension
    return name, None


def public_base() -> str:
    """This service's base URL (no trailing slash): configured, else from the request."""
    return (current_settings().public_url or request.host_url).rstrip("/")


def rdf_response(body: bytes, rdf_format: RdfFormat, *, alias: str | None = None) -> Response:
    mimetype = alias or rdf_format.media_type
    response = Response(body, mimetype=mimetype)
    if mimetype.startswith("text/") or mimetype.endswith("json"):
        response.charset = "utf-8"
    return open_to_every_origin(response)


def alternates_for(path: str) -> list[dict]:
    return [
        {"name": f.name, "media_type": f.media_type, "href": f"{path}.{f.extension}"}
        for f in RDF_FORMATS
    ]


# CORS for writes. Browser pages on other origins may write only from the origins the operator lists
# (cors_write_origins, exact origins; "*" is not honoured): for them a preflight allows
# Authorization and the write methods, and write answers name the origin. Every other origin
# gets no Authorization in its preflight, so a browser never sends a token cross-origin.


WRITE_PATHS = (
    "/sparql",
    "/store",
    "/api/v1/edit/",
    "/api/v1/history/",
    "/api/v1/suggest/accept",
    "/api/v1/proposals",
    "/api/v1/releases",
)


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


WRITE_ALLOW_HEADERS = (
    "Authorization, Content-Type, Accept, If-Match, If-None-Match, X-Change-Message"
)


WRITE_EXPOSE_HEADERS = "ETag, Location, X-Hairkg-Change, X-Hairkg-Version, X-Request-Id"


def _write_origin() -> str | None:
    origin = request.headers.get("Origin")
    allowed = [o for o in current_settings().cors_write_origins if o != "*"]
    path = request.path
    is_write_path = any(path == p.rstrip("/") or path.startswith(p) for p in WRITE_PATHS)
    return origin if origin and is_write_path and origin in allowed else None


def _is_write_preflight() -> bool:
    wanted = request.headers.get("Access-Control-Request-Method", "").upper()
    return request.method == "OPTIONS" and wanted in WRITE_METHODS


def write_preflight():
    """Before every request (registered by create_app): a write preflight from a listed origin."""
    if not _is_write_preflight():
        return None
    origin = _write_origin()
    if origin is None:
        return None  # the read-side CORS (if any) answers: no Authorization
    response = Response(status=204)
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, POST, PUT, PATCH, DELETE"
    response.headers["Access-Control-Allow-Headers"] = WRITE_ALLOW_HEADERS
    response.headers["Access-Control-Max-Age"] = "600"
    response.vary.add("Origin")
    return response


def write_cors(response: Response) -> Response:
    """After every request (registered by create_app): write answers name a listed origin."""
    if (request.method in WRITE_METHODS or _is_write_preflight()) and _write_origin():
        response.headers["Access-Control-Allow-Origin"] = request.headers["Origin"]
        response.headers["Access-Control-Expose-Headers"] = WRITE_EXPOSE_HEADERS
        response.vary.add("Origin")
    return response
