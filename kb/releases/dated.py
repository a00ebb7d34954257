"""Dated, immutable releases of the live graph (``hairkg release``, ``POST /api/v1/releases``).

A release is a directory ``RELEASES/<version>/`` (``Settings.releases_path()``: ``DATA_DIR/
releases`` unless ``HAIRKG_RELEASES_DIR`` says otherwise) named by the UTC date it was made,
``2026-12-04``, then ``2026-12-04.2``, ``2026-12-04.3`` for more on the same day. It holds:

- ``release.nq.gz``: the content graphs (ontology, knowledge base, inferred) as sorted N-Quads;
- ``release.ttl.gz``: the same triples merged, as Turtle;
- ``void.ttl``: its VoID description (relative IRIs: they resolve against where it is served);
- ``changelog.json``, ``changelog.md``: the terms added, changed, deprecated and removed since
  the previous release, with their labels (``kb.files.termdiff``; the first release lists every
  term as added);
- ``manifest.json``: version, time, dataset version, previous release, and every file's size,
  SHA-256 and media type.

A release is written into a temporary directory beside the others and renamed into place, under
a lock file, so it appears whole or not at all, and a version that exists is never written
again (``ReleaseExists``). Its files are made read-only.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from kb.files.termdiff import TermDiff, compare
from kb.rdf import CONTENT_GRAPHS, HK, ONTOLOGY_IRI, PREFIXES
from kb.store.client import SparqlStore
from kb.store.locks import flock_exclusive, unlock
from kb.writes.compute import union_graph

VERSION = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\.([1-9][0-9]{0,3}))?$")
MANIFEST = "manifest.json"
# name -> (media type as served, what the file holds)
FILES = {
    "release.nq.gz": ("application/gzip", "application/n-quads"),
    "release.ttl.gz": ("application/gzip", "text/turtle"),
    "void.ttl": ("text/turtle; charset=utf-8", "text/turtle"),
    "changelog.json": ("application/json", "application/json"),
    "changelog.md": ("text/markdown; charset=utf-8", "text/markdown"),
    MANIFEST: ("application/json", "application/json"),
}


class ReleaseError(Exception):
    status = 400


class ReleaseExists(ReleaseError):
    status = 409


class ReleaseNotFound(ReleaseError):
    status = 404


def version_key(version: str) -> tuple[str, int]:
    match = VERSION.match(version)
    if match is None:
        raise ReleaseError(f"{version!r} is not a release version (YYYY-MM-DD or YYYY-MM-DD.N)")
    return match.group(1), int(match.group(2) or 1)


def check_version(version: str, today: date) -> str:
    """A version someone asked for: well formed, and of today (a release is dated when made)."""
    day, _ = version_key(version)
    try:
        date.fromisoformat(day)
    except ValueError as error:
        raise ReleaseError(f"{version!r}: {day} is not a date") from error
    if day != today.isoformat():
        raise ReleaseError(f"{version!r}: a release made today is dated {today.isoformat()}")
    return version


def versions(root: Path) -> list[str]:
    """The releases in ``root``, oldest first."""
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if VERSION.match(p.name) and (p / MANIFEST).is_file()]
    return sorted(found, key=version_key)


def manifest(root: Path, version: str) -> dict:
    if not VERSION.match(version) or not (root / version / MANIFEST).is_file():
        raise ReleaseNotFound(f"there is no release {version!r}")
    return json.loads((root / version / MANIFEST).read_text(encoding="utf-8"))


def release_file(root: Path, version: str, name: str) -> tuple[Path, dict]:
    """(path, its manifest entry) of one file of a release; only the files the manifest lists."""
    entry = next((f for f in manifest(root, version)["files"] if f["name"] == name), None)
    if name == MANIFEST:
        data = (root / version / MANIFEST).read_bytes()
        entry = {"name": name, "mediaType": FILES[name][0], "bytes": len(data)}
        entry["sha256"] = hashlib.sha256(data).hexdigest()
    if entry is None:
        raise ReleaseNotFound(f"release {version} has no file {name!r}")
    return root / version / name, entry


def next_version(existing: list[str], today: date) -> str:
    same_day = [version_key(v)[1] for v in existing if version_key(v)[0] == today.isoformat()]
    if not same_day:
        return today.isoformat()
    return f"{today.isoformat()}.{max(same_day) + 1}"


# -- reading the graph -----------------------------------------------------------------------


def content_quads(store: SparqlStore) -> tuple[str, list[ox.Quad]]:
    """(dataset version, the quads of the content graphs, sorted), read consistently."""
    for _ in range(5):
        version = store.version(max_age_s=0)
        quads = [q for q in store.dump() if _graph(q) in CONTENT_GRAPHS]
        if store.version(max_age_s=0) == version:
            return version, sorted(quads, key=str)
    raise ReleaseError("the store kept changing while the release was read; try again")


def _graph(quad: ox.Quad) -> str:
    return "" if isinstance(quad.graph_name, ox.DefaultGraph) else quad.graph_name.value


def release_graph(root: Path, version: str) -> Graph:
    """The triples of a release (its graphs merged), for comparing releases."""
    path, _ = release_file(root, version, "release.nq.gz")
    quads = ox.parse(gzip.decompress(path.read_bytes()), format=ox.RdfFormat.N_QUADS)
    return union_graph(quads)


def diff_releases(root: Path, old: str, new: str) -> TermDiff:
    return compare(release_graph(root, old), release_graph(root, new), old, new)


# -- writing ---------------------------------------------------------------------------------


def _void(version: str, issued: str, dataset_version: str, previous: str | None, quads) -> str:
    """The release's VoID description, with IRIs relative to where it is served
    (``/releases/<version>/void.ttl``)."""
    triples = {(q.subject, q.predicate, q.object) for q in quads}
    lines = [
        "@prefix void: <http://rdfs.org/ns/void#> .",
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        f"@prefix hk: <{HK}> .",
        "",
        "<#dataset> a void:Dataset ;",
        f"    dcterms:title {ox.Literal(f'hairkg release {version}', language='en')} ;",
        f"    dcterms:identifier {ox.Literal(version)} ;",
        f'    dcterms:issued "{issued}"^^xsd:dateTime ;',
        f"    hk:datasetVersion {ox.Literal(dataset_version)} ;",
        "    dcterms:license <https://creativecommons.org/licenses/by/4.0/> ;",
        "    dcterms:isVersionOf <../../.well-known/void#hairkg> ;",
        "    void:dataDump <release.nq.gz>, <release.ttl.gz> ;",
        "    void:feature <http://www.w3.org/ns/formats/N-Quads>, "
        "<http://www.w3.org/ns/formats/Turtle> ;",
        f'    void:triples "{len(triples)}"^^xsd:integer ;',
        f'    void:distinctSubjects "{len({t[0] for t in triples})}"^^xsd:integer ;',
        "    dcterms:description <changelog.md> ;",
    ]
    if previous:
        lines.append(f"    dcterms:replaces <../{previous}/void.ttl#dataset> ;")
    lines.append(f"    void:vocabulary <{ONTOLOGY_IRI}> .")
    return "\n".join(lines) + "\n"


def _turtle(quads: list[ox.Quad]) -> bytes:
    triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=dict(PREFIXES))


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a+b") as handle:
        if not flock_exclusive(handle, 120.0):
            raise ReleaseError("another release is being made; try again shortly")
        try:
            yield
        finally:
            unlock(handle)


def create_release(
    store: SparqlStore,
    root: Path,
    *,
    version: str | None = None,
    author: str = "",
    now: datetime | None = None,
) -> dict:
    """Writes a new release of the live graph into ``root`` and returns its manifest."""
    now = now or datetime.now(UTC)
    today = now.date()
    if version is not None:
        check_version(version, today)
    with _locked(root):
        existing = versions(root)
        version = version or next_version(existing, today)
        if (root / version).exists():
            raise ReleaseExists(f"release {version} exists already; a release is never rewritten")
        older = [v for v in existing if version_key(v) < version_key(version)]
        previous = older[-1] if older else None
        dataset_version, quads = content_quads(store)
        issued = now.isoformat(timespec="seconds").replace("+00:00", "Z")
        old_graph = release_graph(root, previous) if previous else Graph()
        changelog = compare(old_graph, union_graph(quads), previous or "(none)", version)
        contents = {
            "release.nq.gz": gzip.compress(
                ox.serialize(quads, format=ox.RdfFormat.N_QUADS), mtime=0
            ),
            "release.ttl.gz": gzip.compress(_turtle(quads), mtime=0),
            "void.ttl": _void(version, issued, dataset_version, previous, quads).encode(),
            "changelog.json": changelog.to_json().encode(),
            "changelog.md": changelog.to_markdown().encode(),
        }
        body = {
            "version": version,
            "issued": issued,
            "author": author,
            "datasetVersion": dataset_version,
            "previous": previous,
            "quads": len(quads),
            "changes": changelog.to_dict()["summary"],
            "files": [
                {
                    "name": name,
                    "mediaType": FILES[name][0],
                    "contains": FILES[name][1],
                    "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
                for name, data in contents.items()
            ],
        }
        contents[MANIFEST] = (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode()
        scratch = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=root))
        try:
            for name, data in contents.items():
                (scratch / name).write_bytes(data)
                os.chmod(scratch / name, 0o444)
            os.rename(scratch, root / version)  # atomic: the release appears whole
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
    return body


__all__ = [
    "FILES",
    "ReleaseError",
    "ReleaseExists",
    "ReleaseNotFound",
    "create_release",
    "diff_releases",
    "manifest",
    "release_file",
    "versions",
]
