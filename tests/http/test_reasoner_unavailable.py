"""A write that needs HermiT while the host's shared reasoner process cannot be reached
(kb.validation.shared_reasoner): refused with a clear 503 in each write face's error format,
after the bounded wait for a restart, and nothing is written (never a write accepted without
reasoning). In process, on a real store; the reasoner process itself is in
tests/unit/test_reasoner_process.py and tests/system/test_shared_reasoner.py."""

from __future__ import annotations

import json

import pytest

from kb.validation.shared_reasoner import client

TOKEN = "reasoner-unavailable-secret"
EDITOR = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def app_without_reasoner(release_store, tmp_path):
    from api.app import create_app
    from kb.settings import Settings

    _engine, store = release_store
    settings = Settings(
        data_dir=tmp_path,
        index_snapshots=False,
        tokens=f"editor:{TOKEN}:write",
        write_validation="full",
        rate_limit=False,
    )
    app = create_app(settings, store)
    # The worker's configuration (api/server/worker.py), with a socket nobody listens on.
    client.use(tmp_path / "run" / "reasoner.sock", restart_wait_s=0.3)
    try:
        yield app.test_client(), store
    finally:
        client.stop_using()


def test_the_editor_api_answers_503_and_writes_nothing(app_without_reasoner):
    http, store = app_without_reasoner
    version = store.version(max_age_s=0)
    response = http.post(
        "/api/v1/edit/entities",
        json={
            "id": "reasoner-unavailable-test-condition",
            "types": ["hk:HairLossDisorder"],
            "label": "reasoner unavailable test condition",
            "definition": "A hair loss disorder recorded by the reasoner's tests.",
            "definitionSource": ["hairkg editors"],
        },
        headers=EDITOR,
    )
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/problem+json"
    detail = json.loads(response.get_data())["detail"]
    assert "reasoner process is not available" in detail
    assert "nothing was written" in detail
    assert store.version(max_age_s=0) == version
    assert not store.ask(
        "ASK { <https://w3id.org/hairkg/id/reasoner-unavailable-test-condition> ?p ?o }"
    )


def test_sparql_update_answers_503_in_plain_text(app_without_reasoner):
    http, store = app_without_reasoner
    version = store.version(max_age_s=0)
    response = http.post(
        "/sparql",
        data="PREFIX hk: <https://w3id.org/hairkg/ontology#> "
        "PREFIX kb: <https://w3id.org/hairkg/id/> INSERT DATA { GRAPH "
        "<https://w3id.org/hairkg/graph/kb> { kb:topical-minoxidil a hk:CosmeticOption } }",
        headers={**EDITOR, "Content-Type": "application/sparql-update"},
    )
    assert response.status_code == 503
    assert response.mimetype == "text/plain"
    assert "reasoner process is not available" in response.get_data(as_text=True)
    assert store.version(max_age_s=0) == version
