"""The newest change number, watched cheaply for every event stream of a process.

A stream asks :meth:`ChangeWatch.latest` every tick (a tenth of a second). That costs a
read of the host's write signal (``kb.store.signals``, replaced after every commit made on
this host) and, when its token changed or ``store_poll_s`` passed since the last
look, one lookup of the dataset version (a single triple; every write changes it). Only when
the version changed is the history asked for its newest number. One watch is shared by the
streams of a process, so the store sees at most one version lookup per ``store_poll_s`` per
process however many streams are open; writes made on other hosts in front of the same
remote store are seen within ``store_poll_s``."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from kb.feed.events import latest_number
from kb.store.client import SparqlStore
from kb.store.signals import SignalWatch


class ChangeWatch:
    def __init__(self, store: SparqlStore, signal: Path, store_poll_s: float = 0.5):
        self.store = store
        self.signal = SignalWatch(Path(signal))
        self.store_poll_s = store_poll_s
        self._lock = threading.Lock()
        self._looked_at = float("-inf")
        self._version: str | None = None
        self._latest = 0

    def latest(self) -> int:
        """The number of the newest change (0: none), at most ``store_poll_s`` old."""
        with self._lock:
            now = time.monotonic()
            if self.signal.moved() or now - self._looked_at >= self.store_poll_s:
                self._looked_at = now
                version = self.store.version(max_age_s=0)
                if version != self._version:
                    self._latest = latest_number(self.store)
                    self._version = version
            return self._latest
