"""The file workflow: canonical files, export --to-files, hairkg load, templates, diff and
the ontology documentation, against real Oxigraph servers and a real `hairkg serve`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT, server_fixture
from helpers import wait_until

from kb.rdf import KB_GRAPH
from kb.store.client import SparqlStore
from kb.store.managed import ManagedOxigraph

pytestmark = pytest.mark.slow  # dealt first under xdist (tests/conftest.py)

HAIRKG = [sys.executable, "-m", "api.cli"]
SHIPPED = [ROOT / "ontology" / "hairkg.ttl", *sorted((ROOT / "kb" / "data").glob("*.ttl"))]
ADMIN, WRITER = "adm1n-secret", "wr1ter-secret"


def hairkg(*args: str, check: bool = False, timeout: float = 300) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [*HAIRKG, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and run.returncode != 0:
        raise AssertionError(f"hairkg {' '.join(args)}: {run.returncode}\n{run.stderr}")
    return run


def copy_tree(dest: Path) -> Path:
    """A checkout-like tree with the shipped ontology, shapes and data."""
    (dest / "ontology").mkdir(parents=True)
    shutil.copy(ROOT / "ontology" / "hairkg.ttl", dest / "ontology")
    shutil.copy(ROOT / "ontology" / "shapes.ttl", dest / "ontology")
    shutil.copytree(ROOT / "kb" / "data", dest / "kb" / "data")
    return dest


def git_diff(a: Path, b: Path) -> str:
    run = subprocess.run(
        ["git", "diff", "--no-index", "--no-color", "-U0", str(a), str(b)],
        capture_output=True,
        text=True,
        check=False,
    )
    return run.stdout


def changed_lines(diff: str) -> list[str]:
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


# --- canonical files -------------------------------------------------------------------------


def test_shipped_files_are_canonical():
    """The writer, run on the shipped files, gives the shipped files back byte for byte."""
    from kb.files.sources import load_asserted
    from kb.files.writing import render_files
    from kb.rdf import ONTOLOGY_GRAPH

    ds = load_asserted()
    texts = render_files(ds.graph(ONTOLOGY_GRAPH), ds.graph(KB_GRAPH), ROOT)
    assert sorted(texts) == sorted(p.relative_to(ROOT).as_posix() for p in SHIPPED)
    for rel, text in texts.items():
        assert (ROOT / rel).read_text(encoding="utf-8") == text, rel


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory):
    server = ManagedOxigraph(tmp_path_factory.mktemp("ox") / "store", timeout_cap_s=60)
    server.start()
    yield server
    server.stop()


def test_export_round_trip_files_store_files_is_byte_identical(oxigraph, tmp_path):
    run = hairkg("load", "--store-url", oxigraph.url, "-q", check=True)
    assert "loaded: +" in run.stdout
    out = tmp_path / "out"
    hairkg("export", "--to-files", "--store-url", oxigraph.url, "--root", str(out), check=True)
    written = sorted(p.relative_to(out) for p in out.rglob("*.ttl"))
    assert written == sorted(p.relative_to(ROOT) for p in SHIPPED)
    for path in SHIPPED:
        assert (out / path.relative_to(ROOT)).read_bytes() == path.read_bytes(), path.name
    # loading the same files again changes nothing
    again = hairkg("load", "--store-url", oxigraph.url, "-q", check=True)
    assert "already up to date" in again.stdout


def test_a_misplaced_subject_is_a_validation_warning(tmp_path):
    tree = copy_tree(tmp_path / "tree")
    conditions = tree / "kb" / "data" / "conditions.ttl"
    text = conditions.read_text()
    start = text.index("kb:benign-prostatic-hyperplasia a ")
    end = text.index(" .\n", start) + 3
    block = text[start:end]
    conditions.write_text(text[:start] + text[end:])
    treatments = tree / "kb" / "data" / "treatments.ttl"
    treatments.write_text(treatments.read_text() + "\n" + block)
    run = hairkg("validate", str(tree), "--no-reason", "--format", "json")
    report = json.loads(run.stdout)
    misplaced = [f for f in report["findings"] if f["rule"] == "misplaced_subject"]
    assert len(misplaced) == 1 and misplaced[0]["severity"] == "warning"
    assert misplaced[0]["path"].endswith("kb/data/treatments.ttl")
    assert "kb/data/conditions.ttl" in misplaced[0]["message"]
    assert run.returncode == 0  # warnings do not fail


# --- a live server: SPARQL Update -> export, load, reload -----------------------------------


# A `hairkg serve` of our own (tests here write to it), with an admin and a write token.
live = server_fixture("live", env={"HAIRKG_TOKENS": f"ops:{ADMIN}:admin,ed:{WRITER}:write"})


def managed_store(live) -> SparqlStore:
    info = json.loads((live.data_dir / "server.json").read_text())
    return SparqlStore.for_server(info["store_url"], timeout_s=60)


COUNT_AND_MARKER = (
    "SELECT ?n ?m WHERE { { SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } "
    # every load adds a history record: count the data, not the bookkeeping
    "FILTER(?g != <https://w3id.org/hairkg/graph/history>) } } "
    "BIND(EXISTS { GRAPH <https://w3id.org/hairkg/graph/kb> { "
    "<https://w3id.org/hairkg/id/alopecia> <http://www.w3.org/2004/02/skos/core#altLabel> "
    '"load marker"@en } } AS ?m) }'
)


def count_and_marker(store: SparqlStore) -> tuple[int, bool]:
    row = store.select(COUNT_AND_MARKER)[0]
    return int(row["n"].value), row["m"].value == "true"


def test_server_records_its_store_for_hairkg_load(live):
    assert managed_store(live).ping()


def reasoner_runs(data_dir: Path) -> int:
    """Runs the server's reasoner process has logged (kb.validation.shared_reasoner.process)."""
    log = data_dir / "reasoner.log"
    return log.read_text(errors="replace").count("run for pid") if log.exists() else 0


