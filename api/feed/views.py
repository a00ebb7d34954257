"""The change feed's routes (docs/feed.md):

- ``GET /api/v1/changes?since=N&limit=L``: the changes numbered above N, oldest first, as a
  JSON page with a ``next`` link; with ``Accept: text/event-stream``, the same events as
  Server-Sent Events, resumed after ``Last-Event-ID`` (``api.feed.stream``).
- ``GET /api/v1/changes/{n}``: one change's event (JSON, the default) or its RDF Patch
  (``Accept: application/rdf-patch``, ``kb.feed.patch``).

The change history itself (with the triples, and reverts) stays at ``/api/v1/history``."""

from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app, json, request

from api.errors import ApiError, problem_response
from api.feed.stream import EVENT_STREAM, EventStream, StreamSlots
from api.http import choose
from api.render.api_json import API_PREFIX
from api.state import current_settings, current_store
from kb.feed.events import MAX_PAGE, change_events, latest_number
from kb.feed.patch import MEDIA_TYPE as RDF_PATCH
from kb.feed.patch import rdf_patch, read_patched_change
from kb.feed.watch import ChangeWatch
from kb.store.signals import write_signal

bp = Blueprint("feed", __name__, url_prefix=API_PREFIX)

JSON = "application/json"
DEFAULT_LIMIT = 50
MAX_CURSOR = 10**12
_shared_lock = threading.Lock()


def change_href(number: int) -> str:
    return f"{API_PREFIX}/changes/{number}"


@bp.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error.response()


@bp.get("/changes")
def changes():
    wanted = choose(request.headers.get("Accept"), [JSON, EVENT_STREAM]) or JSON
    since = _count("since", request.args.get("since"), default=-1)
    if wanted == EVENT_STREAM:
        last_seen = request.headers.get("Last-Event-ID")
        if last_seen is not None and last_seen.strip():
            since = _count("Last-Event-ID", last_seen, default=0)
        return _event_stream(since)  # -1: from now on
    since = max(since, 0)
    limit = _count("limit", request.args.get("limit"), default=DEFAULT_LIMIT)
    if not 1 <= limit <= MAX_PAGE:
        raise ApiError(400, f"limit must be between 1 and {MAX_PAGE}", "limit")
    store = current_store()
    items = change_events(store, since, limit=limit)
    latest = latest_number(store)  # after the items: never older than the last of them
    for item in items:
        item["href"] = change_href(item["number"])
    body = {"since": since, "limit": limit, "latest": latest, "items": items}
    if items and items[-1]["number"] < latest:
        body["next"] = f"{API_PREFIX}/changes?since={items[-1]['number']}&limit={limit}"
    return _no_store(Response(json.dumps(body), 200, mimetype=JSON))


@bp.get("/changes/<int:number>")
def change(number: int):
    wanted = choose(request.headers.get("Accept"), [JSON, RDF_PATCH]) or JSON
    store = current_store()
    if wanted == RDF_PATCH:
        patched = read_patched_change(store, number)
        if patched is None:
            return problem_response(404, f"there is no change {number}")
        response = Response(rdf_patch(patched), 200, mimetype=RDF_PATCH)
    else:
        found = change_events(store, number - 1, limit=1) if number > 0 else []
        if not found or found[0]["number"] != number:
            return problem_response(404, f"there is no change {number}")
        found[0]["href"] = change_href(number)
        response = Response(json.dumps(found[0]), 200, mimetype=JSON)
    response.headers["Vary"] = "Accept"
    # A committed change never changes: caches may keep it.
    response.headers["Cache-Control"] = "public, max-age=86400, immutable"
    return response


def _count(name: str, raw: str | None, *, default: int) -> int:
    """A non-negative integer parameter (or header), or a 400 problem naming it."""
    if raw is None:
        return default
    text = raw.strip()
    if not text.isdigit() or not text.isascii():
        raise ApiError(400, f"{name} must be a non-negative integer (a change number)", name)
    value = int(text)
    if value > MAX_CURSOR:
        raise ApiError(400, f"{name} must be at most {MAX_CURSOR}", name)
    return value


def _event_stream(after: int) -> Response:
    """The stream of the changes numbered above ``after`` (-1: those committed from now on)."""
    settings = current_settings()
    slots, watch = _shared()
    if request.method == "HEAD":
        return _no_store(Response(b"", 200, mimetype=EVENT_STREAM))
    if after < 0:
        after = watch.latest()  # before a slot is taken: a store failure is a plain 503
    if not slots.take():
        retry_s = max(1, round(settings.feed_retry_ms / 1000))
        return problem_response(
            503,
            f"this server process already holds its {slots.limit} open change streams; "
            f"reconnect later, or read the JSON pages of {API_PREFIX}/changes?since=N",
            headers={"Retry-After": str(retry_s)},
        )
    body = EventStream(current_store(), watch, settings, slots, after, change_href)
    response = Response(body, 200, mimetype=EVENT_STREAM)
    response.headers["X-Accel-Buffering"] = "no"  # nginx: pass events through at once
    return _no_store(response)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _shared() -> tuple[StreamSlots, ChangeWatch]:
    """This process's stream slots and change watch (one per app)."""
    extensions = current_app.extensions
    with _shared_lock:
        if "hairkg.feed" not in extensions:
            settings = current_settings()
            extensions["hairkg.feed"] = (
                StreamSlots(settings.feed_max_streams),
                ChangeWatch(
                    current_store(),
                    write_signal(settings.data_dir),
                    settings.feed_store_poll_s,
                ),
            )
        return extensions["hairkg.feed"]
