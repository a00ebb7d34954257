"""The embedded default store: an Oxigraph server that hairkg runs on its own data dir.

The Oxigraph binary comes from the ``oxigraph`` PyPI package. hairkg starts it on a free
loopback port, with the union default graph (queries without ``GRAPH`` see every graph) and
with the operator's query time cap, which Oxigraph enforces inside the engine. If the process
dies, a watchdog restarts it on the same port; RocksDB's write-ahead log makes every
acknowledged write survive that.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from kb.store import SparqlStore

log = logging.getLogger(__name__)


class OxigraphNotFound(RuntimeError):
    pass


def oxigraph_binary() -> str:
    """The ``oxigraph`` executable installed beside this Python, or on PATH."""
    beside = Path(sys.executable).with_name("oxigraph")
    if beside.exists():
        return str(beside)
    found = shutil.which("oxigraph")
    if not found:
        raise OxigraphNotFound(
            "the oxigraph server binary is missing: install the 'oxigraph' package (pip)"
        )
    return found


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def load_file(location: Path, nquads: Path) -> None:
    """Bulk-loads an N-Quads file into the store at ``location`` (server not running)."""
    location.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [oxigraph_binary(), "load", "--location", str(location), "--file", str(nquads)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"oxigraph load failed: {result.stderr.strip()}")


def overrun_marker_for(data_dir: Path) -> Path:
    """The file API workers touch when they give up on a query (kb.store.SparqlStore)."""
    return data_dir / "run" / "query-overrun"


def _die_with_parent() -> None:
    """In the child: ask Linux to send SIGTERM when the parent process dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


class ManagedOxigraph:
    """Runs ``oxigraph serve`` on ``location`` until ``stop()``; restarts it if it dies."""

    def __init__(self, location: Path, *, timeout_cap_s: float, host: str = "127.0.0.1"):
        self.location = location
        self.timeout_cap_s = timeout_cap_s
        self.host = host
        self.port = free_port(host)
        self._process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None
        self.restarts_for_overrun = 0

    @property
    def overrun_marker(self) -> Path:
        return overrun_marker_for(self.location.parent)

    @property
    def log_path(self) -> Path:
        return self.location.parent / "oxigraph.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def store(self, **kwargs) -> SparqlStore:
        return SparqlStore.for_server(self.url, **kwargs)

    def start(self, ready_timeout_s: float = 30.0) -> None:
        self.location.mkdir(parents=True, exist_ok=True)
        self._spawn()
        self._wait_ready(ready_timeout_s)
        self._watchdog = threading.Thread(target=self._watch, name="oxigraph-watchdog", daemon=True)
        self._watchdog.start()

    def stop(self) -> None:
        self._stopping.set()
        process = self._process
        if process and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _spawn(self) -> None:
        command = [
            oxigraph_binary(),
            "serve",
            "--location",
            str(self.location),
            "--bind",
            f"{self.host}:{self.port}",
            "--union-default-graph",
            "--timeout-s",
            str(max(1, round(self.timeout_cap_s))),
        ]
        log.info("starting %s", " ".join(command))
        with self.log_path.open("ab") as log_file:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                # Its own session: a Ctrl-C meant for hairkg reaches it through stop().
                start_new_session=True,
                # ...and it dies with hairkg even on kill -9, so no orphan keeps the store locked.
                preexec_fn=_die_with_parent,
            )

    def _wait_ready(self, timeout_s: float) -> None:
        store = self.store()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process and self._process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:].strip()
                raise RuntimeError(
                    f"oxigraph exited at start ({self._process.returncode}); "
                    f"{self.log_path}: {tail}"
                )
            if store.ping(timeout_s=1.0):
                return
            time.sleep(0.05)
        raise RuntimeError(f"oxigraph did not answer within {timeout_s:g} s at {self.url}")

    def _watch(self) -> None:
        handled_overrun = self._overrun_time()
        while not self._stopping.wait(0.5):
            process = self._process
            if process and process.poll() is not None and not self._stopping.is_set():
                log.error("oxigraph exited with %s; restarting", process.returncode)
                self._respawn()
                continue
            # Oxigraph stops most queries at --timeout-s, but not all (a COUNT over a
            # cross join runs on). When a worker gave up on a query and, once the cap has
            # passed, the engine still burns a full core, the engine is restarted: the
            # only way to really stop a query it will not cancel.
            overrun = self._overrun_time()
            if overrun > handled_overrun and time.time() > overrun + self.timeout_cap_s + 1:
                handled_overrun = overrun
                if process and self._busy(process.pid):
                    log.error(
                        "a query overran the %gs cap; restarting oxigraph", self.timeout_cap_s
                    )
                    self.restarts_for_overrun += 1
                    process.kill()
                    process.wait()
                    self._respawn()

    def _respawn(self) -> None:
        with contextlib.suppress(Exception):
            self._spawn()
            self._wait_ready(30.0)

    def _overrun_time(self) -> float:
        try:
            return self.overrun_marker.stat().st_mtime
        except OSError:
            return 0.0

    @staticmethod
    def _busy(pid: int, sample_s: float = 1.0, threshold: float = 0.3) -> bool:
        """True if the process used ``threshold`` of a core over ``sample_s`` (an idle engine
        uses none; a runaway query gets less than a full core on a busy machine)."""

        def cpu_seconds() -> float:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        try:
            before = cpu_seconds()
            time.sleep(sample_s)
            return cpu_seconds() - before >= threshold * sample_s
        except (OSError, IndexError, ValueError):
            return False


# -- finding the store of a running `hairkg serve` -------------------------------------------

SERVER_FILE = "server.json"


def read_server_file(data_dir: Path) -> dict | None:
    """What a running `hairkg serve` recorded in its data dir, if it still answers."""
    path = Path(data_dir) / SERVER_FILE
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = info.get("store_url")
    if not url or not SparqlStore.for_server(url).ping(timeout_s=2.0):
        return None
    return info


def write_server_file(data_dir: Path, info: dict) -> Path:
    path = Path(data_dir) / SERVER_FILE
    tmp = path.with_name(SERVER_FILE + ".tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path
