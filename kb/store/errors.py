"""Errors of the triple store, and their wording for clients: a store error a client sees
never names the store's address, a port or a file path (``public_message``); the full detail
goes to the log."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from kb.store.engines import Engine

log = logging.getLogger(__name__)


class StoreError(Exception):
    """The store refused or failed an operation; ``status`` is the HTTP status to answer.

    Its message is shown to clients as it is (every ``{error}`` in an HTTP answer), so it
    never holds the store's address, a port or a file path: ``SparqlStore`` words its errors
    with ``public_message`` and logs the detail instead."""

    status = 500


class StoreUnavailable(StoreError):
    """The store cannot be reached or answered with a server error."""

    status = 503


class QueryTimeout(StoreError):
    """The operation ran past its time limit and was stopped."""

    status = 503

    def __init__(self, limit_s: float | None):
        if limit_s is None:  # a remote engine stopped it at a limit of its own
            super().__init__("the triple store stopped the query at its own time limit")
        else:
            super().__init__(f"query exceeded the time limit of {limit_s:g} s and was stopped")
        self.limit_s = limit_s


class QueryRejected(StoreError):
    """The engine rejected the request (syntax error, unsupported feature): a client error."""

    status = 400


class QueryFailed(StoreError):
    """The engine accepted the query but could not evaluate it (e.g. an unsupported function
    or an internal error): its message, answered as a server error, not as unavailability."""

    status = 500


_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>()\[\]]+", re.IGNORECASE)
_HOST_PORT = re.compile(
    r"(?:\b\d{1,3}(?:\.\d{1,3}){3}|\blocalhost|\[[0-9a-f:.]+\])(?::\d+)?\b"
    r"|\bhost='[^']*'|\bport=\d+",
    re.IGNORECASE,
)
_IRI_WRITTEN = re.compile(r"(<[^<>\s]*>)")  # an IRI as the client wrote it: kept
_PATH = re.compile(r"(?<![\w<>:/.~-])(?:~|\.{1,2})?/(?:[\w.@+-]+/)*[\w.@+-]+/?")
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"()\]\[]+)")
_OBJECT_AT = re.compile(r"<[\w.]+ object at 0x[0-9a-f]+>", re.IGNORECASE)


def public_message(text: str, store_urls: Iterable[str] = (), *, thorough: bool = True) -> str:
    """``text`` without the store's URLs and (``thorough``) any other URL, host:port pair or
    file path, for an answer to a client (issue 16: a 503 named
    ``http://127.0.0.1:<port>/query``)."""
    for url in sorted({u for u in store_urls if u}, key=len, reverse=True):
        parts = urlsplit(url)
        base = f"{parts.scheme}://{parts.netloc}"
        text = text.replace(url, "the triple store").replace(base, "the triple store")
        if parts.netloc:
            text = text.replace(parts.netloc, "the triple store")
    if not thorough:
        return text
    parts = _IRI_WRITTEN.split(_OBJECT_AT.sub("", text))
    for index in range(0, len(parts), 2):  # odd parts are <IRIs>
        part = _URL.sub("(an internal address)", parts[index])
        part = _HOST_PORT.sub("(an internal address)", part)
        parts[index] = _PATH.sub("(a path)", part)
    return "".join(parts)


def connection_reason(error: BaseException) -> str:
    """A short reason for a connection error, e.g. "Connection refused" (no address)."""
    found = _ERRNO.findall(str(error))
    if found:
        return found[-1].strip()
    cause = error
    while cause.__cause__ is not None or cause.__context__ is not None:
        cause = cause.__cause__ or cause.__context__
    return type(cause).__name__


def store_error(
    status: int, body: bytes, content_type: str, engine: Engine, urls: Iterable[str]
) -> StoreError:
    """The error for an engine's error answer, in words a client may read: an error page's
    markup is dropped (logged), an engine's own error text cut to its message
    (``Engine.error_message``), credentials refused said as such."""
    media_type = content_type.split(";")[0].strip().lower()
    urls = tuple(urls)
    text, rejected = "", False
    if media_type in ("text/html", "application/xhtml+xml"):
        log.warning("the triple store answered %s with a page: %s", status, body[:2000])
    else:
        text, rejected = engine.error_message(body.decode("utf-8", "replace").strip())
    message = text or f"HTTP {status}"
    if status in (401, 403):
        return StoreUnavailable(
            f"the triple store refused hairkg's credentials ({status}): check --store-user "
            "and HAIRKG_STORE_PASSWORD, or HAIRKG_STORE_TOKEN"
        )
    if status in (400, 406, 415) or rejected:
        # about the client's text (which may name any IRI): only the store's own address
        return QueryRejected(public_message(message, urls, thorough=False))
    if status in (408, 504) or "timeout" in message.lower() or engine.stopped_at_limit(body):
        return QueryTimeout(None)
    if status >= 500:
        log.warning("the triple store answered %s: %s", status, message[:2000])
    if status == 500 and text:
        return QueryFailed(public_message(message, urls))
    return StoreUnavailable(
        f"the triple store answered {status}: {public_message(message[:500], urls)}"
    )
