"""The host's write signal: a small file (``DATA_DIR/run/dataset-changed``) that the write gate
replaces after every commit, so that every process of the host learns at the cost of one read
that the dataset changed, without waiting for its version check of the store.

The file holds a new random token after each commit and is replaced atomically (written beside
it, then renamed over it). Readers compare the token, not the modification time: two commits in
one tick of the file system's clock (a few milliseconds on Linux) would leave the same time.
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from pathlib import Path


def write_signal(data_dir: Path | str) -> Path:
    return Path(data_dir) / "run" / "dataset-changed"


def announce_write(path: Path) -> None:
    """Replaces the signal's token (errors ignored: the signal only hastens what the version
    check finds anyway)."""
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_text(uuid.uuid4().hex)
        os.replace(temporary, path)


def read_signal(path: Path) -> str | None:
    """The current token (None: no write announced yet on this host)."""
    try:
        return path.read_text()
    except OSError:
        return None


class SignalWatch:
    """Remembers the token last seen: ``moved()`` is True once per change of the signal. The
    first look counts as a move when a token is there, so a process that starts after a
    write forgets anything it read before looking."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._seen: str | None = None
        self._looked = False
        self._lock = threading.Lock()

    def moved(self) -> bool:
        token = read_signal(self.path)
        with self._lock:
            if self._looked and token == self._seen:
                return False
            first_look_without_token = not self._looked and token is None
            self._seen, self._looked = token, True
            return not first_look_without_token


__all__ = ["SignalWatch", "announce_write", "read_signal", "write_signal"]
