"""Error bodies in one place: problem+json (RFC 9457) for the JSON API, plain text for the
SPARQL protocol, whose clients show the body to a person as it is."""

from __future__ import annotations

import re

from flask import Response, json

from kb.store.errors import QueryFailed, QueryRejected, QueryTimeout, StoreError, StoreUnavailable

PROBLEM_JSON = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def problem_response(
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extensions,
) -> Response:
    """An RFC 9457 problem document: ``type``, ``title``, ``status``, ``detail`` + extensions."""
    body = {"type": type_, "title": title or _TITLES.get(status, "Error"), "status": status}
    body["detail"] = detail
    body.update(extensions)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def text_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A SPARQL protocol error: a plain-text message that names the problem."""
    response = Response(message.rstrip() + "\n", status=status, mimetype="text/plain")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# The SPARQL protocol's one answer to a store error.

_ERROR_POSITION = re.compile(r"(?i)\b(at|line) 1:(\d+)")


def store_error_text(
    error: StoreError, limit: float, cap_s: float, prefix_length: int = 0
) -> Response:
    """The SPARQL protocol's answer to a store error (:func:`query_failure`) as plain text."""
    status, message, headers = query_failure(error, limit, cap_s, prefix_length)
    return text_error(status, message, headers)


def query_failure(
    error: StoreError, limit: float, cap_s: float, prefix_length: int = 0
) -> tuple[int, str, dict[str, str]]:
    """The status, message and headers of a store error while running a client's query: the
    query's fault (400), the time limit ``limit`` (of at most ``cap_s``) reached, the engine
    failing, or the store unavailable. ``prefix_length`` characters were put before the
    client's query on its first line (positions in syntax errors are corrected for them)."""
    if isinstance(error, QueryRejected):
        message = str(error)
        if prefix_length:
            message = _ERROR_POSITION.sub(
                lambda m: f"{m.group(1)} 1:{max(1, int(m.group(2)) - prefix_length)}", message
            )
        if message.lower().startswith("error at"):
            return 400, f"SPARQL syntax error {message[len('error ') :]}", {}
        return 400, f"The query was rejected: {message}", {}
    if isinstance(error, QueryTimeout):
        return (
            503,
            f"The query exceeded the time limit of {limit:g} s and was stopped "
            f"(the 'timeout' parameter may lower the limit; the most allowed is {cap_s:g} s).",
            {},
        )
    if isinstance(error, QueryFailed):
        if "is not supported" in str(error):
            # e.g. a call of a custom function the engine does not know: the query's fault
            return 400, f"The query uses something the engine does not support: {error}", {}
        return 500, f"The query could not be evaluated: {error}", {}
    return store_failure(error)


# Any other store failure, in one wording for every route: the store refused the request the
# service made (its status), or it failed or could not be reached (503, try again shortly).


def store_failure(error: StoreError) -> tuple[int, str, dict[str, str]]:
    """The status, message and headers of a store failure outside a client's own query."""
    if error.status < 500 and not isinstance(error, StoreUnavailable):
        return error.status, f"The triple store rejected the request: {error}", {}
    return 503, f"The triple store is not available: {error}", {"Retry-After": "5"}


def store_error_plain(error: StoreError) -> Response:
    """A store failure as the SPARQL protocol's plain text."""
    status, message, headers = store_failure(error)
    return text_error(status, message, headers)


def store_error_problem(error: StoreError) -> Response:
    """A store failure as problem+json."""
    status, message, headers = store_failure(error)
    return problem_response(status, message, headers=headers)


# A request the SPARQL protocol refuses.


class ProtocolError(Exception):
    """A request the protocol refuses: answered as plain text with ``status``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


# The JSON API's refusal of a request: a problem document naming the parameter at fault.


class ApiError(Exception):
    def __init__(self, status: int, detail: str, param: str | None = None, **extra):
        super().__init__(detail)
        self.status, self.detail, self.param, self.extra = status, detail, param, extra

    def response(self) -> Response:
        extensions = dict(self.extra)
        if self.param:
            extensions["invalid-params"] = [{"name": self.param, "reason": self.detail}]
        return problem_response(self.status, self.detail, **extensions)
