"""Tag suggestions over HTTP: ``POST /api/v1/suggest``, ``POST /api/v1/suggest/accept`` and the
editors' page at ``/editor/suggest``.

The matcher (``kb.suggest.engine.Suggester``) is built from the concepts of the current index
snapshot (``kb.read.indexes.IndexHolder``) and rebuilt when that snapshot changes, i.e. when the
store's version moves: a concept added through the write API is suggested once the indexes
have caught up. No user text reaches SPARQL.

``accept`` registers the article the editor confirmed through the validated write path
(``POST /api/v1/edit/articles``): it calls that path's own function
(``api.views.editing.register_article_document``) in this request, with the caller's
``Authorization`` header: the same token checks, validation gate, history record and error
answers as a direct call.
"""

from __future__ import annotations

import re
import threading
import time

from flask import Blueprint, Response, current_app, json, render_template, request

from api.errors import ApiError
from api.http import secure_html
from api.state import current_index_holder, current_settings
from api.views.editing import EDITOR_ERRORS, editor_error_response, register_article_document
from kb.read.indexes import Indexes
from kb.suggest.engine import ABOUT, MAX_TEXT_CHARS, MAX_TITLE_CHARS, MENTIONS, Suggester
from kb.suggest.html import from_html
from kb.suggest.text import from_text
from kb.writes.results import ChangeError

API_PREFIX = "/api/v1"
JSON = "application/json"
MAX_BODY_BYTES = 4 * 1024 * 1024  # a request body; text/html above MAX_TEXT_CHARS is 413 too
WRITE_PATH = API_PREFIX + "/edit/articles"
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000e-\\u001f]*$"  # the same rule, for OpenAPI
ACCEPT_KEYS = {"url", "title", "summary", "date", "id", "about", "mentions", "message"}

bp = Blueprint("suggest", __name__, url_prefix=API_PREFIX)
page_bp = Blueprint("suggest_page", __name__)


@bp.errorhandler(ApiError)
def _suggest_error(error: ApiError):
    return error.response()


# -- the matcher of the current snapshot -----------------------------------------------------


class SuggesterHolder:
    """One ``Suggester`` per index snapshot: rebuilt (once, under a lock) when the snapshot's
    dataset version or concept graph changes."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._suggester: Suggester | None = None

    def get(self, indexes: Indexes) -> Suggester:
        key = (indexes.version, id(indexes.graph))
        current = self._suggester
        if current is not None and self._key == key:
            return current
        with self._lock:
            if self._suggester is None or self._key != key:
                self._suggester = Suggester.from_graph(indexes.graph)
                self._key = key
            return self._suggester


def _indexes() -> Indexes:
    """The read indexes; a store failure is answered by the app's one store-error handler."""
    return current_index_holder().get()


def current_suggester() -> tuple[Suggester, Indexes]:
    indexes = _indexes()
    holder = current_app.extensions.setdefault("hairkg.suggester", SuggesterHolder())
    return holder.get(indexes), indexes


# -- request bodies --------------------------------------------------------------------------


