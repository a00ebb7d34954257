"""Dated releases (kb/releases/dated.py) from a real store holding the release build: versions
per day, immutable directories, the files and their checksums, the VoID, and the changelog
against the previous release (added, changed, deprecated, removed terms with labels)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from datetime import UTC, datetime

import pyoxigraph as ox
import pytest

from kb.releases.dated import (
    ReleaseError,
    ReleaseExists,
    ReleaseNotFound,
    create_release,
    diff_releases,
    manifest,
    release_file,
    versions,
)

KB_GRAPH = "https://w3id.org/hairkg/graph/kb"
PREFIXES = (
    "PREFIX kb: <https://w3id.org/hairkg/id/> PREFIX owl: <http://www.w3.org/2002/07/owl#> "
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "PREFIX hk: <https://w3id.org/hairkg/ontology#> "
)
DAY = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def test_releases_are_dated_immutable_and_carry_a_changelog(release_store, tmp_path):
    _, store = release_store
    root = tmp_path / "releases"
    first = create_release(store, root, author="ops", now=DAY)
    assert first["version"] == "2026-12-04" and first["previous"] is None
    assert first["changes"]["added"] > 100  # the first release lists every term as added
    second = create_release(store, root, now=DAY)
    assert (second["version"], second["previous"]) == ("2026-12-04.2", "2026-12-04")
    assert second["changes"] == {"added": 0, "removed": 0, "changed": 0, "deprecated": 0}
    assert versions(root) == ["2026-12-04", "2026-12-04.2"]

    with pytest.raises(ReleaseExists):
        create_release(store, root, version="2026-12-04", now=DAY)
    for bad in ("2026-12-05", "2026-13-40", "latest", "2026-12-04.0", "../2026-12-04"):
        with pytest.raises(ReleaseError):
            create_release(store, root, version=bad, now=DAY)
    assert versions(root) == ["2026-12-04", "2026-12-04.2"]
    assert not [p for p in root.iterdir() if p.name.startswith(".2026")]  # no leftovers

    # Every file is what the manifest says, read-only, and parses.
    listed = manifest(root, "2026-12-04")
    for entry in listed["files"]:
        path = root / "2026-12-04" / entry["name"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        assert not os.access(path, os.W_OK) or os.geteuid() == 0
        assert path.stat().st_mode & 0o222 == 0
    nquads = gzip.decompress((root / "2026-12-04" / "release.nq.gz").read_bytes())
    quads = list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    assert len(quads) == listed["quads"]
    assert {q.graph_name.value for q in quads} == {
        "https://w3id.org/hairkg/graph/ontology",
        KB_GRAPH,
        "https://w3id.org/hairkg/graph/inferred",
    }
    turtle = gzip.decompress((root / "2026-12-04" / "release.ttl.gz").read_bytes())
    assert len(list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))) > 0
    base = "http://example.org/releases/2026-12-04.2/void.ttl"
    void = list(
        ox.parse(
            (root / "2026-12-04.2" / "void.ttl").read_bytes(),
            format=ox.RdfFormat.TURTLE,
            base_iri=base,
        )
    )
    dumps = {t.object.value for t in void if t.predicate.value.endswith("#dataDump")}
    assert dumps == {
        "http://example.org/releases/2026-12-04.2/release.nq.gz",
        "http://example.org/releases/2026-12-04.2/release.ttl.gz",
    }
    replaces = [t.object.value for t in void if t.predicate.value.endswith("/replaces")]
    assert replaces == ["http://example.org/releases/2026-12-04/void.ttl#dataset"]

    # Change the live graph: add, relabel, deprecate and remove terms; the next release says so.
    store.update(
        f"{PREFIXES} DELETE {{ GRAPH <{KB_GRAPH}> {{ kb:microneedling rdfs:label ?l }} }} "
        f"INSERT {{ GRAPH <{KB_GRAPH}> {{ kb:microneedling rdfs:label "
        '"collagen induction"@en } } '
        f"WHERE {{ GRAPH <{KB_GRAPH}> {{ kb:microneedling rdfs:label ?l }} }} ; "
        f"INSERT DATA {{ GRAPH <{KB_GRAPH}> {{ kb:release-example a hk:HairLossDisorder ; "
        'rdfs:label "release example"@en . kb:oral-finasteride owl:deprecated true } } ; '
        f"DELETE WHERE {{ GRAPH <{KB_GRAPH}> {{ kb:redness ?p ?o }} }}"
    )
    store.forget_version()
    store.update(store.set_version_update("changed"))
    third = create_release(store, root, now=DAY.replace(day=5))
    assert (third["version"], third["previous"]) == ("2026-12-05", "2026-12-04.2")
    changelog = json.loads((root / "2026-12-05" / "changelog.json").read_bytes())
    assert [t["label"] for t in changelog["added"]] == ["release example"]
    assert "kb:redness" in [t["curie"] for t in changelog["removed"]]
    assert [t["curie"] for t in changelog["deprecated"]] == ["kb:oral-finasteride"]
    relabelled = next(t for t in changelog["changed"] if t["curie"] == "kb:microneedling")
    assert relabelled["newLabel"] == "collagen induction"
    markdown = (root / "2026-12-05" / "changelog.md").read_text()
    assert "**release example**" in markdown and "### Deprecated" in markdown

    # Two releases compared later give the same answer as the changelog.
    assert (
        diff_releases(root, "2026-12-04.2", "2026-12-05").to_dict()["summary"] == (third["changes"])
    )
    with pytest.raises(ReleaseNotFound):
        diff_releases(root, "2026-12-04", "2030-01-01")
    with pytest.raises(ReleaseNotFound):
        release_file(root, "2026-12-04", "../../etc/passwd")
    assert release_file(root, "2026-12-04", "manifest.json")[1]["sha256"]


def test_the_release_and_diff_commands(release_store, tmp_path):
    import subprocess
    import sys

    engine, _ = release_store
    root = tmp_path / "out"

    def hairkg(*args: str):
        return subprocess.run(
            [sys.executable, "-m", "kb.cli.main", *args],
            capture_output=True,
            text=True,
            timeout=300,
        )

    where = ("--store-url", engine.url, "--releases-dir", str(root))
    first = hairkg("release", *where, "--json")
    assert first.returncode == 0, first.stderr
    version = json.loads(first.stdout)["version"]
    second = hairkg("release", *where)
    assert second.returncode == 0, second.stderr
    assert f"release {version}.2 in" in second.stdout and f"since {version}:" in second.stdout
    again = hairkg("release", *where, "--version", version)
    assert again.returncode == 1 and "never rewritten" in again.stderr
    malformed = hairkg("release", *where, "--version", "yesterday")
    assert malformed.returncode == 2 and "not a release version" in malformed.stderr
    assert versions(root) == [version, f"{version}.2"]

    diff = hairkg("diff", "--release", version, f"{version}.2", "--releases-dir", str(root))
    assert diff.returncode == 0, diff.stderr
    assert "no term changed" in diff.stdout
    as_json = hairkg(
        "diff",
        "--release",
        version,
        f"{version}.2",
        "--releases-dir",
        str(root),
        "--format",
        "json",
    )
    assert json.loads(as_json.stdout)["summary"]["added"] == 0
    unknown = hairkg("diff", "--release", version, "2001-01-01", "--releases-dir", str(root))
    assert unknown.returncode == 2 and "no release '2001-01-01'" in unknown.stderr