def test_a_load_on_a_running_server_reasons_on_its_warm_reasoner(live):
    before = reasoner_runs(live.data_dir)
    run = hairkg("load", "--data-dir", str(live.data_dir), check=True)
    assert "running server's reasoner process" in run.stderr, run.stderr
    assert reasoner_runs(live.data_dir) == before + 1  # the load's one HermiT run
    # (a server that is gone, and the fallback: tests/unit/test_reasoner_process.py)


def test_sparql_update_then_export_is_a_minimal_diff(live, tmp_path):
    store = managed_store(live)
    store.update(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "PREFIX kb: <https://w3id.org/hairkg/id/>\n"
        "INSERT DATA { GRAPH <https://w3id.org/hairkg/graph/kb> { "
        'kb:alopecia-areata skos:scopeNote "Added through SPARQL Update."@en } }'
    )
    try:
        out = tmp_path / "out"
        run = hairkg("export", "--to-files", "--data-dir", str(live.data_dir), "--root", str(out))
        assert run.returncode == 0, run.stderr
        diffs = {p.name: git_diff(p, out / p.relative_to(ROOT)) for p in SHIPPED}
        assert [name for name, d in diffs.items() if d] == ["conditions.ttl"]
        lines = changed_lines(diffs["conditions.ttl"])
        assert lines == [
            '-    skos:scopeNote "Its exact mechanism is not fully understood; it is believed '
            'to be related to the immune system, stress and genetics."@en .',
            '+    skos:scopeNote "Added through SPARQL Update."@en ,',
            '+        "Its exact mechanism is not fully understood; it is believed to be related '
            'to the immune system, stress and genetics."@en .',
        ]
    finally:
        store.update(
            "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
            "PREFIX kb: <https://w3id.org/hairkg/id/>\n"
            "DELETE DATA { GRAPH <https://w3id.org/hairkg/graph/kb> { "
            'kb:alopecia-areata skos:scopeNote "Added through SPARQL Update."@en } }'
        )


