"""Faults (issue 7, part 2): a data dir that cannot be written at start, a disk that fills up
during a write, the Oxigraph child killed during a write stream, a client that disconnects
mid-response and slow clients. Covered elsewhere and cited in docs/reliability.md:
``kill -9`` of the whole server during acknowledged writes
(tests/test_editing.py::test_kill_9_during_acknowledged_writes_loses_nothing), the remote
store stopped and restarted (tests/test_remote_store.py), queries over the time limit
(tests/test_sparql_limits.py).

The file-system tests mount a small tmpfs (read-only, or nearly full) and need root; without
it they are skipped with the reason.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest
from conftest import HAIRKG, ROOT, start_server
from test_hardening_common import ALICE, TOKENS, call, fingerprint

from kb.oxigraph_server import free_port


@contextlib.contextmanager
def tmpfs(path: Path, size: str, read_only: bool = False):
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs (needs root): {result.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_unwritable_data_dir_at_start_is_a_clear_error(tmp_path):
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as mount:
        result = subprocess.run(
            [*HAIRKG, "serve", "--port", str(free_port()), "--data-dir", str(mount / "data")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert "is not writable" in result.stderr and "Read-only file system" in result.stderr


def insert_note(server, text: str):
    return call(
        server.url,
        "POST",
        "/sparql",
        "INSERT DATA { GRAPH <urn:x-test:disk> "
        f'{{ <urn:x-test:a> <urn:x-test:note> "{text}" }} }}',
        ALICE,
        "application/sparql-update",
    )


def test_full_disk_during_a_write_is_a_clear_error_and_reads_go_on(tmp_path, release_dir):
    with tmpfs(tmp_path / "small", "48m") as mount:
        server = start_server(
            mount / "data",
            release_dir=release_dir,
            env={"HAIRKG_TOKENS": TOKENS, "HAIRKG_WRITE_VALIDATION": "shapes"},
        )
        try:
            assert insert_note(server, "before")[0] == 200
            before = fingerprint(server.url)
            filler = mount / "filler"
            with filler.open("wb") as handle, contextlib.suppress(OSError):
                while True:
                    handle.write(b"\0" * (1 << 20))
            status, _headers, body = insert_note(server, "while full")
            assert status == 503, body
            assert b"No space left on device" in body
            # nothing half-written, and reads are served
            assert fingerprint(server.url) == before
            assert call(server.url, "GET", "/api/v1/search?q=alopecia")[0] == 200
            assert call(server.url, "GET", "/healthz")[0] == 200
            filler.unlink()
        finally:
            server.stop()
