"""The change feed's event streams on a real `hairkg serve --workers 2`, read by a real SSE
client (http.client, line by line): two clients held by the two workers both get a write,
a client that reconnects with Last-Event-ID gets what it missed and then live changes, the
per-worker stream cap answers 503, bad input is refused, and shutting the server down ends
the streams cleanly. Each worker keeps one stream here (HAIRKG_FEED_MAX_STREAMS=1), so two
streams open at once are necessarily on different workers."""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import threading
import time
import urllib.parse

import pytest
from conftest import server_fixture
from helpers import call, wait_until

TOKENS = "alice:alice-secret:write"
ALICE = {"Authorization": "Bearer alice-secret"}
PROBLEM = "application/problem+json"
KB = "https://w3id.org/hairkg/id/"

feed_server = server_fixture(
    "feed",
    env={
        "HAIRKG_TOKENS": TOKENS,
        "HAIRKG_TOKENS_FILE": "",
        "HAIRKG_WRITE_VALIDATION": "shapes",
        "HAIRKG_FEED_MAX_STREAMS": "1",
        "HAIRKG_FEED_HEARTBEAT_S": "1",
        "HAIRKG_FEED_RETRY_MS": "500",
    },
)

# What the tests write: source documents of worked examples (no identifiers or figures).
SOURCES = [
    {
        "id": f"source-feed-worked-example-{n}",
        "types": ["hk:SourceDocument"],
        "label": f"change feed worked example page {n}",
        "attributes": {
            "schema:url": [f"https://hairclinic.example/feed-worked-example-{n}"],
            "dcterms:publisher": ["hairkg editors (worked example)"],
        },
    }
    for n in range(1, 5)
]


