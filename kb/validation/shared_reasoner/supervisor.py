"""Runs the host's reasoner process (:mod:`.process`) for ``hairkg serve``: started once, with
a new key; restarted by a watchdog if it dies; stopped with the server.

It is a new interpreter started through :mod:`subprocess` (``python -m ...``), never a fork:
the process that supervises it (``hairkg serve``'s master) has threads and forks the workers,
and must itself never hold a JVM. Like the managed Oxigraph, it runs in its own session
(a Ctrl-C reaches it through :meth:`ReasonerProcess.stop`) and asks Linux to be terminated
when the master dies, so no orphan is left behind. Its log is ``DATA_DIR/reasoner.log``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from kb.store.managed import dying_with_parent
from kb.validation.shared_reasoner.client import (
    KEY_BYTES,
    check_socket_path,
    connect,
    host_socket,
    key_path_for,
)

log = logging.getLogger(__name__)
WATCH_INTERVAL_S = 0.5


class ReasonerProcess:
    """``start()`` ... ``stop()``; ``socket_path`` is what the workers are given."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir).resolve()
        self.socket_path = host_socket(self.data_dir)
        self.key_path = key_path_for(self.socket_path)
        self.log_path = self.data_dir / "reasoner.log"
        self.restarts = 0
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def start(self, ready_timeout_s: float = 60.0) -> None:
        """Starts the process and waits until it accepts connections (it warms up after)."""
        self.launch()
        self.wait_until_ready(ready_timeout_s)

    def launch(self) -> None:
        """Starts the process without waiting for it (``wait_until_ready`` does): the caller
        may do its own start-up meanwhile."""
        check_socket_path(self.socket_path)
        self.socket_path.parent.mkdir(parents=True, exist_ok=True)
        self._write_key()
        self._spawn()

    def wait_until_ready(self, timeout_s: float = 60.0) -> None:
        """Waits until the process accepts connections, then supervises it."""
        self._wait_ready(timeout_s)
        self._watchdog = threading.Thread(target=self._watch, name="reasoner-watchdog", daemon=True)
        self._watchdog.start()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.socket_path.unlink(missing_ok=True)
        self.key_path.unlink(missing_ok=True)

    def _write_key(self) -> None:
        """A new key for this server's lifetime, readable by this user only."""
        self.key_path.unlink(missing_ok=True)
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))

    def _spawn(self) -> None:
        command = [
            sys.executable,
            "-m",
            "kb.validation.shared_reasoner.process",
            "--socket",
            str(self.socket_path),
            "--key-file",
            str(self.key_path),
        ]
        with self.log_path.open("ab") as log_file:
            process = subprocess.Popen(
                dying_with_parent(command),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                start_new_session=True,
            )
        with self._lock:
            self._process = process
        log.info("reasoner process %d started", process.pid)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            process = self._process
            if process is not None and process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:].strip()
                raise RuntimeError(
                    f"the reasoner process exited at start ({process.returncode}); "
                    f"{self.log_path}: {tail}"
                )
            with contextlib.suppress(Exception):
                connect(self.socket_path, 0.0).close()
                return
            if time.monotonic() >= deadline:
                raise RuntimeError(f"the reasoner process did not listen within {timeout_s:g} s")
            time.sleep(0.05)

    def _watch(self) -> None:
        while not self._stopping.wait(WATCH_INTERVAL_S):
            process = self._process
            if process is None or process.poll() is None or self._stopping.is_set():
                continue
            log.error("the reasoner process exited with %s; restarting", process.returncode)
            self.restarts += 1
            try:
                self._spawn()
                self._wait_ready(60.0)
            except Exception as error:  # tried again at the next look
                log.error("restarting the reasoner process failed: %s", error)
