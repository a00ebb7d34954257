"""The benchmark's quick mode (smallest graph, few iterations) still runs end to end and gives
well-formed results for every system. No timing is asserted: only shape and sanity."""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

SYSTEMS = ("hairkg", "hairkg-remote", "oxigraph", "rdflib-endpoint", "rdflib")
QUERIES = ("entity", "twojoin", "autocomplete", "aggregate", "related")


def _missing_extras() -> list[str]:
    missing = [m for m in ("psutil", "rdflib_endpoint") if importlib.util.find_spec(m) is None]
    if not (Path(sys.executable).parent / "rdflib-endpoint").exists():
        missing.append("rdflib-endpoint (command)")
    return missing


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory):
    missing = _missing_extras()
    if missing:
        pytest.skip(f"bench extras not installed ({', '.join(missing)}): pip install -e '.[bench]'")
    out = tmp_path_factory.mktemp("bench-out")
    work = tmp_path_factory.mktemp("bench-work")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "bench.py"),
            "--quick",
            "--sizes",
            "10k",
            "--out",
            str(out),
            "--work",
            str(work),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out, json.loads((out / "results.json").read_text())


def _number(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value >= 0


def test_every_system_has_well_formed_latency(quick_results):
    _out, results = quick_results
    size = results["sizes"]["10k"]
    assert size["data"]["triples"] > 5000
    assert size["data"]["articles"] > 100
    for name in SYSTEMS:
        system = size["systems"][name]
        assert "error" not in system, system.get("error")
        latency = system["latency"]
        for kind in QUERIES:
            keys = [k for k in latency if k.endswith(":" + kind)]
            assert keys, f"{name} has no {kind} latency"
            for key in keys:
                summary = latency[key]
                assert "skipped" not in summary, (name, key, summary)
                assert summary["n"] >= 1
                for q in ("p50_ms", "p95_ms", "p99_ms"):
                    assert _number(summary[q]), (name, key, q, summary)
                assert summary["p50_ms"] <= summary["p99_ms"] + 1e-9
        assert _number(system["load_s"])
        assert system["peak_rss"] > 0
        assert system["cold_start"] and all(
            _number(v) for start in system["cold_start"] for v in start.values()
        )


def test_hairkg_answers_match_the_exact_scoring_and_become_fresh(quick_results):
    _out, results = quick_results
    for name in ("hairkg", "hairkg-remote"):
        system = results["sizes"]["10k"]["systems"][name]
        for kind in ("entity", "twojoin", "autocomplete", "related"):
            assert f"api:{kind}" in system["latency"]
        check = system["related_check"]
        assert check["checked"] >= 1
        assert check["equal"], check["mismatches"]
        fresh = system["freshness"]
        assert fresh["runs"] and _number(fresh["first_s"]) and _number(fresh["stable_s"])
        assert {"healthz_s", "first_related_s"} <= set(system["cold_start"][0])


def test_throughput_rows_and_outputs(quick_results):
    out, results = quick_results
    systems = results["sizes"]["10k"]["systems"]
    if shutil.which("wrk"):
        assert systems["oxigraph"]["throughput"]["sparql:entity"]["rps"] > 0
        assert systems["hairkg"]["throughput"]["sparql:entity"]["rps"] > 0
        assert systems["hairkg"]["throughput"]["api:entity"]["rps"] > 0
        assert systems["hairkg"]["throughput"]["api:related"]["rps"] > 0
    for name in ("hairkg", "oxigraph"):
        assert systems[name]["disk_bytes"] > 0
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert {r["system"] for r in rows} == set(SYSTEMS)
    assert (out / "latency-vs-size.png").stat().st_size > 1000
    assert results["machine"]["cores"] >= 1
