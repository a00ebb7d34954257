"""Editor writes with history and revert on Virtuoso (issue 15): the editing tests of
tests/http/test_editing.py that write through ``writable``, run unchanged on hairkg in front
of a Virtuoso of this module's own (the writes must not reach the session's read-only one),
plus what only a guarded engine shows: an engine that refuses a write is a clear 503 with no
web page pasted into it and no secret."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import on_virtuoso
from virtuoso_engine import UPDATE_PASSWORD, Virtuoso

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "http"))

import test_editing as editing
from test_editing import ALICE, TOKENS, call, update

pytestmark = pytest.mark.slow  # dealt first under xdist (tests/conftest.py)

# The tests of tests/http/test_editing.py that write through ``writable``, in their order
# there (they share the server's state). Not here: the kill -9 test (the embedded store's
# write-ahead log) and the CORS tests (no store involved).
WRITE_TESTS = sorted(
    (
        test
        for name, test in vars(editing).items()
        if name.startswith("test_") and "writable" in test.__code__.co_varnames
    ),
    key=lambda test: test.__code__.co_firstlineno,
)


@pytest.fixture(scope="module")
def own_virtuoso(tmp_path_factory):
    engine = Virtuoso(tmp_path_factory.mktemp("virtuoso-writes"))
    try:
        engine.start()
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="module")
def writable(own_virtuoso, tmp_path_factory, release_dir):
    env = {"HAIRKG_TOKENS": TOKENS, "HAIRKG_TOKENS_FILE": ""}
    running = on_virtuoso(own_virtuoso, tmp_path_factory.mktemp("writes"), release_dir, env)
    yield running
    running.stop()


def test_a_write_the_engine_refuses_is_a_clear_503(own_virtuoso, writable, tmp_path, release_dir):
    """The update user loses its role: the write is refused by Virtuoso; the editor reads why
    (no HTML, no password), and nothing is recorded."""
    _, _, before = call(writable, "GET", "/api/v1/history")
    own_virtuoso.isql('REVOKE "SPARQL_UPDATE" FROM "hairkg";')
    try:
        status, _, body = update(
            writable,
            "INSERT DATA { GRAPH <https://w3id.org/hairkg/graph/kb> { "
            "<https://w3id.org/hairkg/id/alopecia> <http://www.w3.org/2004/02/skos/core#altLabel> "
            '"refused"@en } }',
        )
    finally:
        own_virtuoso.isql('GRANT "SPARQL_UPDATE" TO "hairkg";')
    assert status == 503, body
    text = body.decode()
    assert "<html" not in text.lower() and "<!DOCTYPE" not in text
    assert UPDATE_PASSWORD not in text and UPDATE_PASSWORD not in writable.log()
    # Virtuoso's own words, cut to its message: the write lease's claim (the first update of
    # a write) meets "SR186:SECURITY: No permission to execute procedure ...", the commit
    # itself "access denied"
    assert "access denied" in text.lower() or "no permission" in text.lower(), text
    _, _, after = call(writable, "GET", "/api/v1/history")
    assert json.loads(after) == json.loads(before)


def test_a_wrong_password_is_said_without_the_password(own_virtuoso, writable, tmp_path):
    from api.app import create_app
    from kb.settings import Settings

    settings = Settings(
        store_url=own_virtuoso.url + "/sparql",
        store_kind="virtuoso",
        store_user="hairkg",
        store_password="not-the-password-4711",
        data_dir=tmp_path,
        index_snapshots=False,
        tokens=TOKENS,
    )
    client = create_app(settings).test_client()
    response = client.post(
        "/sparql",
        data="INSERT DATA { GRAPH <https://w3id.org/hairkg/graph/kb> { "
        "<https://w3id.org/hairkg/id/alopecia> <http://www.w3.org/2004/02/skos/core#altLabel> "
        '"x"@en } }',
        headers={**ALICE, "Content-Type": "application/sparql-update"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 503, text
    assert "credentials" in text and "not-the-password-4711" not in text
    assert "<html" not in text.lower()


for _test in WRITE_TESTS:
    globals()[_test.__name__] = _test
del _test
