"""The locks of writers: the one flock helper (an exclusive lock on a file, shared by the
processes of one host: the write gate's lock, the index builders' lock) and the write lock,
which adds the store's write lease (``kb.store.lease``) across hosts."""

from __future__ import annotations

import contextlib
import fcntl
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from kb.store.lease import LeaseUnavailable, StoreLease

POLL_S = 0.05
BUSY = "another write is in progress; try again shortly"


def flock_exclusive(handle: BinaryIO, timeout_s: float) -> bool:
    """Takes an exclusive ``flock`` on the open file ``handle``, waiting up to ``timeout_s``;
    True when held (closing the file or ``unlock`` releases it), False at the time limit."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_S)


def unlock(handle: BinaryIO) -> None:
    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class WriteLock:
    """An exclusive lock across the threads of one process, the processes of one host
    (``flock`` on ``path``) and, with a ``lease``, the hosts that share the store: the lease
    is taken after the local lock, so that one host's workers do not all poll the store, and
    released before it. What cannot be had within ``timeout_s`` raises ``busy(message)``."""

    def __init__(
        self,
        path: Path,
        timeout_s: float = 120.0,
        lease: StoreLease | None = None,
        *,
        busy: Callable[[str], Exception] = TimeoutError,
    ):
        self.path = path
        self.timeout_s = timeout_s
        self.lease = lease
        self.busy = busy
        self._thread_lock = threading.Lock()

    @contextlib.contextmanager
    def hold(self):
        deadline = time.monotonic() + self.timeout_s
        if not self._thread_lock.acquire(timeout=self.timeout_s):
            raise self.busy(BUSY)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as handle:
                if not flock_exclusive(handle, max(0.0, deadline - time.monotonic())):
                    raise self.busy(BUSY)
                left = max(0.0, deadline - time.monotonic())
                try:
                    with self.lease.held(left) if self.lease else contextlib.nullcontext():
                        yield
                except LeaseUnavailable as error:
                    raise self.busy(str(error)) from error
                finally:
                    unlock(handle)
        finally:
            self._thread_lock.release()