def _json_object() -> dict:
    length = request.content_length
    if length is not None and length > MAX_BODY_BYTES:
        raise ApiError(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    if request.mimetype != JSON:
        raise ApiError(415, f"send {JSON}, not {request.mimetype or 'no Content-Type'}")
    raw = request.stream.read(MAX_BODY_BYTES + 1) if length is None else request.get_data()
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ApiError(400, f"the body is not UTF-8 text: {error.reason}") from error
    except ValueError as error:
        raise ApiError(400, f"the body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise ApiError(422, "the body must be a JSON object")
    return body


def _string(body: dict, name: str, limit: int, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(422, f"{name} is required", name)
        return None
    if not isinstance(value, str):
        raise ApiError(422, f"{name} must be a string", name)
    if len(value) > limit:
        # The article itself over the documented limit is too large (413); a longer title,
        # URL or summary is an invalid field (422).
        status = 413 if limit >= MAX_TEXT_CHARS else 422
        raise ApiError(status, f"{name} is longer than {limit} characters", name)
    if _binary(value):
        raise ApiError(400, f"{name} looks like binary data, not text", name)
    return value


def _binary(text: str) -> bool:
    """NUL or other C0 control characters (tab, newlines, vertical tab and form feed are
    text), or lone surrogates: binary data, not an article."""
    if _CONTROL.search(text):
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def document_from_request(body: dict):
    unknown = sorted(set(body) - {"title", "text", "url", "html"})
    if unknown:
        raise ApiError(422, f"unknown field {unknown[0]!r}", unknown[0])
    for name in ("title", "text", "html", "url"):  # types first: 422 before 413
        if body.get(name) is not None and not isinstance(body[name], str):
            raise ApiError(422, f"{name} must be a string", name)
    title = _string(body, "title", MAX_TITLE_CHARS)
    url = _string(body, "url", 2048)
    text = _string(body, "text", MAX_TEXT_CHARS)
    html = _string(body, "html", MAX_TEXT_CHARS)
    if text is not None and html is not None:
        raise ApiError(422, "send either text or html, not both", "html")
    if text is None and html is None:
        raise ApiError(422, 'send {"title", "text"} or {"url", "html"}', "text")
    if url is not None and (
        not url.lower().startswith(("http://", "https://")) or any(c < " " for c in url)
    ):
        raise ApiError(422, "url must be an absolute http(s) URL", "url")
    if html is not None:
        return from_html(html, title), url
    return from_text(text, title), url


# -- routes ------------------------------------------------------------------------------------


@bp.post("/suggest")
def suggest():
    body = _json_object()
    document, url = document_from_request(body)
    suggester, indexes = current_suggester()
    started = time.perf_counter()
    result = suggester.suggest(document)
    elapsed_ms = (time.perf_counter() - started) * 1000
    out = {"url": url, **result.as_json(), "datasetVersion": indexes.version}
    out["timing"] = {"suggestMs": round(elapsed_ms, 2)}
    response = Response(json.dumps(out), mimetype=JSON)
    response.headers["Cache-Control"] = "no-store"
    return response


def _id_list(body: dict, name: str, known: set[str]) -> list[str]:
    value = body.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(422, f"{name} must be a list of concept ids", name)
    if len(value) > 500:
        raise ApiError(422, f"{name} may name at most 500 concepts", name)
    unknown = [v for v in value if v not in known]
    if unknown:
        raise ApiError(422, f"{name}: {unknown[0]!r} is not a concept that can tag", name)
    return list(dict.fromkeys(value))


@bp.post("/suggest/accept")
def accept():
    """Registers the article with the tags the editor confirmed, through the write path."""
    body = _json_object()
    unknown = sorted(set(body) - ACCEPT_KEYS)
    if unknown:
        raise ApiError(422, f"unknown field {unknown[0]!r}", unknown[0])
    for name in ("url", "title", "summary", "date", "id", "message"):
        _string(body, name, MAX_TITLE_CHARS if name != "summary" else 10_000)
    suggester, _ = current_suggester()
    known = {c.id for c in suggester.concepts}
    about = _id_list(body, ABOUT, known)
    mentions = [m for m in _id_list(body, MENTIONS, known) if m not in about]
    if not about:
        raise ApiError(422, "accept at least one concept the article is about", ABOUT)
    payload = {k: v for k, v in body.items() if v is not None and k not in (ABOUT, MENTIONS)}
    payload[ABOUT], payload[MENTIONS] = about, mentions
    payload.setdefault("message", f"register article from tag suggestions: {body.get('title')}")
    status, headers, answer = _dispatch_write(payload)
    if status != 201:
        # The write path's own answer (401, 403, 409, 422 with the validation report, ...).
        response = Response(answer, status, mimetype=headers.get("Content-Type", JSON))
        for name in ("WWW-Authenticate", "Retry-After"):
            if name in headers:
                response.headers[name] = headers[name]
        return response
    registered = json.loads(answer)
    entity = registered.get("entity") or {}
    out = {
        "registered": entity,
        "change": {k: v for k, v in registered.items() if k != "entity"},
        "about": about,
        "mentions": mentions,
        "links": {
            "related": f"{API_PREFIX}/related?url=" + _quote(body.get("url") or ""),
            "writePath": WRITE_PATH,
        },
    }
    response = Response(json.dumps(out), 201, mimetype=JSON)
    response.headers["Cache-Control"] = "no-store"
    return response


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def _dispatch_write(payload: dict) -> tuple[int, dict, bytes]:
    """Registers ``payload`` through the write path of the editor API, as the caller's token,
    in this request: (status, headers, body) of that path's answer."""
    limit = current_settings().max_write_bytes
    try:
        if len(json.dumps(payload).encode()) > limit:
            raise ChangeError(f"the body is larger than {limit} bytes", status=413)
        response = register_article_document(payload)
    except EDITOR_ERRORS as error:
        response = editor_error_response(error)
    return response.status_code, dict(response.headers), response.get_data()


# -- the editors' page -------------------------------------------------------------------------


@page_bp.get("/editor/suggest")
def editor_page():
    html = render_template("suggest.html", limits={"maxTextChars": MAX_TEXT_CHARS})
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return secure_html(response)


# -- OpenAPI -----------------------------------------------------------------------------------
