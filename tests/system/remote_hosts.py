"""Several `hairkg serve` hosts in front of one store they did not start, as hosts behind a
load balancer run: an `oxigraph serve` of the test's own (``oxigraph_server``) and hosts each
with their own data dir (``remote_host``: build, index snapshots, changed-marker, write lock),
all with the same ``--store-url``. Used by the change feed's and the several-hosts tests."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from conftest import RunningServer, start_server
from helpers import wait_until

from kb.store.client import SparqlStore
from kb.store.managed import free_port, oxigraph_binary


@contextlib.contextmanager
def oxigraph_server(location: Path) -> Iterator[str]:
    """An `oxigraph serve` on ``location`` (union default graph, as hairkg needs) on a free
    loopback port: its URL, stopped on exit. It holds nothing: the first host loads the
    release into it."""
    port = free_port()
    process = subprocess.Popen(
        [
            oxigraph_binary(),
            "serve",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        store = SparqlStore.for_server(url)
        wait_until(lambda: store.ping(timeout_s=1), 20, 0.1, "oxigraph to start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def remote_host(
    data_dir: Path,
    release_dir: Path,
    store_url: str,
    env: dict[str, str],
    extra_args: tuple[str, ...] = (),
) -> RunningServer:
    """`hairkg serve --store-url store_url --data-dir data_dir` (its build seeded with the
    release, so a first start loads it without reasoning); the caller stops it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(release_dir, data_dir / "build")
    for path in (data_dir / "build").iterdir():
        path.touch()  # newer than the sources: used as built
    return start_server(
        data_dir,
        extra_args=("--store-url", store_url, *extra_args),
        env={"HAIRKG_DATA_DIR": str(data_dir), **env},
    )
