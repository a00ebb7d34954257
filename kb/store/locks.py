"""The one flock helper: an exclusive lock on a file, shared by the processes of one host
(the write gate's lock, the index builders' lock)."""

from __future__ import annotations

import fcntl
import time
from typing import BinaryIO

POLL_S = 0.05


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
