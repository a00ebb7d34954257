"""Dated releases over HTTP (issue 17 part 4), in process on a real Oxigraph: POST /api/v1/releases
(admin), /releases/ (HTML and JSON), the release files (media types, strong ETags, immutable
caching, 304), the live VoID linking the releases, and bad input (tokens, bodies, versions)."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime

import pyoxigraph as ox
import pytest
from conftest import release_app

TOKENS = "ops:ops-secret:admin,carol:carol-secret:write"
OPS = {"Authorization": "Bearer ops-secret"}
CAROL = {"Authorization": "Bearer carol-secret"}
JSON = {"Accept": "application/json"}
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(scope="module")
def client(tmp_path_factory, release_dir):
    with release_app(tmp_path_factory.mktemp("releases-app"), release_dir, tokens=TOKENS) as (
        app,
        _store,
    ):
        yield app.test_client()


def test_releases_are_made_listed_and_served(client):
    empty = client.get("/releases/", headers=JSON)
    assert empty.status_code == 200 and empty.get_json() == {"total": 0, "items": []}
    assert b"No release has been made yet" in client.get("/releases/", headers=HTML).data

    today = datetime.now(UTC).date().isoformat()
    made = client.post("/api/v1/releases", headers=OPS)
    assert made.status_code == 201, made.get_json()
    first = made.get_json()
    if first["version"] != today:  # made just across midnight UTC
        today = first["version"][:10]
    assert first["version"] == today and made.headers["Location"] == f"/releases/{today}/"
    second = client.post("/api/v1/releases", json={}, headers=OPS).get_json()
    assert second["version"] == f"{today}.2" and second["previous"] == today

    listed = client.get("/releases/", headers=JSON).get_json()
    assert [r["version"] for r in listed["items"]] == [f"{today}.2", today]
    page = client.get("/releases/", headers=HTML)
    assert page.mimetype == "text/html" and f'data-version="{today}.2"'.encode() in page.data
    assert client.get("/releases/", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/releases").status_code == 301

    one = client.get(f"/releases/{today}/", headers=JSON).get_json()
    names = {f["name"]: f for f in one["files"]}
    assert set(names) == {
        "release.nq.gz",
        "release.ttl.gz",
        "void.ttl",
        "changelog.json",
        "changelog.md",
    }
    assert b"Changelog" in client.get(f"/releases/{today}/", headers=HTML).data

    dump = client.get(names["release.nq.gz"]["href"])
    assert dump.status_code == 200 and dump.mimetype == "application/gzip"
    assert dump.headers["ETag"] == f'"{names["release.nq.gz"]["sha256"]}"'
    assert hashlib.sha256(dump.data).hexdigest() == names["release.nq.gz"]["sha256"]
    assert "immutable" in dump.headers["Cache-Control"]
    quads = list(ox.parse(gzip.decompress(dump.data), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == one["quads"]
    again = client.get(
        names["release.nq.gz"]["href"], headers={"If-None-Match": dump.headers["ETag"]}
    )
    assert again.status_code == 304
    void = client.get(f"/releases/{today}/void.ttl")
    assert void.mimetype == "text/turtle"
    assert client.get(f"/releases/{today}/changelog.md").mimetype == "text/markdown"
    assert client.get(f"/releases/{today}/manifest.json").get_json()["version"] == today

    live = client.get(
        "/.well-known/void", headers={"Accept": "application/n-triples"}
    ).data.decode()
    for version in (today, f"{today}.2"):
        assert (
            f"<http://purl.org/dc/terms/hasVersion> <http://localhost/releases/{version}/void.ttl"
            "#dataset>" in live
        )


def test_a_release_is_never_rewritten_and_bad_requests_are_refused(client):
    made = client.post("/api/v1/releases", headers=OPS)
    version = made.get_json()["version"]
    before = client.get("/releases/", headers=JSON).get_json()["total"]
    again = client.post("/api/v1/releases", json={"version": version}, headers=OPS)
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert "never rewritten" in again.get_json()["detail"]
    cases = [
        ({}, None, None, 401),
        (CAROL, None, None, 403),
        (OPS, {"version": "latest"}, None, 400),
        (OPS, {"version": "1999-01-01"}, None, 400),
        (OPS, {"version": 20261204}, None, 400),
        (OPS, [1], None, 400),
        (OPS, None, ("{", "application/json"), 400),
        (OPS, None, ("version=x", "application/x-www-form-urlencoded"), 415),
    ]
    for headers, body, raw, status in cases:
        if raw is not None:
            response = client.post(
                "/api/v1/releases", data=raw[0], headers={**headers, "Content-Type": raw[1]}
            )
        else:
            response = client.post("/api/v1/releases", json=body, headers=headers)
        assert response.status_code == status, (headers, body, raw, response.get_json())
        assert response.mimetype == "application/problem+json"
    assert client.get("/releases/", headers=JSON).get_json()["total"] == before

    for path in (
        "/releases/2001-01-01/",
        "/releases/2001-01-01/release.nq.gz",
        f"/releases/{version}/secret.txt",
        f"/releases/{version}/.lock",
        "/releases/..%2F..%2Fetc/passwd",
        "/releases/latest/",
        "/releases/2001-01-01",
    ):
        assert client.get(path, headers=JSON).status_code == 404, path