def test_load_is_atomic_for_concurrent_readers(live, tmp_path):
    store = managed_store(live)
    hairkg("load", "--data-dir", str(live.data_dir), "-q", check=True)  # same baseline
    before = count_and_marker(store)
    assert before[1] is False
    # a new version of the files: 150 new conditions and the marker
    tree = copy_tree(tmp_path / "tree")
    extra = ["", 'kb:alopecia skos:altLabel "load marker"@en .']
    for i in range(150):
        extra.append(
            f"kb:test-condition-{i} a owl:NamedIndividual , hk:Condition ;\n"
            f'    rdfs:label "test condition {i}"@en ;\n'
            f'    skos:prefLabel "test condition {i}"@en ;\n'
            f'    obo:IAO_0000115 "A condition made up for load test number {i}."@en ;\n'
            '    obo:IAO_0000119 "hairkg test" .'
        )
    conditions = tree / "kb" / "data" / "conditions.ttl"
    conditions.write_text(conditions.read_text() + "\n".join(extra) + "\n")

    seen: set[tuple[int, bool]] = set()
    stop = threading.Event()
    errors: list[Exception] = []

    def read() -> None:
        reader = SparqlStore.for_server(store.query_url.rsplit("/", 1)[0], timeout_s=30)
        deadline = time.monotonic() + 120
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                seen.add(count_and_marker(reader))
            except Exception as error:  # reported below
                errors.append(error)
                return

    thread = threading.Thread(target=read)
    thread.start()
    try:
        run = hairkg("load", "--data-dir", str(live.data_dir), "--root", str(tree))
        assert run.returncode == 0, run.stderr
        after = count_and_marker(store)
        wait_until(lambda: after in seen or errors, 30, 0.05, "the reader seeing the new graph")
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert after[1] is True and after[0] > before[0] + 150 * 5
    assert seen <= {before, after}, f"a reader saw a partial graph: {seen - {before, after}}"
    assert after in seen
    # the service noticed the new version: the new term has its page
    wait_until(
        lambda: live.get("/id/test-condition-7", headers={"Accept": "text/html"})[0] == 200,
        10,
        0.3,
        "the new term's page",
    )
    # and back to the shipped files
    hairkg("load", "--data-dir", str(live.data_dir), "-q", check=True)
    assert count_and_marker(store) == before


def test_a_load_that_fails_validation_changes_nothing(live, tmp_path):
    store = managed_store(live)
    hairkg("load", "--data-dir", str(live.data_dir), "-q", check=True)
    version, state = store.version(max_age_s=0), count_and_marker(store)
    tree = copy_tree(tmp_path / "tree")
    treatments = tree / "kb" / "data" / "treatments.ttl"
    treatments.write_text(
        treatments.read_text() + "\nkb:new-thing a owl:NamedIndividual , hk:Drug ;\n"
        '    rdfs:label "new thing"@en ;\n    skos:prefLabel "new thing"@en ;\n'
        "    hk:treats kb:no-such-condition .\n"
    )
    run = hairkg("load", "--data-dir", str(live.data_dir), "--root", str(tree))
    assert run.returncode == 1
    assert "dangling_reference" in run.stderr and "the store is unchanged" in run.stderr
    assert store.version(max_age_s=0) == version and count_and_marker(store) == state
    # a syntax error too
    treatments.write_text("kb:broken a ;\n")
    run = hairkg("load", "--data-dir", str(live.data_dir), "--root", str(tree))
    assert run.returncode == 1 and "treatments.ttl:1:" in run.stderr
    assert store.version(max_age_s=0) == version


def test_reload_endpoint_needs_an_admin_token(live):
    def post(token: str | None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            live.url + "/admin/reload", data=b"{}", headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=300) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    assert post(None)[0] == 401
    assert post(WRITER)[0] == 403
    status, body = post(ADMIN)
    assert status == 200 and body["changed"] is False
    run = hairkg("load", "--server", live.url, "--token", ADMIN, check=True)
    assert "up to date" in run.stdout or "no triple changed" in run.stdout
    run = hairkg("load", "--server", live.url, "--token", WRITER)
    assert run.returncode == 1 and "403" in run.stderr


# --- loads go through the write gate: lock, history, guard -----------------------------------


def history_items(live) -> list[dict]:
    status, _, body = live.get("/api/v1/history?limit=200")
    assert status == 200
    return json.loads(body)["items"]


