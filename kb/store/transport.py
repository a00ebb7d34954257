"""The HTTP exchange with the engine: one request, its whole answer read within a deadline.

Two ways to send it, one behaviour (statuses, headers, errors, deadlines):

- **No credentials** (the managed Oxigraph, an open remote engine): a keep-alive connection of
  the standard library's ``http.client`` kept per thread and process, reused while the engine
  keeps it open (checked before each reuse, as urllib3 does). Measured per round trip
  (docs/benchmarks.md, "A lean /sparql path"): 0.14 ms of CPU, against 0.35-0.45 ms through
  urllib3's pool and 1.1 ms through a requests session, on a proxy that spends about 1 ms of
  CPU per ``/sparql`` query in all.
- **Credentials** (Basic or Digest as the server asks, a bearer token): a requests session
  with its auth, which may answer a challenge first.

The deadline: each wait for bytes is bounded by the time limit (+0.5 s), and a timer shuts the
socket down at the request's deadline (one shared watcher thread: ``kb.store.deadlines``), so
an engine streaming a long answer cannot keep the caller past its limit; the engine then sees
the connection close, which stops a streaming evaluation.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from kb.store.deadlines import DEADLINES
from kb.store.errors import QueryTimeout, StoreUnavailable, connection_reason

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 2.0
USER_AGENT = "hairkg"


@dataclass(frozen=True)
class EngineAnswer:
    """An engine's HTTP answer, read whole within the request's deadline."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive
    content: bytes


