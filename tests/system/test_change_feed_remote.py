"""The change feed in remote-store mode: two `hairkg serve` hosts (each its own data dir, so
no shared changed-marker file) in front of one Oxigraph server they did not start. A write
through one host reaches an event stream held by the other: its workers see it by polling the
store's dataset version (``feed_store_poll_s``)."""

from __future__ import annotations

import shutil
import subprocess
import time

import pytest
from conftest import start_server
from helpers import call, wait_until
from test_change_feed_stream import ALICE, SOURCES, TOKENS, open_stream

from kb.store.client import SparqlStore
from kb.store.managed import free_port, oxigraph_binary


@pytest.fixture(scope="module")
def remote_url(tmp_path_factory):
    port = free_port()
    process = subprocess.Popen(
        [
            oxigraph_binary(),
            "serve",
            "--location",
            str(tmp_path_factory.mktemp("feed-remote-store")),
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


def host(tmp_path_factory, release_dir, remote_url, name):
    data_dir = tmp_path_factory.mktemp(name)
    shutil.copytree(release_dir, data_dir / "build")
    for path in (data_dir / "build").iterdir():
        path.touch()  # newer than the sources: used as built
    return start_server(
        data_dir,
        extra_args=("--store-url", remote_url),
        env={
            "HAIRKG_DATA_DIR": str(data_dir),
            "HAIRKG_TOKENS": TOKENS,
            "HAIRKG_TOKENS_FILE": "",
            "HAIRKG_WRITE_VALIDATION": "shapes",
        },
    )


def test_a_write_through_one_host_reaches_a_stream_on_another(
    tmp_path_factory, release_dir, remote_url
):
    writer = host(tmp_path_factory, release_dir, remote_url, "feed-host-a")
    try:
        reader = host(tmp_path_factory, release_dir, remote_url, "feed-host-b")
        try:
            stream = open_stream(reader)
            try:
                status, _, body = call(
                    writer.url, "POST", "/api/v1/edit/entities", SOURCES[0], ALICE, timeout=120
                )
                acknowledged = time.monotonic()
                assert status == 201, body
                arrived, event = stream.next_event()
                assert event["id"] == 1 and event["data"]["entities"][0]["id"] == SOURCES[0]["id"]
                print(f"event latency across hosts: {arrived - acknowledged:.3f} s")
            finally:
                stream.close()
        finally:
            reader.stop()
    finally:
        writer.stop()
