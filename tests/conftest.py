"""Fixtures that start the real thing: `hairkg serve` processes on loopback ports, or the
same app in process (Flask's test client) on a real Oxigraph holding the release.

The release graph is built once per test run (shared by the xdist processes) and copied into
each server's data dir, so every server starts from the same validated data without re-running
the reasoner.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from helpers import fetch, wait_until

from kb.store.managed import free_port

ROOT = Path(__file__).resolve().parent.parent
HAIRKG = [sys.executable, "-m", "api.cli"]


def pytest_collection_modifyitems(items) -> None:
    """Modules holding a test marked ``slow`` first, then the others by their number of tests,
    largest first (a module's tests stay together and in their order). `scripts/test` runs
    ``--dist loadfile --no-loadscope-reorder``, so xdist deals the modules in this order: the
    long ones start at once and the processes end together."""
    by_module: dict[Path, list] = {}
    for item in items:
        by_module.setdefault(item.path, []).append(item)

    def dealt_first(tests: list) -> tuple[bool, int]:
        return (not any(test.get_closest_marker("slow") for test in tests), -len(tests))

    items[:] = [test for tests in sorted(by_module.values(), key=dealt_first) for test in tests]


@dataclass
class RunningServer:
    url: str
    data_dir: Path
    process: subprocess.Popen
    log_path: Path

    def get(self, path: str, headers: dict | None = None, timeout: float = 30):
        """GET returning (status, headers, body) without raising on 4xx/5xx."""
        return fetch(self.url + path, headers, timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="session")
def release_dir(tmp_path_factory) -> Path:
    """The release graph (asserted + inferred), built once per run with the real reasoner.
    Under xdist the first process that needs it builds it into the run's temp dir, the
    others wait on a lock and reuse it (pytest-xdist's pattern for session data): read only."""
    from kb.store.locks import flock_exclusive
    from kb.validation.release import build_release

    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        out = tmp_path_factory.mktemp("release")
        build_release(out)
        return out
    run_dir = tmp_path_factory.getbasetemp().parent
    shared = run_dir / "release"
    with (run_dir / "release.lock").open("ab") as lock:
        if not flock_exclusive(lock, timeout_s=900):
            pytest.fail("another test process held the release build lock for 15 minutes")
        if not shared.is_dir():
            partial = run_dir / f"release.{os.getpid()}"
            build_release(partial)
            partial.rename(shared)  # whole or absent
    return shared


def start_server(
    data_dir: Path,
    *,
    release_dir: Path | None = None,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    ready_timeout_s: float = 90,
) -> RunningServer:
    """Starts `hairkg serve` and waits for /healthz. The caller stops it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if release_dir is not None:
        # Pre-seed the build so the first start loads without re-running the reasoner.
        build = data_dir / "build"
        if not build.exists():
            shutil.copytree(release_dir, build)
            for path in build.iterdir():
                path.touch()  # newer than the sources: used as built
    port = free_port()
    args = [*HAIRKG, "serve", "--port", str(port), "--workers", "2", *extra_args]
    if "--data-dir" not in extra_args:
        args += ["--data-dir", str(data_dir)]
    log_path = data_dir / "server.log"
    process = subprocess.Popen(
        args,
        cwd=ROOT,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )
    server = RunningServer(f"http://127.0.0.1:{port}", data_dir, process, log_path)

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"hairkg serve exited with {process.returncode}:\n{server.log()}")
        try:
            return server.get("/healthz", timeout=2)[0] == 200
        except OSError:
            return False

    try:
        wait_until(ready, ready_timeout_s, 0.2, "hairkg serve ready")
    except AssertionError:
        server.stop()
        raise RuntimeError(f"hairkg serve did not become ready:\n{server.log()}") from None
    return server


def server_fixture(
    name: str, *, env: dict[str, str] | None = None, extra_args: tuple[str, ...] = ()
):
    """A module-scoped fixture: a `hairkg serve` of the module's own in a fresh data dir
    (``tmp_path_factory.mktemp(name)``) seeded with the release, stopped after the module.
    Assign it to the fixture's name: ``writable = server_fixture("writable", env=...)``."""

    @pytest.fixture(scope="module")
    def fixture(tmp_path_factory, release_dir) -> RunningServer:
        running = start_server(
            tmp_path_factory.mktemp(name),
            release_dir=release_dir,
            extra_args=extra_args,
            env=env,
        )
        yield running
        running.stop()

    return fixture


@contextlib.contextmanager
def release_engine(location: Path, release_dir: Path):
    """A managed Oxigraph at ``location`` holding the release graph (dataset version "seed"),
    stopped on exit: (engine, store)."""
    from kb.store.managed import ManagedOxigraph

    engine = ManagedOxigraph(location, timeout_cap_s=60)
    engine.start()
    try:
        store = engine.store(timeout_s=60)
        store.load_nquads((release_dir / "release.nq").read_bytes())
        store.update(store.set_version_update("seed"))
        yield engine, store
    finally:
        engine.stop()


@contextlib.contextmanager
def release_app(data_dir: Path, release_dir: Path, **settings):
    """The app `hairkg serve` runs, in process, on an Oxigraph of its own in ``data_dir``
    holding the release; ``settings`` override :class:`kb.settings.Settings`: (app, store)."""
    from api.app import create_app
    from kb.settings import Settings

    with release_engine(data_dir / "oxigraph", release_dir) as (_engine, store):
        settings = Settings(**{"data_dir": data_dir, "index_snapshots": False, **settings})
        yield create_app(settings, store), store


@pytest.fixture
def release_store(tmp_path, release_dir):
    """A managed Oxigraph of its own holding the release graph (dataset version "seed")."""
    with release_engine(tmp_path / "release-store", release_dir) as engine_and_store:
        yield engine_and_store


@pytest.fixture(scope="session")
def server(tmp_path_factory, release_dir) -> RunningServer:
    """One shared read-only server on the shipped data (tests must not write to it)."""
    running = start_server(tmp_path_factory.mktemp("server"), release_dir=release_dir)
    yield running
    running.stop()


@pytest.fixture
def base_url(server) -> str:
    return server.url


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    """A private Virtuoso Open Source 7 (``tests/system/virtuoso_engine.py``): loopback ports,
    its own database directory, an update user; stopped at the end of the session."""
    from virtuoso_engine import Virtuoso  # tests/system: the tests that use it run there

    engine = Virtuoso(tmp_path_factory.mktemp("virtuoso"))
    try:
        engine.start()
        yield engine
    finally:
        engine.stop()


def on_virtuoso(engine, data_dir: Path, release_dir: Path, env: dict | None = None):
    """`hairkg serve` on ``engine`` (loading the release into it when it holds none), as an
    operator runs it: the query endpoint, the kind, the update user and its password."""
    from virtuoso_engine import UPDATE_PASSWORD, UPDATE_USER

    return start_server(
        data_dir,
        release_dir=release_dir,
        extra_args=(
            "--store-url",
            engine.url + "/sparql",
            "--store-kind",
            "virtuoso",
            "--store-user",
            UPDATE_USER,
        ),
        env={"HAIRKG_STORE_PASSWORD": UPDATE_PASSWORD, **(env or {})},
    )


@pytest.fixture(scope="session")
def browser():
    """A real headless Chromium driven through Debian's chromedriver (Selenium)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.fail("chromium and chromedriver are required: run `make test` to install them")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@dataclass
class InProcessServer:
    """The app `hairkg serve` runs, called in process through Flask's test client, on a real
    store: no gunicorn, no socket. ``get`` answers like :meth:`RunningServer.get`."""

    client: object
    url: str = "http://localhost"

    def get(self, path: str, headers: dict | None = None, timeout: float = 30):
        response = self.client.get(path, headers=headers or {})
        return response.status_code, response.headers, response.get_data()


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, release_dir) -> InProcessServer:
    """One shared read-only app in process on the shipped data (tests must not write to it)."""
    with release_app(tmp_path_factory.mktemp("app"), release_dir) as (app, _store):
        yield InProcessServer(app.test_client())


@dataclass
class ServedVirtuoso:
    """hairkg on the session's Virtuoso, and what an app on that store answered at /healthz
    before hairkg loaded the release into it."""

    server: RunningServer
    health_before_load: tuple[int, dict]


@pytest.fixture(scope="session")
def virtuoso_served(tmp_path_factory, virtuoso, release_dir) -> ServedVirtuoso:
    """One read-only hairkg on the session's Virtuoso (tests must not write to it)."""
    from api.app import create_app
    from kb.settings import Settings

    data_dir = tmp_path_factory.mktemp("on-virtuoso")
    before = Settings(store_url=virtuoso.url + "/sparql", store_kind="virtuoso", data_dir=data_dir)
    health = create_app(replace(before, index_snapshots=False)).test_client().get("/healthz")
    running = on_virtuoso(virtuoso, data_dir, release_dir)
    yield ServedVirtuoso(running, (health.status_code, health.get_json()))
    running.stop()
