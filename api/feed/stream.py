"""The change feed's Server-Sent Events (https://html.spec.whatwg.org/multipage/server-sent-events.html).

A stream starts with a ``retry:`` hint, replays the changes after the client's cursor (its
``Last-Event-ID`` or ``since``) in order, then sends each new change as it is committed::

    id: 8
    event: change
    data: {"number": 8, "time": ..., "entities": [...], "articles": [...], ...}

It looks for new changes every ``TICK_S`` through the process's one ``kb.feed.watch.ChangeWatch``
(a ``stat`` of the changed marker, and one dataset-version lookup per ``feed_store_poll_s``
for the whole process), sends a ``: heartbeat`` comment after ``feed_heartbeat_s`` of silence
(proxies keep the connection, and writing is how a gone client is noticed: the server then
closes the stream), and ends after ``feed_max_stream_s``, when the worker is told to stop
(:data:`STOPPING`, set by ``api.server.worker``) or when the store fails; the client then
reconnects with ``Last-Event-ID`` and misses nothing.

Each open stream holds one worker thread, so a process keeps at most ``feed_max_streams``
(:class:`StreamSlots`); past that the request is answered 503 with ``Retry-After``. The slot
is given back when the stream's iterable is closed, which WSGI servers always do, also for a
stream that never started."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

from flask import json

from kb.feed.events import change_events
from kb.feed.watch import ChangeWatch
from kb.settings import Settings
from kb.store.client import SparqlStore
from kb.store.errors import StoreError

log = logging.getLogger(__name__)

EVENT_STREAM = "text/event-stream"
TICK_S = 0.1
REPLAY_BATCH = 100
# Set when this process is told to stop (gunicorn's SIGTERM): open streams end at their next
# tick, so the worker's graceful shutdown does not wait for them.
STOPPING = threading.Event()


class StreamSlots:
    """At most ``limit`` open streams in this process."""

    def __init__(self, limit: int):
        self.limit = max(0, int(limit))
        self._open = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._open >= self.limit:
                return False
            self._open += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self._open = max(0, self._open - 1)

    @property
    def open(self) -> int:
        return self._open


def event_text(event: dict) -> str:
    return f"id: {event['number']}\nevent: change\ndata: {json.dumps(event)}\n\n"


class EventStream:
    """The body of one stream: iterated by the WSGI server, closed by it at the end (the
    client went away, the stream ended, or it never started), which frees the slot."""

    def __init__(
        self,
        store: SparqlStore,
        watch: ChangeWatch,
        settings: Settings,
        slots: StreamSlots,
        after: int,
        href,
        stop: threading.Event = STOPPING,
    ):
        self.store, self.watch, self.settings = store, watch, settings
        self.slots, self.after, self.href, self.stop = slots, after, href, stop
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        for text in self._texts():
            yield text.encode()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.slots.give_back()

    def _texts(self) -> Iterator[str]:
        settings = self.settings
        yield f"retry: {int(settings.feed_retry_ms)}\n: hairkg change feed\n\n"
        ends = time.monotonic() + settings.feed_max_stream_s
        heartbeat_due = time.monotonic() + settings.feed_heartbeat_s
        while not self.stop.is_set() and not self._closed and time.monotonic() < ends:
            try:
                events = (
                    change_events(self.store, self.after, limit=REPLAY_BATCH)
                    if self.watch.latest() > self.after
                    else []
                )
            except StoreError as error:
                log.warning("change feed stream ended: the store failed (%s)", error)
                return
            for event in events:
                event["href"] = self.href(event["number"])
                yield event_text(event)
                self.after = event["number"]
            now = time.monotonic()
            if events:
                heartbeat_due = now + settings.feed_heartbeat_s
                continue  # more may be waiting (a replay longer than a batch)
            if now >= heartbeat_due:
                yield ": heartbeat\n\n"
                heartbeat_due = now + settings.feed_heartbeat_s
            self.stop.wait(TICK_S)
