"""gunicorn's gthread worker with bounded reads from clients (``hairkg serve`` uses it).

The stock worker hands a connection to a thread once its first bytes arrive and then reads
the rest of the request with a blocking socket and no deadline. A few dozen connections that
send half a request line and then trickle (slowloris) hold every thread of every worker, and
the service stops answering. Here:

- the request head (line and headers), and a body of declared length up to
  ``max_body_bytes``, are gathered by the worker's event loop, without a thread, and handed
  to a thread only when complete. The head must be complete within
  ``client_header_timeout_s`` of the first byte, the body within ``client_body_timeout_s``
  after the head; a connection past its deadline is closed;
- a chunked body is read by the thread before the application runs, within
  ``client_body_timeout_s`` (a reaper thread shuts the socket down at the deadline);
- while the application answers, every socket operation (sending the answer to a client
  that stopped reading) gives up after ``client_idle_timeout_s``.

No request is ever run on part of its body. The time a query takes to run is not limited
here (that is the query time limit's job).
"""

from __future__ import annotations

import contextlib
import io
import re
import selectors
import socket
import threading
import time
from functools import partial

from gunicorn.http.body import Body
from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import DEFAULT_WORKER_DATA_TIMEOUT, ThreadWorker

from api.feed.stream import STOPPING as FEED_STOPPING

HEADER_TIMEOUT_S = 10.0
BODY_TIMEOUT_S = 30.0
IDLE_TIMEOUT_S = 60.0
MAX_BODY_BYTES = 10 * 1024 * 1024
_READ_CHUNK = 64 * 1024
_HEAD_LIMIT = 256 * 1024  # more than gunicorn accepts in a head: its parser then says 4xx
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_LENGTH = re.compile(rb"(?im)^content-length[ \t]*:[ \t]*([0-9]{1,12})[ \t]*\r?$")


