"""The engine round trip (kb.store.transport): kept-alive connections per thread, reconnecting
when the engine closed one, the deadline that stops a long answer, redirects and unreachable
engines refused in the store's words; and the deadline watcher it relies on.

The query path runs against the real managed Oxigraph; the faults an engine cannot be asked
to make on cue (a trickling answer, a redirect, a closed keep-alive connection) come from small
HTTP servers on loopback."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from helpers import wait_until

from kb.store.deadlines import DeadlineWatch
from kb.store.errors import QueryTimeout, StoreUnavailable
from kb.store.transport import Transport


class _Peer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: ClassVar[set] = set()
    mode = "ok"

    def log_message(self, *_args):
        pass

    def do_POST(self):
        type(self).connections.add(self.client_address)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.mode == "redirect":
            self._answer(302, b"", {"Location": "http://elsewhere.example/query"})
        elif self.mode == "trickle":  # a long answer, a byte at a time
            self.send_response(200)
            self.send_header("Content-Type", "application/n-triples")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            with contextlib.suppress(OSError):
                for _ in range(100000):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
        elif self.mode == "cut":  # promises 100 bytes, sends 10 and hangs up
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.write(b"0123456789")
            self.close_connection = True
        elif self.mode == "close":  # answers, then closes the connection, as it says
            self._answer(200, b"{}", {"Content-Type": "application/json", "Connection": "close"})
            self.close_connection = True
        else:
            self._answer(200, b"{}", {"Content-Type": "application/json"})

    def _answer(self, status, body, headers):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def peer():
    handler = type("Peer", (_Peer,), {"connections": set(), "mode": "ok"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, f"http://127.0.0.1:{server.server_address[1]}/query"
    finally:
        server.shutdown()
        server.server_close()


def _post(transport: Transport, url: str, limit: float = 5.0):
    return transport.exchange(
        "POST", url, body=b"query=ASK%7B%7D", headers={"Accept": "*/*"}, limit=limit
    )


def test_one_kept_connection_per_thread(peer):
    handler, url = peer
    transport = Transport()
    for _ in range(5):
        assert _post(transport, url).status_code == 200
    assert len(handler.connections) == 1
    other = threading.Thread(target=lambda: _post(transport, url))
    other.start()
    other.join(10)
    assert len(handler.connections) == 2  # another thread, its own connection


def test_a_connection_the_engine_closed_is_not_reused(peer):
    handler, url = peer
    handler.mode = "close"
    transport = Transport()
    for _ in range(3):
        assert _post(transport, url).content == b"{}"
    assert len(handler.connections) == 3


def test_a_long_answer_is_stopped_at_the_deadline(peer):
    handler, url = peer
    handler.mode = "trickle"
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        _post(Transport(), url, limit=1.0)
    assert time.monotonic() - started < 10  # 1 s + 0.5 s, far from the 5,000 s of bytes


def test_an_answer_cut_short_is_a_failure_and_the_next_request_goes_on(peer):
    handler, url = peer
    transport = Transport()
    handler.mode = "cut"
    with pytest.raises(StoreUnavailable, match="failed while answering"):
        _post(transport, url)
    handler.mode = "ok"
    assert _post(transport, url).content == b"{}"


def test_a_redirect_is_refused(peer):
    handler, url = peer
    handler.mode = "redirect"
    with pytest.raises(StoreUnavailable, match="redirect"):
        _post(Transport(), url)


def test_an_unreachable_engine_is_named_as_such():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(StoreUnavailable, match=r"unreachable \(Connection refused\)"):
        _post(Transport(), f"http://127.0.0.1:{port}/query")


def test_queries_survive_an_engine_restart(tmp_path, release_dir):
    """A kept connection to an engine that restarted (same address) is replaced, not failed
    on: the first query after the restart is answered."""
    from kb.store.managed import ManagedOxigraph

    engine = ManagedOxigraph(tmp_path / "oxigraph", timeout_cap_s=60)
    engine.start()
    try:
        store = engine.store(timeout_s=30)
        store.load_nquads((release_dir / "release.nq").read_bytes())
        assert store.ask("ASK { ?s ?p ?o }")
        engine.stop()
        engine.start()
        assert store.ask("ASK { ?s ?p ?o }")
    finally:
        engine.stop()


def test_an_earlier_deadline_added_later_still_fires_on_time():
    watch = DeadlineWatch()
    fired: list[str] = []
    watch.add(time.monotonic() + 3600, lambda: fired.append("late"))
    watch.add(time.monotonic() + 0.2, lambda: fired.append("early"))
    wait_until(lambda: fired == ["early"], timeout_s=5, what="the early deadline")
    cancelled = watch.add(time.monotonic() + 0.1, lambda: fired.append("cancelled"))
    watch.cancel(cancelled)
    watch.add(time.monotonic() + 0.3, lambda: fired.append("next"))
    wait_until(lambda: fired == ["early", "next"], timeout_s=5, what="the next one")
