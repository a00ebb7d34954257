"""The load test (scripts/loadtest.py) in short: 10 seconds of mixed load (SPARQL queries,
search, entity cards, related content, authenticated writes, a query running into the time
limit) on a server of its own. No timing is asserted: the requirements are zero 5xx, every
request answered, and exact write accounting (every acknowledged write found once, nothing
found that was refused). The 60-second run and its figures are in docs/reliability.md.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT


@pytest.mark.slow
def test_ten_seconds_of_mixed_load(tmp_path, release_dir):
    figures = tmp_path / "load.json"
    result = subprocess.run(
        [
            sys.executable,
            "scripts/loadtest.py",
            "--duration", "10",
            "--clients", "4",
            "--writers", "2",
            "--validation", "shapes",
            "--slow-query-timeout", "3",
            "--max-read-gap", "1000",
            "--data-dir", str(tmp_path / "data"),
            "--release-dir", str(release_dir),
            "--json", str(figures),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(figures.read_text())
    assert data["server_errors_5xx"] == 0 and data["failed_connections"] == 0
    writes = data["writes"]
    assert writes["acknowledged"] > 0
    assert writes["found"] == writes["acknowledged"]
    assert writes["lost"] == [] and writes["duplicated"] == []
    assert writes["missing_from_history"] == [] and writes["found_but_not_acknowledged"] == []
    assert {"sparql", "search", "entity", "related", "write", "slow query"} <= set(data["kinds"])
    assert set(data["kinds"]["slow query"]["statuses"]) == {"503 time limit"}
