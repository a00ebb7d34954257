"""Error bodies in one place: problem+json (RFC 9457) for the JSON API, plain text for the
SPARQL protocol, whose clients show the body to a person as it is."""

from __future__ import annotations

from flask import Response, json

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