def test_loads_and_reloads_are_recorded_in_the_history(live, tmp_path):
    import getpass

    hairkg("load", "--data-dir", str(live.data_dir), "-q", check=True)  # the shipped files
    tree = copy_tree(tmp_path / "tree")
    conditions = tree / "kb" / "data" / "conditions.ttl"
    conditions.write_text(
        conditions.read_text() + '\nkb:alopecia skos:altLabel "history marker"@en .\n'
    )
    seen = {item["id"] for item in history_items(live)}
    run = hairkg(
        "load",
        "--data-dir",
        str(live.data_dir),
        "--root",
        str(tree),
        "-m",
        "add a marker",
        "--format",
        "json",
        check=True,
    )
    answer = json.loads(run.stdout)
    assert answer["changed"] and answer["added"] == 1 and answer["removed"] == 0
    new = [item for item in history_items(live) if item["id"] not in seen]
    assert [(i["author"], i["message"], i["added"], i["removed"]) for i in new] == [
        (f"cli:{getpass.getuser()}", "add a marker", 1, 0)
    ]
    assert new[0]["id"] == answer["change"]
    status, _, body = live.get(f"/api/v1/history/{answer['change']}")
    assert status == 200
    assert json.loads(body)["triplesAdded"] == [
        "<https://w3id.org/hairkg/id/alopecia> <http://www.w3.org/2004/02/skos/core#altLabel> "
        '"history marker"@en <https://w3id.org/hairkg/graph/kb> .'
    ]
    # POST /admin/reload (back to the service's own files) is recorded under the token's name
    request = urllib.request.Request(
        live.url + "/admin/reload",
        data=json.dumps({"message": "back to the shipped files"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {ADMIN}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        reloaded = json.loads(response.read())
    assert reloaded["changed"] and reloaded["removed"] == 1
    latest = history_items(live)[0]
    assert (latest["id"], latest["author"], latest["message"], latest["removed"]) == (
        reloaded["change"],
        "ops",
        "back to the shipped files",
        1,
    )
    assert not count_and_marker(managed_store(live))[1]


def test_a_load_waits_for_the_editors_write_lock(live, tmp_path):
    import fcntl
    import os

    store = managed_store(live)
    hairkg("load", "--data-dir", str(live.data_dir), "-q", check=True)
    version = store.version(max_age_s=0)
    tree = copy_tree(tmp_path / "tree")
    conditions = tree / "kb" / "data" / "conditions.ttl"
    conditions.write_text(conditions.read_text() + '\nkb:alopecia skos:altLabel "locked"@en .\n')
    with (live.data_dir / "write.lock").open("a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # an editor's write in progress
        run = subprocess.run(
            [*HAIRKG, "load", "--data-dir", str(live.data_dir), "--root", str(tree), "-q"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "HAIRKG_WRITE_LOCK_TIMEOUT_S": "1"},
            check=False,
        )
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    assert run.returncode == 1 and "another write is in progress" in run.stderr, run.stderr
    assert store.version(max_age_s=0) == version


def test_a_commit_changes_nothing_when_the_store_changed_meanwhile(oxigraph):
    from kb.validation.release import load_asserted_quads
    from kb.writes.files import graph_triples
    from kb.writes.update_text import commit_update

    store = oxigraph.store()
    hairkg("load", "--store-url", oxigraph.url, "-q", check=True)
    before = store.version(max_age_s=0)
    current = graph_triples(store, str(KB_GRAPH))
    kb = [q for q in load_asserted_quads() if q.graph_name.value == str(KB_GRAPH)]
    removed = [q for q in kb if not isinstance(q.subject, ox.BlankNode)][:10]
    update = commit_update(before, "next", [], removed, set(kb) - set(removed), [], None, [])
    store.update(store.set_version_update("someone-else"))  # a concurrent writer
    store.update(update)  # guarded: matches nothing
    assert store.version(max_age_s=0) == "someone-else"
    assert len(graph_triples(store, str(KB_GRAPH))) == len(current)


# --- templates ---------------------------------------------------------------------------------


def write_tsv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_template_bad_header_names_file_line_column(tmp_path):
    tsv = write_tsv(
        tmp_path / "bad.tsv",
        [["# a comment"], ["id", "label", "colour", "treats"], ["kb:x", "x", "red", ""]],
    )
    run = hairkg("template", str(tsv))
    assert run.returncode == 1
    assert f"{tsv}:2:3: unknown column 'colour'" in run.stderr


def test_template_unknown_parent_is_a_validation_error(tmp_path):
    tree = copy_tree(tmp_path / "tree")
    tsv = write_tsv(
        tmp_path / "t.tsv",
        [
            ["id", "type", "label", "parent", "definition", "definition source"],
            [
                "kb:scalp-thing",
                "HairLossDisorder",
                "scalp thing",
                "kb:no-such-parent",
                "An alopecia used to test templates.",
                "hairkg test",
            ],
        ],
    )
    run = hairkg("template", str(tsv), "--root", str(tree), "--no-reason")
    assert run.returncode == 1
    assert "dangling_reference" in run.stdout and "no-such-parent" in run.stdout
    assert f"{tsv}:2:" in run.stdout  # the finding points at the template row
    assert not git_diff(ROOT / "kb" / "data", tree / "kb" / "data")


def test_template_write_merges_into_the_files_of_their_kind(tmp_path):
    """A row's clinical links come with their claims (the claim columns), each term and claim
    merged into the file of its kind."""
    tree = copy_tree(tmp_path / "tree")
    header = [
        "id",
        "type",
        "label",
        "definition",
        "definition source",
        "exact synonyms",
        "treats",
        "has adverse effect",
        "acts through",
        "claim stated in",
        "claim evidence level",
        "claim certainty",
        "claim note",
    ]
    row = [
        "red-light-helmet-therapy",
        "hk:Procedure",
        "red light helmet therapy",
        "A procedure in which the scalp is exposed to red light of low power from a helmet to "
        "stimulate hair follicles.",
        "hairkg test",
        "light helmet",
        "kb:androgenetic-alopecia",
        "",
        "kb:anagen",
        "kb:microneedling-for-hair-loss-section-further-reading",
        "kb:evidence-level-no-study-cited",
        "very low",
        "A test row: no study.",
    ]
    tsv = write_tsv(tmp_path / "t.tsv", [header, row])
    run = hairkg("template", str(tsv), "--root", str(tree), "--write", "--no-reason")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "wrote kb/data/treatments.ttl" in run.stdout
    diffs = {p.name: git_diff(p, tree / p.relative_to(ROOT)) for p in SHIPPED}
    assert sorted(name for name, d in diffs.items() if d) == ["claims.ttl", "treatments.ttl"]
    added = changed_lines(diffs["treatments.ttl"])
    assert all(line.startswith("+") for line in added)
    text = "\n".join(added)
    assert "kb:red-light-helmet-therapy a hk:Procedure , owl:NamedIndividual ;" in text
    assert 'oboInOwl:hasExactSynonym "light helmet"@en ;' in text
    assert "hk:treats kb:androgenetic-alopecia" in text and "hk:actsThrough kb:anagen" in text
    claims = "\n".join(changed_lines(diffs["claims.ttl"]))
    for claim in (
        "kb:claim-red-light-helmet-therapy-treats-androgenetic-alopecia",
        "kb:claim-red-light-helmet-therapy-acts-through-anagen",
    ):
        assert f"{claim} a hk:Claim" in claims
    assert "hk:certainty hk:VeryLowCertainty" in claims
    run = hairkg("validate", str(tree), "--no-reason")
    assert run.returncode == 0, run.stdout


def test_template_clinical_link_without_its_claim_is_refused_at_its_row(tmp_path):
    tree = copy_tree(tmp_path / "tree")
    header = ["id", "type", "label", "definition", "definition source", "treats"]
    row = [
        "red-light-helmet-therapy",
        "hk:Procedure",
        "red light helmet therapy",
        "A procedure in which the scalp is exposed to red light of low power from a helmet.",
        "hairkg test",
        "kb:androgenetic-alopecia",
    ]
    tsv = write_tsv(tmp_path / "t.tsv", [header, row])
    run = hairkg("template", str(tsv), "--root", str(tree), "--write", "--no-reason")
    assert run.returncode == 1
    assert f"{tsv}:2: error" in run.stdout
    assert "without a supported claim" in run.stdout and "hk:treats" in run.stdout
    assert all(not git_diff(p, tree / p.relative_to(ROOT)) for p in SHIPPED)


def test_shipped_example_template_is_valid_and_not_loaded():
    from kb.files.sources import source_files

    example = ROOT / "kb" / "templates" / "example-conditions.tsv"
    assert example not in {f.path for f in source_files()}
    run = hairkg("template", str(example), "--no-reason")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "kb:anagen-effluvium a hk:HairLossDisorder" in run.stdout
    assert "kb:alopecia-totalis" in run.stdout


# --- diff --------------------------------------------------------------------------------------


def test_diff_on_a_fixture_pair():
    fixtures = ROOT / "tests" / "fixtures" / "diff"
    run = hairkg("diff", str(fixtures / "old.ttl"), str(fixtures / "new.ttl"), "--format", "json")
    assert run.returncode == 0, run.stderr
    diff = json.loads(run.stdout)
    assert diff["summary"] == {"added": 1, "removed": 1, "changed": 2, "deprecated": 1}
    assert [t["curie"] for t in diff["added"]] == ["kb:telogen-effluvium"]
    assert [t["curie"] for t in diff["removed"]] == ["kb:baldness"]
    (deprecated,) = diff["deprecated"]
    assert deprecated["curie"] == "kb:hair-tonic" and deprecated["replacedBy"] == [
        "kb:microneedling"
    ]
    changed = {t["curie"]: t for t in diff["changed"]}
    assert changed["kb:alopecia"]["oldDefinition"] == "Loss of hair."
    assert changed["kb:microneedling"]["addedAxioms"] == ["hk:treats kb:telogen-effluvium"]
    md = hairkg(
        "diff", str(fixtures / "old.ttl"), str(fixtures / "new.ttl"), "--format", "markdown"
    ).stdout
    assert "### Deprecated" in md and "**telogen effluvium** `kb:telogen-effluvium`" in md
    text = hairkg("diff", str(fixtures / "old.ttl"), str(fixtures / "new.ttl")).stdout
    assert "added (1):" in text and 'kb:baldness "baldness"' in text


def test_diff_against_a_git_revision_of_the_same_files():
    run = hairkg("diff", "git:HEAD", str(ROOT), "--format", "json")
    if run.returncode != 0 and "not a git repository" in run.stderr:
        pytest.skip("not a git checkout")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["summary"]["added"] >= 0
    bad = hairkg("diff", "git:no-such-revision", str(ROOT))
    assert bad.returncode == 2 and "git:no-such-revision" in bad.stderr


# --- ontology documentation ------------------------------------------------------------------


def test_ontology_page_has_diagrams_and_definitions(server):
    status, _headers, body = server.get("/ontology", headers={"Accept": "text/html"})
    assert status == 200
    html = body.decode()
    assert html.count('class="diagram"') == 2
    assert "A health state of the body" in html  # hk:Condition's definition
    assert ">treats<" in html  # an edge label of the links diagram


@pytest.mark.browser
def test_ontology_page_in_a_browser(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    if hasattr(browser, "get_log"):
        browser.get_log("browser")  # drop what earlier tests' pages logged (a shared browser)
    browser.get(server.url + "/ontology")
    condition = browser.find_element(By.ID, "Condition")
    assert "A health state of the body" in condition.text
    diagrams = browser.find_elements(By.CSS_SELECTOR, "figure svg.diagram")
    assert len(diagrams) == 2
    for svg in diagrams:
        assert svg.size["width"] > 200 and svg.size["height"] > 50
    hierarchy = browser.find_element(By.ID, "class-hierarchy-diagram")
    assert "hair loss disorder" in hierarchy.text
    links = browser.find_element(By.ID, "class-links-diagram")
    assert "treats" in links.text
    errors = (
        [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
        if hasattr(browser, "get_log")
        else []
    )
    assert not errors, errors
    browser.save_screenshot(str(tmp_path / "ontology.png"))
