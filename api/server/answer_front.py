"""The answer front: a repeated ``GET /sparql`` answered before Flask runs at all.

Measured on a 1M-triple store (docs/benchmarks.md), a cached answer through Flask still cost
about 1 ms of CPU per request, most of it request parsing, routing, negotiation and query
tokenizing that the answer does not depend on once it is known. This WSGI middleware keeps,
per worker, the complete answer (status, headers, body) that the endpoint gave to a GET,
keyed by what that answer can depend on: the raw query string, ``Accept``, the host, scheme
and script root (the base IRI and the endpoint URL), ``Origin`` (CORS) and the dataset
version. The endpoint marks which answers may be kept (``KEEP``): the same ones its own answer
cache keeps (api/sparql.py), so a query with RAND, NOW, UUID, STRUUID, BNODE or SERVICE never
is; errors never are.

Each request still reads the dataset version (``answer_version``: a write through this host's
write gate is seen by the next request, another host's write within the version check's
second), so a write is never answered with stale data. Requests with an ``Authorization``
header or a conditional header (``If-None-Match``, ``If-Modified-Since``) go to Flask, which
answers them exactly as before. The rate limit charges a kept answer like any other query
(a client over its limit gets Flask's 429). Each answer served here gets its own
``X-Request-Id`` and says ``Server-Timing: app;dur=…;desc=front, db;dur=0;desc=cached``.
The steps of ``api.server.http_front`` (trusted proxies, the Host and request-line checks,
gzip) sit in front of this one, so kept answers are checked and compressed like Flask's.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from api.tracing import request_id
from kb.store import guard as sparql_guard
from kb.store.errors import StoreError
from kb.store.signals import SignalWatch, write_signal

KEEP = "hairkg.sparql.keep"
"""Set in the WSGI environ by the endpoint, to the dataset version, when its answer may be kept."""

_PER_REQUEST = frozenset({"x-request-id", "server-timing"})
_PASS_THROUGH_HEADERS = ("HTTP_AUTHORIZATION", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")


class BoundedAnswers:
    """An LRU of answers (anything with a ``body``), bounded in bytes; an answer larger than
    a sixteenth of the bound is not kept."""

    def __init__(self) -> None:
        self._entries: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key, answer, limit: int) -> None:
        size = len(answer.body)
        if limit <= 0 or size > limit // 16:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = answer
            self._bytes += size
            while self._bytes > limit and self._entries:
                _old, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


class _Kept:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes):
        self.status, self.headers, self.body = status, headers, body


class AnswerFront:
    """WSGI middleware in front of the Flask app (see module docstring)."""

    def __init__(
        self,
        app: Callable,
        version: Callable[[], str],
        limit_bytes: int,
        *,
        charge: Callable[[dict], float] | None = None,
    ):
        self.app = app
        self.version = version  # the dataset version answers are kept under
        self.limit = limit_bytes
        self.charge = charge  # the rate limit (api/ratelimit.py), None when off
        self._kept = BoundedAnswers()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        started = time.perf_counter()
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        try:
            version = self.version()
        except StoreError:
            return self.app(environ, start_response)  # Flask answers the error
        key = (version, *key)
        kept = self._kept.get(key)
        if kept is not None and self.charge is not None and self.charge(environ) > 0:
            kept = None  # Flask answers 429 with the wait just computed
        if kept is not None:
            start_response(kept.status, [*kept.headers, *_per_request(environ, started)])
            return [] if environ["REQUEST_METHOD"] == "HEAD" else [kept.body]
        return self._answer_and_keep(environ, start_response, key)

    def _key(self, environ: dict) -> tuple | None:
        method = environ.get("REQUEST_METHOD")
        if (
            self.limit <= 0
            or method not in ("GET", "HEAD")
            or environ.get("PATH_INFO") != "/sparql"
            or "query=" not in environ.get("QUERY_STRING", "")
            or any(environ.get(h) for h in _PASS_THROUGH_HEADERS)
        ):
            return None
        return (
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_ACCEPT", ""),
            environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ['SERVER_PORT']}",
            environ.get("wsgi.url_scheme", "http"),
            environ.get("SCRIPT_NAME", ""),
            environ.get("HTTP_ORIGIN", ""),
        )

    def _answer_and_keep(self, environ: dict, start_response: Callable, key: tuple):
        seen: dict = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.app(environ, capture)
        if (
            environ.get(KEEP) != key[0]
            or environ["REQUEST_METHOD"] != "GET"
            or not seen.get("status", "").startswith("200 ")
        ):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        headers = [(k, v) for k, v in seen["headers"] if k.lower() not in _PER_REQUEST]
        self._kept.put(key, _Kept(seen["status"], headers, body), self.limit)
        return [body]


def _per_request(environ: dict, started: float) -> list[tuple[str, str]]:
    elapsed_ms = (time.perf_counter() - started) * 1000
    return [
        ("X-Request-Id", request_id(environ.get("HTTP_X_REQUEST_ID", ""))),
        ("Server-Timing", f"app;dur={elapsed_ms:.1f};desc=front, db;dur=0;desc=cached"),
    ]


# The per-worker cache of rendered /sparql answers the view fills and the front reads: keyed by
# ETag, emptied when this host's write marker moves.


def answer_version(settings, store) -> str:
    """The dataset version answers are cached under. A write through this host's write
    gate touches its marker, and the next request on every worker drops the cached answers
    and asks the store again; otherwise the store's version check (cached for a second)."""
    if settings.sparql_cache_mb > 0 and ANSWERS.outdated(write_signal(settings.data_dir)):
        store.forget_version()
    return store.version()


# Answers that differ between two runs of the same query on the same data.
_UNCACHEABLE = frozenset({"RAND", "NOW", "UUID", "STRUUID", "BNODE", "SERVICE"})


def answer_cacheable(query: str) -> bool:
    return not any(
        t.kind == "keyword" and t.text in _UNCACHEABLE for t in sparql_guard.tokenize(query)
    )


class AnswerCache(BoundedAnswers):
    """Rendered answers of this worker by ETag (dataset version, query, dataset, format and
    row cap) and base IRI. The version in the key makes a write invalidate them; a write
    through this host's write gate also announces itself (``kb.store.signals``), and the next
    request drops everything and reads the version afresh (other hosts' writes against a shared
    remote store are seen within the version check's second, as for ETags). Queries with
    RAND, NOW, UUID, STRUUID, BNODE or SERVICE are not kept. LRU, bounded in bytes; an
    answer larger than a sixteenth of the bound is not kept."""

    def __init__(self) -> None:
        super().__init__()
        self._watch: SignalWatch | None = None

    def outdated(self, signal) -> bool:
        """True (and emptied) when this host announced a write since the last look
        (``kb.store.signals``)."""
        if self._watch is None or self._watch.path != signal:
            self._watch = SignalWatch(signal)
        if not self._watch.moved():
            return False
        self.clear()
        return True


ANSWERS = AnswerCache()


__all__ = ["KEEP", "AnswerFront", "BoundedAnswers"]