class SseClient:
    """One event stream read line by line on its own thread (events into a queue)."""

    def __init__(self, base_url: str, last_event_id: str | None = None, headers=None):
        parts = urllib.parse.urlsplit(base_url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        sent = {"Accept": "text/event-stream", **(headers or {})}
        if last_event_id is not None:
            sent["Last-Event-ID"] = last_event_id
        self.connection.request("GET", "/api/v1/changes", headers=sent)
        self.response = self.connection.getresponse()
        self.status = self.response.status
        self.headers = self.response.headers
        self.events: queue.Queue = queue.Queue()
        self.comments: list[str] = []
        self.retry: int | None = None
        self.ended = threading.Event()
        self.clean_end = False
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()
        else:
            self.body = self.response.read()
            self.connection.close()

    def _read(self) -> None:
        fields: dict[str, str] = {}
        try:
            while True:
                raw = self.response.readline()
                if not raw:
                    # http.client closes the response only when it read the chunked body's
                    # last chunk; a cut-off body also reads as b"" but leaves it open.
                    self.clean_end = self.response.isclosed()
                    return
                line = raw.decode().rstrip("\r\n")
                if not line:
                    if "data" in fields:
                        self.events.put((time.monotonic(), fields))
                    fields = {}
                elif line.startswith(":"):
                    self.comments.append(line)
                else:
                    name, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if name == "retry":
                        self.retry = int(value)
                    else:
                        fields[name] = value
        except Exception:  # closed by the test, or cut off: the stream is over
            return
        finally:
            self.ended.set()

    def next_event(self, timeout_s: float = 15.0) -> tuple[float, dict]:
        """(when it arrived, {"id": int, "event": str, "data": dict})."""
        arrived, fields = self.events.get(timeout=timeout_s)
        return arrived, {
            "id": int(fields["id"]),
            "event": fields.get("event"),
            "data": json.loads(fields["data"]),
        }

    def close(self) -> None:
        """The client goes away (the server notices at its next write)."""
        sock = self.connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.connection.close()


def open_stream(server, last_event_id: str | None = None, headers=None) -> SseClient:
    """A stream on whichever worker has a free slot: a 503 (the connection reached the full
    worker, or the other one has not yet noticed a gone client) is retried, within bounds."""
    opened: list[SseClient] = []

    def attempt():
        client = SseClient(server.url, last_event_id, headers)
        if client.status == 200:
            opened.append(client)
            return True
        assert client.status == 503, client.body
        return False

    wait_until(attempt, 20, 0.2, "a free stream slot")
    return opened[0]


def write(server, n: int) -> float:
    """Creates worked example source ``n``; the time the write was acknowledged."""
    status, _, body = call(
        server.url, "POST", "/api/v1/edit/entities", SOURCES[n - 1], ALICE, timeout=120
    )
    assert status == 201, body
    return time.monotonic()


@pytest.fixture(scope="module")
def streams(feed_server):
    """Two streams open at once: one on each worker (each keeps one)."""
    first = open_stream(feed_server)
    second = open_stream(feed_server)
    yield first, second
    first.close()
    second.close()


latencies: list[float] = []


def test_two_clients_on_both_workers_get_each_write(feed_server, streams):
    first, _second = streams
    for client in streams:
        assert client.headers["Content-Type"].startswith("text/event-stream")
        assert client.headers["Cache-Control"] == "no-store"
        assert "Content-Encoding" not in client.headers
    # Both workers hold their one stream: a third is refused, as a problem with Retry-After.
    third = SseClient(feed_server.url)
    assert third.status == 503 and third.headers["Content-Type"] == PROBLEM
    assert int(third.headers["Retry-After"]) >= 1
    assert json.loads(third.body)["status"] == 503

    acknowledged = write(feed_server, 1)
    for client in streams:
        arrived, event = client.next_event()
        latencies.append(arrived - acknowledged)
        assert event["id"] == 1 and event["event"] == "change"
        data = event["data"]
        assert data["number"] == 1 and data["author"] == "alice"
        assert data["entities"] == [{"id": SOURCES[0]["id"], "iri": KB + SOURCES[0]["id"]}]
        assert data["href"] == "/api/v1/changes/1"
        assert client.retry == 500
    print(f"event latency after the write's acknowledgement: {latencies} s")
    wait_until(lambda: ": heartbeat" in first.comments, 10, 0.2, "a heartbeat comment")


def test_a_client_that_reconnects_with_last_event_id_misses_nothing(feed_server, streams):
    first, second = streams
    first.close()  # the client goes away; its worker frees the slot at the next heartbeat
    write(feed_server, 2)
    assert second.next_event()[1]["id"] == 2

    # gzip is asked for, as browsers do: an event stream is never compressed or buffered.
    again = open_stream(feed_server, last_event_id="1", headers={"Accept-Encoding": "gzip"})
    try:
        assert "Content-Encoding" not in again.headers
        assert again.next_event()[1]["id"] == 2  # replayed
        acknowledged = write(feed_server, 3)
        arrived, event = again.next_event()  # live
        latencies.append(arrived - acknowledged)
        assert event["id"] == 3
        assert second.next_event()[1]["id"] == 3
        assert again.events.empty() and second.events.empty()
    finally:
        again.close()
    print(f"event latencies: {latencies} s")


def test_json_pages_and_patches_on_the_real_server(feed_server):
    status, headers, body = call(feed_server.url, "GET", "/api/v1/changes?since=1&limit=1")
    page = json.loads(body)
    assert status == 200 and [item["number"] for item in page["items"]] == [2]
    assert page["next"] == "/api/v1/changes?since=2&limit=1" and page["latest"] == 3
    status, headers, body = call(
        feed_server.url, "GET", "/api/v1/changes/3", headers={"Accept": "application/rdf-patch"}
    )
    assert status == 200 and headers["Content-Type"].startswith("application/rdf-patch")
    text = body.decode()
    assert text.startswith("H id <https://w3id.org/hairkg/change/3> .\n")
    assert f"A <{KB}source-feed-worked-example-3>" in text and text.endswith("TC .\n")


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/api/v1/changes?since=-1", {}, 400),
        ("/api/v1/changes?since=abc", {"Accept": "text/event-stream"}, 400),
        ("/api/v1/changes", {"Accept": "text/event-stream", "Last-Event-ID": "garbage"}, 400),
        ("/api/v1/changes/999", {"Accept": "application/rdf-patch"}, 404),
        ("/api/v1/changes/999", {}, 404),
    ],
)
def test_bad_input_is_a_problem(feed_server, path, headers, status):
    answered, response_headers, body = call(feed_server.url, "GET", path, headers=headers)
    assert answered == status and response_headers["Content-Type"] == PROBLEM
    assert json.loads(body)["status"] == status


def test_stopping_the_server_ends_open_streams_cleanly(feed_server, streams):
    """Last in this module: SIGTERM while a stream is open on each worker. Each ends with a
    proper end of its chunked body (not a reset), and the server exits."""
    for client in streams:
        client.close()
    clients = [open_stream(feed_server), open_stream(feed_server)]
    feed_server.stop()
    for client in clients:
        assert client.ended.wait(20), "the stream did not end when the server stopped"
        assert client.clean_end, "the stream was cut off instead of ended"
    assert feed_server.process.returncode == 0, feed_server.log()[-2000:]
