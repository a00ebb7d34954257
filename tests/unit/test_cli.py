"""The real `hairkg` command, run as a subprocess, on a copy of the test fixture tree."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph

# rdflib's own N-Quads parser uses its deprecated Dataset API
# dealt first under xdist (tests/conftest.py: slow)
pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"), pytest.mark.slow]

FIXTURE = Path(__file__).parent.parent / "fixtures" / "mini"
VENV_SCRIPT = Path(sys.executable).parent / "hairkg"


@functools.cache
def _command() -> list[str]:
    """The installed script when it runs, else the module: probed at the first call (not at
    import, where every test process collecting this module would pay a `hairkg --help`)."""
    if VENV_SCRIPT.exists():
        probe = subprocess.run(
            [str(VENV_SCRIPT), "--help"], capture_output=True, text=True, timeout=60
        )
        if probe.returncode == 0:
            return [str(VENV_SCRIPT)]
    return [sys.executable, "-m", "kb.cli.main"]


def hairkg(*args: str, cwd: Path | None = None, stdin: str | None = None):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [*_command(), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        timeout=300,
        env=env,
    )


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("cli")
    return Path(shutil.copytree(FIXTURE, base / "tree"))


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    tree = Path(shutil.copytree(FIXTURE, tmp_path / "tree"))
    data = tree / "kb" / "data" / "treatments.ttl"
    text = data.read_text(encoding="utf-8")
    data.write_text(text.replace('"hair extensions"@en ;', '"hair extensions@en ;'), "utf-8")
    return tree


# --- help -------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["validate"], ["build"], ["query"], ["export"]])
def test_help_everywhere(command: list[str]) -> None:
    run = hairkg(*command, "--help")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: hairkg")
    assert "exit codes:" in run.stdout


def test_no_command_prints_help_and_fails() -> None:
    run = hairkg()
    assert run.returncode == 2
    assert "validate" in run.stderr + run.stdout


# --- validate ---------------------------------------------------------------------------


def test_validate_clean_tree(root: Path) -> None:
    run = hairkg("validate", str(root))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1].startswith("OK: 0 errors, 0 warnings")
    assert "owl:consistent" in run.stdout
    for step in ("parsing 3 files", "SHACL", "reasoning (HermiT)"):
        assert step in run.stderr


def test_validate_json(root: Path) -> None:
    run = hairkg("validate", "--format", "json", "--no-reason", "-q", str(root))
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["ok"] is True
    assert data["consistent"] is None  # --no-reason
    assert data["counts"]["error"] == 0
    assert run.stderr == ""


def test_validate_syntax_error_names_file_and_line(broken: Path) -> None:
    run = hairkg("validate", "tree", cwd=broken.parent)
    assert run.returncode == 1
    assert "tree/kb/data/treatments.ttl:16: error syntax:" in run.stdout
    assert "(column 37)" in run.stdout
    assert run.stdout.splitlines()[-1].startswith("FAILED: 1 error")


def test_validate_json_reports_errors(broken: Path) -> None:
    run = hairkg("validate", "--format", "json", str(broken))
    assert run.returncode == 1
    data = json.loads(run.stdout)
    assert data["ok"] is False
    [syntax] = [f for f in data["findings"] if f["rule"] == "syntax"]
    assert syntax["line"] == 16 and syntax["path"].endswith("kb/data/treatments.ttl")


def test_validate_warnings_do_not_fail(tmp_path: Path) -> None:
    tree = Path(shutil.copytree(FIXTURE, tmp_path / "tree"))
    data = tree / "kb" / "data" / "treatments.ttl"
    text = data.read_text(encoding="utf-8")
    data.write_text(text.replace("    hk:supportedBy kb:study-2013 .", "."), "utf-8")
    run = hairkg("validate", "--no-reason", str(tree))
    assert run.returncode == 0, run.stdout
    assert "warning claim_without_evidence" in run.stdout
    assert "[kb:claim-microneedling-treats-aga]" in run.stdout


def test_validate_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    run = hairkg("validate", str(tmp_path / "nope.ttl"))
    assert run.returncode == 2
    assert "nope.ttl: no such file or directory" in run.stderr


# --- build ------------------------------------------------------------------------------


def test_build_writes_a_deterministic_release(root: Path, tmp_path: Path) -> None:
    run = hairkg("build", "--root", str(root), "--out", str(tmp_path / "a"))
    assert run.returncode == 0, run.stderr
    assert "release: 147 triples (3 inferred)" in run.stdout
    assert "hk:HairLossTreatment" in run.stdout
    again = hairkg(
        "build", "-q", "--root", str(root), "--out", str(tmp_path / "b"), "--format", "json"
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert summary["inferred"] == 3
    assert summary["entities_per_class"]["hk:Procedure"] == 1
    for name in ("release.nq", "summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    lines = (tmp_path / "a" / "release.nq").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines)
    ds = Dataset()
    ds.parse(tmp_path / "a" / "release.nq", format="nquads")
    assert len(ds) == 147


def test_build_refuses_broken_data(broken: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = hairkg("build", "-q", "--root", str(broken), "--out", str(out))
    assert run.returncode == 1
    assert "tree/kb/data/treatments.ttl:16: error syntax:" in run.stderr
    assert "nothing built" in run.stderr
    assert not (out / "release.nq").exists()


# --- query ------------------------------------------------------------------------------

SELECT = "SELECT ?t ?c WHERE { ?c hk:treatedBy ?t } ORDER BY ?t"


def test_query_table(root: Path) -> None:
    run = hairkg("query", "--root", str(root), SELECT)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["t", "c"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["kb:microneedling", "kb:androgenetic-alopecia"]
    assert lines[-1] == "(1 row)"
    assert "reasoning (HermiT)" in run.stderr


def test_query_no_inferred_sees_only_asserted(root: Path) -> None:
    run = hairkg("query", "-q", "--no-inferred", "--root", str(root), SELECT)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "(0 rows)"


@pytest.mark.parametrize("fmt", ["json", "csv", "tsv"])
def test_query_machine_formats(root: Path, fmt: str) -> None:
    run = hairkg("query", "-q", "--root", str(root), "--format", fmt, SELECT)
    assert run.returncode == 0, run.stderr
    t = "https://w3id.org/hairkg/id/microneedling"
    if fmt == "json":
        data = json.loads(run.stdout)
        assert data["head"]["vars"] == ["t", "c"]
        assert data["results"]["bindings"][0]["t"]["value"] == t
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(run.stdout)))
        assert rows[0] == ["t", "c"] and rows[1][0] == t
    else:
        rows = [line.split("\t") for line in run.stdout.splitlines()]
        assert rows[0] == ["?t", "?c"] and rows[1][0] == f"<{t}>"


def test_query_from_file_construct_as_turtle_and_ntriples(root: Path, tmp_path: Path) -> None:
    rq = tmp_path / "inverse.rq"
    rq.write_text("CONSTRUCT { ?c hk:treatedBy ?t } WHERE { ?c hk:treatedBy ?t }\n", "utf-8")
    run = hairkg("query", "-q", "--root", str(root), "-f", str(rq), "--format", "ttl")
    assert run.returncode == 0, run.stderr
    assert "kb:androgenetic-alopecia hk:treatedBy kb:microneedling ." in run.stdout
    assert len(Graph().parse(data=run.stdout, format="turtle")) == 1
    run = hairkg("query", "-q", "--root", str(root), "-f", str(rq), "--format", "nt")
    assert run.stdout.strip() == (
        "<https://w3id.org/hairkg/id/androgenetic-alopecia> "
        "<https://w3id.org/hairkg/ontology#treatedBy> "
        "<https://w3id.org/hairkg/id/microneedling> ."
    )


def test_query_ask(root: Path) -> None:
    run = hairkg(
        "query", "-q", "--root", str(root), "ASK { kb:microneedling a hk:HairLossTreatment }"
    )
    assert run.returncode == 0 and run.stdout == "true\n"


def test_query_syntax_error(root: Path) -> None:
    run = hairkg("query", "--root", str(root), "SELECT * WHERE {\n  ?s ?p\n}")
    assert run.returncode == 2
    assert run.stderr.startswith("query:3:2: expected")
    assert run.stdout == ""


def test_query_errors_are_readable(root: Path) -> None:
    run = hairkg("query", "-q", "--root", str(root), "SELECT * WHERE { ?s a foo:X }")
    assert run.returncode == 2
    assert run.stderr.startswith("query:1:28: undeclared prefix 'foo:' (declared for you: hk:")
    run = hairkg("query", "-q", "--root", str(root), "SELECT * WHERE { ?s a hk:X")
    assert run.returncode == 2
    assert run.stderr.startswith('query:1:27: expected one of ",", ".", ";"')
    assert "\\u{" not in run.stderr and len(run.stderr.splitlines()) == 1


def test_query_wrong_format_for_kind(root: Path) -> None:
    run = hairkg("query", "-q", "--no-inferred", "--root", str(root), "--format", "ttl", SELECT)
    assert run.returncode == 2
    assert "CONSTRUCT" in run.stderr


# --- export -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["nt", "ttl", "nq", "jsonld"])
def test_export_formats(root: Path, fmt: str) -> None:
    run = hairkg("export", "-q", "--no-inferred", "--root", str(root), "--format", fmt)
    assert run.returncode == 0, run.stderr
    if fmt == "nq":
        ds = Dataset()
        ds.parse(data=run.stdout, format="nquads")
        assert len(ds) == 144
        assert "<https://w3id.org/hairkg/graph/kb> ." in run.stdout
    elif fmt == "jsonld":
        data = json.loads(run.stdout)
        assert {g["@id"] for g in data} == {
            "https://w3id.org/hairkg/graph/ontology",
            "https://w3id.org/hairkg/graph/kb",
        }
    else:
        g = Graph().parse(data=run.stdout, format="nt" if fmt == "nt" else "turtle")
        assert len(g) == 144
        if fmt == "nt":
            lines = run.stdout.splitlines()
            assert lines == sorted(lines)


def test_export_with_inferences_is_deterministic(root: Path) -> None:
    first = hairkg("export", "-q", "--root", str(root), "--format", "nq")
    second = hairkg("export", "-q", "--root", str(root), "--format", "nq")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert "<https://w3id.org/hairkg/graph/inferred> ." in first.stdout


def test_export_of_broken_data_names_file_and_line(broken: Path) -> None:
    run = hairkg("export", "-q", "--root", str(broken))
    assert run.returncode == 1
    assert "treatments.ttl:16:37:" in run.stderr


def test_load_and_history_agree_on_the_data_dir(monkeypatch, tmp_path):
    """Both open the store through kb.cli.common: --data-dir, else HAIRKG_DATA_DIR."""
    import argparse

    from kb.cli.common import data_dir_of

    monkeypatch.setenv("HAIRKG_DATA_DIR", str(tmp_path / "env"))
    assert data_dir_of(argparse.Namespace()) == tmp_path / "env"
    assert data_dir_of(argparse.Namespace(data_dir=tmp_path / "flag")) == tmp_path / "flag"
    env = {**os.environ, "HAIRKG_DATA_DIR": str(tmp_path / "env")}
    run = subprocess.run(
        [*_command(), "history"], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert run.returncode == 2 and f"no store in {tmp_path / 'env'}" in run.stderr