class BoundedThreadWorker(ThreadWorker):
    _notified = float("-inf")

    def notify(self):
        # The stock loop touches the heartbeat file on every event, a syscall per request
        # (15 % of a cached /sparql answer's time under load); the master only looks at it
        # against a timeout of tens of seconds.
        now = time.monotonic()
        if now - self._notified >= 1.0:
            self._notified = now
            super().notify()

    def handle_exit(self, sig, frame):
        # Told to stop: open change streams end at their next tick instead of holding the
        # graceful shutdown (their clients reconnect elsewhere with Last-Event-ID).
        FEED_STOPPING.set()
        super().handle_exit(sig, frame)

    def init_process(self):
        settings = getattr(self.app, "settings", None)
        self.header_timeout_s = getattr(settings, "client_header_timeout_s", HEADER_TIMEOUT_S)
        self.body_timeout_s = getattr(settings, "client_body_timeout_s", BODY_TIMEOUT_S)
        self.idle_timeout_s = getattr(settings, "client_idle_timeout_s", IDLE_TIMEOUT_S)
        self.max_body_bytes = getattr(settings, "max_body_bytes", MAX_BODY_BYTES)
        self._deadlines: dict[int, tuple[float, socket.socket, str]] = {}
        self._deadlines_lock = threading.Lock()
        self._gathering: dict[int, object] = {}
        reaper = threading.Thread(target=self._reap, name="slow-client-reaper", daemon=True)
        reaper.start()
        if _writes_reason(settings):
            # Here, after the fork: a JVM started in the master would not survive it.
            from kb.validation.validate import warm_up

            warm_up()
        super().init_process()

    # -- deadlines ------------------------------------------------------------------------

    def _watch(self, conn, seconds: float, what: str) -> None:
        with self._deadlines_lock:
            self._deadlines[id(conn)] = (time.monotonic() + seconds, conn.sock, what)

    def _unwatch(self, conn) -> None:
        with self._deadlines_lock:
            self._deadlines.pop(id(conn), None)

    def _reap(self) -> None:
        while True:
            time.sleep(0.25)
            now = time.monotonic()
            with self._deadlines_lock:
                expired = [(k, v) for k, v in self._deadlines.items() if v[0] <= now]
                for key, _ in expired:
                    del self._deadlines[key]
            for _, (_, sock, what) in expired:
                self.log.info("closing a slow client connection: %s not complete in time", what)
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    # -- gathering requests in the event loop (main thread) -------------------------------

    def enqueue_req(self, conn):
        if getattr(conn, "hairkg_ready", False) or getattr(conn, "is_http2", False):
            conn.hairkg_ready = False
            return super().enqueue_req(conn)
        buffered = b""
        if conn.parser is not None:
            buffered = conn.parser.unreader.take_buffered()
        conn.hairkg_buffer = bytearray(buffered)
        conn.hairkg_deadline = time.monotonic() + self.header_timeout_s
        conn.hairkg_need = None  # total bytes of head + body, once the head is in
        if self._request_complete(conn):
            return self._hand_over(conn)
        conn.sock.setblocking(False)
        self._gathering[id(conn)] = conn
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_bytes, conn))
        return None

    def _request_complete(self, conn) -> bool:
        data = conn.hairkg_buffer
        if conn.hairkg_need is None:
            end = _HEAD_END.search(data)
            if end is None:
                return len(data) > _HEAD_LIMIT
            head = bytes(data[: end.end()])
            length = _CONTENT_LENGTH.search(head)
            body = int(length.group(1)) if length else 0
            if body > self.max_body_bytes:
                body = 0  # answered 413 by the application, which does not read it
            conn.hairkg_need = end.end() + body
            if body:
                conn.hairkg_deadline = time.monotonic() + self.body_timeout_s
        return len(data) >= conn.hairkg_need

    def _on_bytes(self, conn, sock):
        try:
            data = sock.recv(_READ_CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return
        conn.hairkg_buffer += data
        if self._request_complete(conn):
            self._stop_gathering(conn)
            self._hand_over(conn)

    def _stop_gathering(self, conn) -> None:
        self._gathering.pop(id(conn), None)
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.poller.unregister(conn.sock)

    def _drop(self, conn) -> None:
        self._stop_gathering(conn)
        self.nr_conns -= 1
        conn.close()

    def _hand_over(self, conn):
        conn.sock.setblocking(True)
        if conn.parser is None:
            conn.init()
        conn.parser.unreader.unread(bytes(conn.hairkg_buffer))
        conn.hairkg_buffer = bytearray()
        conn.data_ready = True
        conn.hairkg_ready = True
        return self.enqueue_req(conn)

    def murder_pending(self):
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c in self._gathering.values() if c.hairkg_deadline <= now]:
            what = "request body" if conn.hairkg_need is not None else "request head"
            self.log.info("closing a slow client connection: %s not complete in time", what)
            self._drop(conn)

    # -- the worker's steps ---------------------------------------------------------------

    def handle(self, conn):
        self._watch(conn, DEFAULT_WORKER_DATA_TIMEOUT + self.header_timeout_s, "request head")
        try:
            return super().handle(conn)
        finally:
            self._unwatch(conn)

    def handle_request(self, req, conn):
        if self._has_body(req):
            self._watch(conn, self.body_timeout_s, "request body")
            try:
                self._read_body(req)
            finally:
                self._unwatch(conn)
        else:
            self._unwatch(conn)
        conn.sock.settimeout(self.idle_timeout_s)
        return super().handle_request(req, conn)

    @staticmethod
    def _has_body(req) -> bool:
        for name, value in req.headers:
            if name == "CONTENT-LENGTH":
                return value.strip() not in ("", "0")
            if name == "TRANSFER-ENCODING":
                return True
        return False

    def _read_body(self, req) -> None:
        length = None
        for name, value in req.headers:
            if name == "CONTENT-LENGTH":
                with contextlib.suppress(ValueError):
                    length = int(value)
        if length is not None and length > self.max_body_bytes:
            return  # the application answers 413 without reading it
        limit = self.max_body_bytes + 1
        data = io.BytesIO()
        while data.tell() < limit:
            chunk = req.body.read(min(_READ_CHUNK, limit - data.tell()))
            if not chunk:
                break
            data.write(chunk)
        if length is not None and data.tell() != length:
            # Cut short (the client stopped, or its deadline passed): never run a request on
            # part of its body.
            raise NoMoreData(data.getvalue()[-16:])
        complete = data.tell() < limit
        body = Body(io.BytesIO(data.getvalue()))
        # Not all of it was read: where the next request starts is unknown, so gunicorn
        # closes the connection after this request.
        body.failed = not complete
        req.body = body


def _writes_reason(settings) -> bool:
    """True when writes are possible and each runs HermiT (write validation ``full``)."""
    from kb.settings import variable

    tokens = getattr(settings, "tokens", "") or getattr(settings, "tokens_file", "")
    tokens = tokens or variable("tokens") or variable("tokens_file")
    return bool(tokens) and getattr(settings, "write_validation", "full") == "full"
