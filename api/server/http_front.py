"""The WSGI steps in front of the app (and of the answer front), outermost first:

1. ``ProxyFix`` (Werkzeug), only when the operator names how many proxies are in front
   (``trusted_proxy_count``): then ``X-Forwarded-For``, ``-Proto``, ``-Host`` and ``-Port``
   are taken from that many hops. Without it they are ignored (gunicorn's own handling is
   turned off in ``api.server.serve``).
2. :class:`RequestGuard`: a ``Host`` header that is not a valid host (``a b``) is refused with
   400, and a GET or HEAD whose request target is longer than ``max_url_length`` with 414,
   both in the documented format of the path (plain text for ``/sparql`` and ``/store``,
   problem+json elsewhere). gunicorn's own request-line limit is lifted (``serve``) so that
   the app, not gunicorn's HTML page, answers.
3. :class:`Compress`: gzip for answers of at least ``MIN_SIZE`` bytes of a text-like type
   when ``Accept-Encoding`` allows it. Never for streamed answers (no ``Content-Length``),
   answers already encoded, or HEAD; ``Vary: Accept-Encoding`` on every answer that could be
   compressed, and a strong ``ETag`` becomes weak on the compressed answer (the weak
   comparison of ``If-None-Match`` still matches it).

Answers replayed by the answer front pass through 2 and 3 like Flask's.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable

from werkzeug.datastructures import Headers
from werkzeug.http import parse_accept_header
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.sansio.utils import get_host

from api.errors import problem_response, text_error

MIN_SIZE = 1024
COMPRESS_LEVEL = 5
TEXT_PLAIN_PATHS = ("/sparql", "/store")


def wrap(app: Callable, settings) -> Callable:
    """``app`` behind the steps of the module docstring."""
    app = Compress(app)
    app = RequestGuard(app, settings.max_url_length)
    if settings.trusted_proxy_count > 0:
        n = settings.trusted_proxy_count
        app = ProxyFix(app, x_for=n, x_proto=n, x_host=n, x_port=n)
    return app


def error_answer(path: str, status: int, message: str):
    """An error before the app: plain text on the SPARQL paths, problem+json elsewhere."""
    headers = {"X-Content-Type-Options": "nosniff"}
    if path.startswith(TEXT_PLAIN_PATHS):
        return text_error(status, message, headers)
    detail = message[0].lower() + message[1:].rstrip(".")
    return problem_response(status, detail, headers=headers)


class RequestGuard:
    def __init__(self, app: Callable, max_url_length: int):
        self.app = app
        self.max_url_length = max_url_length

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        host = environ.get("HTTP_HOST")
        if host is not None and not get_host(environ.get("wsgi.url_scheme", "http"), host):
            answer = error_answer(path, 400, "The Host header is not a valid host name.")
            return answer(environ, start_response)
        query = environ.get("QUERY_STRING", "")
        length = len(environ.get("SCRIPT_NAME", "") + path) + (len(query) + 1 if query else 0)
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and length > self.max_url_length:
            advice = " Send long queries with POST." if path == "/sparql" else ""
            answer = error_answer(
                path,
                414,
                f"The request URL is {length} characters long; the limit for GET is "
                f"{self.max_url_length}.{advice}",
            )
            return answer(environ, start_response)
        return self.app(environ, start_response)


_COMPRESSIBLE_SUFFIXES = ("json", "xml", "javascript", "csv", "n-triples", "n-quads", "trig")


def compressible(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media.endswith(_COMPRESSIBLE_SUFFIXES)


class Compress:
    def __init__(self, app: Callable, min_size: int = MIN_SIZE):
        self.app = app
        self.min_size = min_size

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        accepted = parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING", ""))
        wants_gzip = accepted["gzip"] > 0 and environ.get("REQUEST_METHOD") != "HEAD"
        seen: dict = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"], seen["exc_info"] = status, headers, exc_info
            return _discard

        result = self.app(environ, capture)
        if "status" not in seen:  # an app that writes before returning: leave it alone
            result = list(result)
        headers = Headers(seen["headers"])
        length = headers.get("Content-Length", type=int)
        candidate = (
            length is not None
            and length >= self.min_size
            and compressible(headers.get("Content-Type", ""))
            and "Content-Encoding" not in headers
            and "Content-Range" not in headers
        )
        if candidate:
            vary = headers.get("Vary", "")
            if "accept-encoding" not in vary.lower():
                headers["Vary"] = f"{vary}, Accept-Encoding" if vary else "Accept-Encoding"
        if not (candidate and wants_gzip and seen["status"][:3] not in ("204", "304")):
            start_response(seen["status"], headers.to_wsgi_list(), seen["exc_info"])
            return result
        try:
            body = gzip.compress(b"".join(result), COMPRESS_LEVEL, mtime=0)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(body))
        etag = headers.get("ETag")
        if etag and not etag.startswith("W/"):
            headers["ETag"] = "W/" + etag
        start_response(seen["status"], headers.to_wsgi_list(), seen["exc_info"])
        return [body]


def _discard(_data: bytes) -> None:
    raise RuntimeError("the write() callable is not supported behind Compress")
