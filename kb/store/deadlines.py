"""Deadlines of store requests: one watcher thread runs a callback (shutting a request's
socket) at each request's deadline, so that a long answer cannot keep a caller past its time
limit (``kb.store.client.SparqlStore._request``)."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import threading
import time
from collections.abc import Callable


class DeadlineWatch:
    """Runs a callback at a deadline, for many pending deadlines on one thread.

    A ``threading.Timer`` per store request costs a thread start each time (a fifth of a
    small query's time under load); this keeps a heap of deadlines instead."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._condition = threading.Condition()
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, deadline: float, callback: Callable[[], None]) -> int:
        with self._condition:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="store-deadlines", daemon=True
                )
                self._thread.start()
            token = next(self._tokens)
            heapq.heappush(self._heap, (deadline, token, callback))
            # The thread sleeps until the earliest deadline: woken only when this one is
            # earlier (a thread switch per store request otherwise, under load).
            if self._heap[0][1] == token:
                self._condition.notify()
            return token

    def cancel(self, token: int) -> None:
        with self._condition:
            self._cancelled.add(token)

    def _run(self) -> None:
        with self._condition:
            while True:
                while self._heap and self._heap[0][1] in self._cancelled:
                    self._cancelled.discard(heapq.heappop(self._heap)[1])
                if not self._heap:
                    self._condition.wait()
                    continue
                deadline, _, callback = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                heapq.heappop(self._heap)
                self._condition.release()
                try:
                    with contextlib.suppress(Exception):
                        callback()
                finally:
                    self._condition.acquire()


DEADLINES = DeadlineWatch()
