"""The change feed in remote-store mode: two `hairkg serve` hosts (each its own data dir, so
no shared changed-marker file) in front of one Oxigraph server they did not start. A write
through one host reaches an event stream held by the other: its workers see it by polling the
store's dataset version (``feed_store_poll_s``)."""

from __future__ import annotations

import time

import pytest
from helpers import call
from remote_hosts import oxigraph_server, remote_host
from test_change_feed_stream import ALICE, SOURCES, TOKENS, open_stream


@pytest.fixture(scope="module")
def remote_url(tmp_path_factory):
    with oxigraph_server(tmp_path_factory.mktemp("feed-remote-store")) as url:
        yield url


def host(tmp_path_factory, release_dir, remote_url, name):
    return remote_host(
        tmp_path_factory.mktemp(name),
        release_dir,
        remote_url,
        {
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
