"""A per-client rate limit on the expensive requests: SPARQL queries and updates (``/sparql``
with a query or an update), ``POST /api/v1/suggest`` and every write (any POST, PUT, PATCH or
DELETE; so every ``POST /mcp``, the MCP server's tool calls). Cheap reads (pages, the JSON
API's GETs, the service description) are not limited.

A token bucket per client address, kept in each worker process (not shared between workers:
with N workers a client may get up to N times the rate; the figure is per process, which is
enough to stop one client from monopolising the engine). ``rate_limit_per_minute`` tokens
flow in per minute, up to ``rate_limit_burst``; a request takes one. An empty bucket is
answered 429 with ``Retry-After`` (whole seconds until a token is back): plain text on
``/sparql`` and ``/store`` like the protocol's other errors, problem+json elsewhere.

The client is ``REMOTE_ADDR``; when that is a proxy in ``trusted_proxies``, it is the last
address of ``X-Forwarded-For`` (the one the proxy saw). Addresses in ``rate_limit_exempt``
(loopback by default: local tools, tests) are not limited; the ``rate_limit`` setting turns
the limit off (benchmarks, load tests). The suggestion page's save goes through the write
path in the same request, so it is charged once.
"""

from __future__ import annotations

import math
import threading
import time

from flask import Flask, request

from api.errors import problem_response, text_error

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_CLIENTS = 10_000


class TokenBuckets:
    def __init__(self, per_minute: float, burst: int, clock=time.monotonic):
        self.rate = max(per_minute, 0.0) / 60.0
        self.burst = max(int(burst), 1)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 if ``client`` may go on (a token is taken), else the seconds until it may."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / self.rate if self.rate > 0 else 3600.0
            if len(self._buckets) > _MAX_CLIENTS:
                self._forget_full(now)
        return wait

    def _forget_full(self, now: float) -> None:
        for key, (tokens, last) in list(self._buckets.items()):
            if tokens + (now - last) * self.rate >= self.burst:
                del self._buckets[key]


def is_expensive() -> bool:
    if request.method in WRITE_METHODS:
        return True
    return (
        request.path == "/sparql"
        and request.method in ("GET", "HEAD")
        and ("query" in request.args or "update" in request.args)
    )


def client_address(environ: dict, trusted_proxies) -> str:
    peer = environ.get("REMOTE_ADDR") or ""
    if peer in trusted_proxies:
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return peer


class RateLimit:
    """The buckets and who is charged; ``charge`` works on the WSGI environ, so that the
    answer front (api/sparql_front.py), which answers before Flask, charges the same way."""

    def __init__(self, settings):
        self.settings = settings
        self.buckets = TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
        self.exempt = frozenset(settings.rate_limit_exempt)
        self.proxies = frozenset(settings.trusted_proxies)

    def charge(self, environ: dict) -> float:
        """Takes a token for the request's client, once per request: 0 if it may go on,
        else the seconds until it may."""
        if _WAIT in environ:
            return environ[_WAIT]
        client = client_address(environ, self.proxies)
        environ[_WAIT] = wait = 0.0 if client in self.exempt else self.buckets.take(client)
        return wait

    def refusal(self, environ: dict, wait: float):
        retry = str(max(1, math.ceil(wait)))
        message = (
            f"Too many expensive requests from {client_address(environ, self.proxies)}: the "
            f"limit is {self.settings.rate_limit_per_minute:g} a minute (bursts of "
            f"{self.settings.rate_limit_burst}); retry in {retry} s."
        )
        if request.path == "/sparql" or request.path.startswith("/store"):
            return text_error(429, message, {"Retry-After": retry})
        return problem_response(429, message, headers={"Retry-After": retry})


_WAIT = "hairkg.rate_limit.wait"


def install(app: Flask, settings) -> RateLimit | None:
    if not settings.rate_limit:
        return None
    limit = RateLimit(settings)
    app.extensions["hairkg.rate_limit"] = limit
    charged = threading.local()

    @app.before_request
    def _rate_limit():
        if getattr(charged, "request", None) is not None or not is_expensive():
            return None
        charged.request = id(request._get_current_object())
        wait = limit.charge(request.environ)
        return limit.refusal(request.environ, wait) if wait > 0 else None

    @app.teardown_request
    def _done(_error=None):
        if getattr(charged, "request", None) == id(request._get_current_object()):
            charged.request = None

    return limit