class Transport:
    """Sends requests to one engine (see the module docstring)."""

    def __init__(self, *, auth: AuthBase | None = None, max_connections: int = 16):
        self._session: requests.Session | None = None
        if auth is not None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_maxsize=max_connections, pool_block=False, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers = {"User-Agent": USER_AGENT}  # type: ignore[assignment]
            session.auth = auth
            session.trust_env = False  # no proxies or .netrc credentials from the environment
            self._session = session
        self._connections = threading.local()  # {(scheme, host, port, pid): HTTPConnection}
        self._tls: ssl.SSLContext | None = None

    def exchange(self, method, url, *, body, headers, limit) -> EngineAnswer:
        """Sends a request and reads the whole answer within ``limit`` (+0.5 s) in total; a
        redirect is refused (a POST must not turn into a GET)."""
        deadline = time.monotonic() + limit + 0.5
        if self._session is not None:
            answer = self._through_session(method, url, body, headers, limit, deadline)
        else:
            answer = self._through_connection(method, url, body, headers, limit, deadline)
        if 300 <= answer.status_code < 400:
            raise StoreUnavailable(
                f"the triple store answered with a redirect ({answer.status_code}): configure "
                "the address it redirects to"
            )
        return answer

    # -- without credentials: a kept-alive http.client connection per thread ---------------

    def _through_connection(self, method, url, body, headers, limit, deadline) -> EngineAnswer:
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        key = (parts.scheme, parts.hostname, parts.port, os.getpid())
        try:
            connection = self._connection(key)
            connection.sock.settimeout(limit + 0.5)
            connection.request(method, target, body=body, headers=_with_agent(headers))
            response = connection.getresponse()
        except TimeoutError as error:  # connected (see _NotConnected): the answer is late
            self._forget(key)
            raise QueryTimeout(limit) from error
        except (OSError, http.client.HTTPException) as error:
            self._forget(key)
            raise _unreachable(url, error) from error
        sock = connection.sock
        try:
            content = self._read(
                response.read, lambda: sock.shutdown(socket.SHUT_RDWR), url, limit, deadline
            )
        except StoreUnavailable:
            self._forget(key)  # never reused with part of an answer unread
            raise
        if content is None:
            self._forget(key)
            raise QueryTimeout(limit)
        if response.will_close:
            self._forget(key)
        return EngineAnswer(response.status, response.headers, content)

    def _connection(self, key) -> http.client.HTTPConnection:
        kept = getattr(self._connections, "by_origin", None)
        if kept is None:
            kept = self._connections.by_origin = {}
        connection = kept.get(key)
        if connection is not None and connection.sock is not None and not _dropped(connection):
            return connection
        if connection is not None:
            connection.close()
        scheme, host, port, _pid = key
        if scheme == "https":
            if self._tls is None:
                self._tls = ssl.create_default_context(cafile=certifi.where())
            connection = http.client.HTTPSConnection(
                host, port, timeout=CONNECT_TIMEOUT_S, context=self._tls
            )
        else:
            connection = http.client.HTTPConnection(host, port, timeout=CONNECT_TIMEOUT_S)
        try:
            connection.connect()
        except TimeoutError as error:
            raise _NotConnected(error) from error
        kept[key] = connection
        return connection

    def _forget(self, key) -> None:
        kept = getattr(self._connections, "by_origin", {})
        connection = kept.pop(key, None)
        if connection is not None:
            connection.close()

    # -- with credentials: requests and its auth ---------------------------------------------

    def _through_session(self, method, url, body, headers, limit, deadline) -> EngineAnswer:
        assert self._session is not None
        try:
            response = self._session.request(
                method,
                url,
                data=body,
                headers=headers,
                timeout=(CONNECT_TIMEOUT_S, limit + 0.5),
                stream=True,
                allow_redirects=False,
            )
        except requests.exceptions.ReadTimeout as error:
            raise QueryTimeout(limit) from error
        except requests.exceptions.RequestException as error:
            raise _unreachable(url, error) from error
        raw = response.raw
        try:
            content = self._read(
                lambda: raw.read(decode_content=True), raw.shutdown, url, limit, deadline
            )
        except StoreUnavailable:
            raw.close()
            raise
        if content is None:
            raw.close()
            raise QueryTimeout(limit)
        raw.release_conn()
        return EngineAnswer(response.status_code, response.headers, content)

    # -- reading an answer within the deadline -------------------------------------------------

    @staticmethod
    def _read(read, shutdown, url, limit, deadline) -> bytes | None:
        """The body, or None when the deadline passed; StoreUnavailable when the engine failed
        while answering."""
        expired: list[bool] = []  # set by the deadline's thread (a flag, not a new Event)

        def _expire():
            expired.append(True)
            with contextlib.suppress(Exception):
                shutdown()

        watch = DEADLINES.add(deadline, _expire)
        try:
            content = read()
        except (
            requests.exceptions.RequestException,
            urllib3.exceptions.HTTPError,
            http.client.HTTPException,
            OSError,
        ) as error:
            if expired or _read_timeout(error):
                return None
            log.warning("the triple store at %s failed while answering: %s", url, error)
            raise StoreUnavailable(
                f"the triple store failed while answering ({connection_reason(error)})"
            ) from error
        finally:
            DEADLINES.cancel(watch)
        return None if expired else content


class _NotConnected(OSError):
    """No connection within the connect timeout: the store is unreachable, not slow."""


def _unreachable(url: str, error: BaseException) -> StoreUnavailable:
    log.warning("the triple store at %s is unreachable: %s", url, error)
    cause = error.__cause__ if isinstance(error, _NotConnected) and error.__cause__ else error
    return StoreUnavailable(f"the triple store is unreachable ({connection_reason(cause)})")


def _with_agent(headers: dict[str, str]) -> dict[str, str]:
    return {"User-Agent": USER_AGENT, **headers}


def _dropped(connection: http.client.HTTPConnection) -> bool:
    """The engine closed a kept connection (or sent something unasked): do not reuse it."""
    try:
        poller = select.poll()
        poller.register(connection.sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _read_timeout(error: BaseException) -> bool:
    """A read timeout, raised as such or wrapped by requests or urllib3 while reading."""
    cause = error.args[0] if error.args else None
    timeouts = (
        urllib3.exceptions.ReadTimeoutError,
        requests.exceptions.ReadTimeout,
        TimeoutError,
    )
    return isinstance(error, timeouts) or isinstance(cause, timeouts)
