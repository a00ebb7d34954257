"""The embedded default store: an Oxigraph server that hairkg runs on its own data dir.

The Oxigraph binary comes from the ``oxigraph`` PyPI package. hairkg starts it on a free
loopback port, with the union default graph (queries without ``GRAPH`` see every graph). If
the process dies, a watchdog restarts it on the same port; RocksDB's write-ahead log makes
every acknowledged write survive that.

Query time limits are hairkg's, not Oxigraph's ``--timeout-s``: in 0.5.13 that option keeps a
thread alive per query for the whole timeout (oxigraph#1874), so sustained traffic exhausts
threads and memory. A query hairkg gives up on is cut off by closing its connection, which
stops a streaming evaluation; one that computes before its first row does not notice, and the
watchdog restarts the engine when it keeps burning CPU after a worker gave up.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import mmap
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from kb.store.client import SparqlStore

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


class EngineSupervision:
    """What API workers tell the supervisor about their queries, through files in
    ``DATA_DIR/run``: the time a worker last gave up on a query (``query-overrun``), and how
    many queries each worker process is still waiting for (``inflight-<pid>``, 8 bytes,
    written only by that process). With both, the supervisor tells an engine busy with a
    query nobody waits for from an engine busy with live queries."""

    def __init__(self, data_dir: Path):
        self.run_dir = data_dir / "run"
        self._lock = threading.Lock()
        self._pid = 0
        self._count = 0
        self._file: mmap.mmap | None = None

    @property
    def overrun_marker(self) -> Path:
        return self.run_dir / "query-overrun"

    @contextlib.contextmanager
    def running(self):
        """Counts a query as in flight for as long as the caller waits for it."""
        self._add(1)
        try:
            yield
        finally:
            self._add(-1)

    def gave_up(self) -> None:
        with contextlib.suppress(OSError):
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self.overrun_marker.touch()

    def last_overrun(self) -> float:
        try:
            return self.overrun_marker.stat().st_mtime
        except OSError:
            return 0.0

    def inflight(self) -> int:
        """Queries the live worker processes are waiting for."""
        total = 0
        for path in self.run_dir.glob("inflight-*"):
            pid = int(path.name.partition("-")[2] or 0)
            if not process_alive(pid):
                path.unlink(missing_ok=True)
                continue
            with contextlib.suppress(OSError, struct.error):
                total += struct.unpack("q", path.read_bytes()[:8])[0]
        return total

    def _add(self, delta: int) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use in this (possibly forked) process
                self._pid, self._count, self._file = os.getpid(), 0, None
                with contextlib.suppress(OSError):
                    self.run_dir.mkdir(parents=True, exist_ok=True)
                    path = self.run_dir / f"inflight-{self._pid}"
                    path.write_bytes(bytes(8))
                    with path.open("r+b") as handle:
                        self._file = mmap.mmap(handle.fileno(), 8)
            self._count += delta
            if self._file is not None:
                self._file[:8] = struct.pack("q", self._count)


def process_alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this host (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid > 0


def die_with_parent() -> None:
    """In the child: ask Linux to send SIGTERM when the parent process dies."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def dying_with_parent(command: list[str]) -> list[str]:
    """``command`` run so that Linux sends it SIGTERM when the thread that started it dies
    (kill -9 of hairkg included), through util-linux's ``setpriv``, which sets that and then
    runs the command. Not with ``preexec_fn``: Python code between fork and exec can deadlock
    in a process with threads (a lock another thread held at the fork), and then the child
    never runs (it happened to an engine restarted from the supervisor's thread). Where there
    is no ``setpriv`` (not Linux), the command as it is."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *command] if setpriv else command


_PR_SET_PDEATHSIG = 1
# Seconds after a worker gives up on a query before a still-busy engine is restarted.
OVERRUN_GRACE_S = 2.0
# Samples of the engine at rest (each ``_busy``'s two seconds) that settle an overrun as
# stopped by the engine itself; one is not enough on a machine busy with other work.
IDLE_SAMPLES_TO_SETTLE = 3


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
        self.supervision = EngineSupervision(location.parent)

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
        ]
        log.info("starting %s", " ".join(command))
        with self.log_path.open("ab") as log_file:
            self._process = subprocess.Popen(
                dying_with_parent(command),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
                # Its own session: a Ctrl-C meant for hairkg reaches it through stop(); and it
                # dies with hairkg even on kill -9, so no orphan keeps the store locked.
                start_new_session=True,
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
        handled_overrun = self.supervision.last_overrun()
        idle_samples = 0  # consecutive samples, since the last overrun, of an engine at rest
        while not self._stopping.wait(0.5):
            process = self._process
            if process and process.poll() is not None and not self._stopping.is_set():
                log.error("oxigraph exited with %s; restarting", process.returncode)
                self._respawn()
                continue
            # A streaming query stops within a second of its connection closing; an
            # aggregate over a cross join runs on. When a worker gave up on a query and the
            # engine still burns CPU after the grace period while no worker waits for any
            # query (or, under load, once the cap has passed too), the engine is restarted:
            # the only way to stop a query it will not cancel.
            overrun = self.supervision.last_overrun()
            now = time.time()
            if overrun <= handled_overrun or now < overrun + OVERRUN_GRACE_S:
                idle_samples = 0
                continue
            if not (process and self._busy(process.pid)):
                # The engine stopped the query itself, or (one sample) a busy machine gave
                # its thread less than the threshold: only a rest that lasts settles it.
                idle_samples += 1
                if idle_samples >= IDLE_SAMPLES_TO_SETTLE:
                    handled_overrun = overrun
                continue
            idle_samples = 0
            if self.supervision.inflight() == 0 or now > overrun + self.timeout_cap_s:
                handled_overrun = overrun
                log.error("a query outlived its time limit; restarting oxigraph")
                self.restarts_for_overrun += 1
                process.kill()
                process.wait()
                self._respawn()

    def _respawn(self) -> None:
        with contextlib.suppress(Exception):
            self._spawn()
            self._wait_ready(30.0)

    @staticmethod
    def _busy(pid: int, sample_s: float = 1.0, windows: int = 2) -> bool:
        """True if ONE thread of the process wanted the CPU nearly all the time in each of
        ``windows`` consecutive samples of ``sample_s``: a query the engine does not cancel
        keeps its thread busy. Wanting is running plus waiting to run (the scheduler's
        ``schedstat``, 90 % of the time), so a machine busy with other work does not hide it
        (it did: the thread got less than the 40 % of a core asked before); where the kernel
        has no schedstat, 40 % of a core used. The whole process is not the measure: under
        load many threads each serve short queries, and restarting the engine then failed
        every query and write in flight (scripts/loadtest.py)."""
        tick = os.sysconf("SC_CLK_TCK")
        schedstat = Path(f"/proc/{pid}/schedstat").exists()
        threshold = 0.9 if schedstat else 0.4

        def demand(task: Path) -> float:
            """Seconds the thread ran or waited to run (else ran), since it started."""
            if schedstat:
                running_ns, waiting_ns = (task / "schedstat").read_text().split()[:2]
                return (int(running_ns) + int(waiting_ns)) / 1e9
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick

        def per_thread() -> dict[str, float]:
            out = {}
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    out[task.name] = demand(task)
            return out

        try:
            busy: set[str] | None = None
            before = per_thread()
            for _ in range(windows):
                time.sleep(sample_s)
                after = per_thread()
                hot = {
                    tid
                    for tid, seconds in after.items()
                    if seconds - before.get(tid, seconds) >= threshold * sample_s
                }
                busy = hot if busy is None else busy & hot
                if not busy:
                    return False
                before = after
            return bool(busy)
        except OSError:
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
