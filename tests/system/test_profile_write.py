"""scripts/profile_write.py profiles real scoped writes against a running engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_profile_write_adds_articles_through_the_gate(release_store):
    server, store = release_store
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "profile_write.py"),
            "--store-url",
            server.url,
            "--about",
            "androgenetic-alopecia",
            "--mentions",
            "topical-minoxidil",
            "--runs",
            "2",
            "--validation",
            "shapes",
            "--top",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "run 2:" in done.stdout and "validated local" in done.stdout
    assert "cumulative" in done.stdout  # the profile of the last run
    rows = store.select(
        "SELECT DISTINCT ?a WHERE { ?a ?p ?o "
        'FILTER(STRSTARTS(STR(?a), "https://w3id.org/hairkg/id/profile-write-")) }'
    )
    assert len(rows) == 2
