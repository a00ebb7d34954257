"""The trusted-knowledge gate (issue 12): no clinical statement without its evidence.

The rules (ontology/shapes.ttl: ``hks:ClinicalStatementShape``, ``hks:ClaimShape``,
``hks:EvidenceLevelShape``):

1. a triple with a property marked ``hk:requiresClaim true`` (or with its ``owl:inverseOf``)
   needs a supported, not negated ``hk:Claim`` stating it, with ``hk:statedIn`` and
   ``hk:evidenceLevel``;
2. a triple whose claims are all disputed or corrected, or whose claim is negated, is never
   asserted;
3. every claim has exactly one evidence level and one certainty;
4. a claim's evidence level is not above that of its strongest study; a claim with no study
   has a level that is not study-based, one with a study has one that is;
5. the certainty is no higher than the evidence level allows;
6. a claim that is not supported has no ``hk:supportedBy``;
7. a corrected claim quotes its source.

Each rule is shown refused by both checks a write can get, in process: the whole-graph
validation (``kb.validate.validate_graph``: ``hairkg validate`` on files, and the write gate
for SPARQL Update, the Graph Store Protocol and loads) and the neighbourhood check of scoped
writes (``kb.validation.local.validate_change``: the JSON editor API), each with an error that
names the offending triple or claim. Then on a real ``hairkg serve``: SPARQL Update, the Graph
Store Protocol and the editor API answer 422 naming the triple and store nothing; and on
files, ``hairkg validate`` and ``hairkg load``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT, server_fixture
from helpers import call

from kb.rdf import INFERRED_GRAPH

pytestmark = pytest.mark.slow  # dealt first under xdist (tests/conftest.py)

KB = "https://w3id.org/hairkg/id/"
HK = "https://w3id.org/hairkg/ontology#"
KB_GRAPH = "https://w3id.org/hairkg/graph/kb"
PREFIXES = (
    "PREFIX hk: <https://w3id.org/hairkg/ontology#>\n"
    "PREFIX kb: <https://w3id.org/hairkg/id/>\n"
    "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
)


def insert(triples: str) -> str:
    return f"{PREFIXES}INSERT DATA {{ GRAPH <{KB_GRAPH}> {{ {triples} }} }}"


def replace(subject: str, predicate: str, new: str) -> str:
    """Replaces every value of ``subject predicate`` with ``new``."""
    return (
        f"{PREFIXES}WITH <{KB_GRAPH}> DELETE {{ {subject} {predicate} ?old }} "
        f"INSERT {{ {subject} {predicate} {new} }} "
        f"WHERE {{ OPTIONAL {{ {subject} {predicate} ?old }} }}"
    )


def delete_values(subject: str, predicate: str = "?p") -> str:
    pattern = f"{subject} {predicate} ?any"
    return f"{PREFIXES}WITH <{KB_GRAPH}> DELETE {{ {pattern} }} WHERE {{ {pattern} }}"


# --- one violating change per rule --------------------------------------------------------


@dataclass(frozen=True)
class Case:
    rule: str
    update: str  # a SPARQL Update on the shipped graph
    node: str  # the node the error is about
    says: str  # what its message says (the triple or the claim's problem)

    @property
    def id(self) -> str:
        return self.rule


CASES = [
    Case(
        "1 a clinical triple without any claim",
        insert("kb:microneedling hk:treats kb:alopecia-areata ."),
        "kb:microneedling",
        "The clinical statement kb:microneedling hk:treats kb:alopecia-areata is asserted "
        "without a supported claim",
    ),
    Case(
        "1 the claim behind an asserted triple deleted",
        delete_values("kb:claim-topical-minoxidil-treats-androgenetic-alopecia"),
        "kb:topical-minoxidil",
        "The clinical statement kb:topical-minoxidil hk:treats kb:androgenetic-alopecia is "
        "asserted without a supported claim",
    ),
    Case(
        "1 the claim behind an asserted triple no longer supported",
        f"{PREFIXES}WITH <{KB_GRAPH}> "
        "DELETE { ?c hk:claimStatus hk:Supported ; hk:supportedBy ?study } "
        'INSERT { ?c hk:claimStatus hk:Disputed ; hk:consistentWith ?study ; hk:caveat "test" } '
        "WHERE { BIND(kb:claim-topical-minoxidil-treats-androgenetic-alopecia AS ?c) "
        "?c hk:supportedBy ?study }",
        "kb:topical-minoxidil",
        "The clinical statement kb:topical-minoxidil hk:treats kb:androgenetic-alopecia is "
        "asserted without a supported claim",
    ),
    Case(
        # no other error: the claim now states a triple that is asserted, with a claim of its
        # own; only the triple it stated before is left without one
        "1 the claim behind an asserted triple re-pointed at another statement",
        replace(
            "kb:claim-oral-finasteride-treats-androgenetic-alopecia",
            "rdf:object",
            "kb:male-pattern-hair-loss",
        ),
        "kb:oral-finasteride",
        "The clinical statement kb:oral-finasteride hk:treats kb:androgenetic-alopecia is "
        "asserted without a supported claim",
    ),
    Case(
        "1 the claim behind an asserted triple says nowhere where it is stated",
        delete_values("kb:claim-oral-finasteride-treats-androgenetic-alopecia", "hk:statedIn"),
        "kb:oral-finasteride",
        "The clinical statement kb:oral-finasteride hk:treats kb:androgenetic-alopecia is "
        "asserted without a supported claim",
    ),
    Case(
        "1 a clinical triple through the inverse property",
        insert("kb:alopecia-areata hk:treatedBy kb:microneedling ."),
        "kb:alopecia-areata",
        "The statement kb:alopecia-areata hk:treatedBy kb:microneedling is the clinical "
        "statement kb:microneedling hk:treats kb:alopecia-areata written the other way round",
    ),
    Case(
        "2 the triple of a disputed claim asserted",
        insert("kb:microneedling hk:betterThan kb:topical-minoxidil ."),
        "kb:claim-microneedling-better-than-topical-minoxidil",
        "remove the asserted triple kb:microneedling hk:betterThan kb:topical-minoxidil",
    ),
    Case(
        "2 the triple of a corrected claim asserted",
        insert("kb:hair-follicle-bulge hk:locatedIn kb:hair-bulb ."),
        "kb:claim-hair-follicle-bulge-located-underneath-hair-follicle",
        "remove the asserted triple kb:hair-follicle-bulge hk:locatedIn kb:hair-bulb",
    ),
    Case(
        "2 the triple of a negated claim asserted",
        insert("kb:microneedling hk:reducesProductionOf kb:dihydrotestosterone ."),
        "kb:claim-microneedling-does-not-reduce-dihydrotestosterone-production",
        "so the triple kb:microneedling hk:reducesProductionOf kb:dihydrotestosterone must not "
        "be asserted",
    ),
    Case(
        "3 a claim with two evidence levels",
        insert(
            "kb:claim-oral-finasteride-treats-androgenetic-alopecia "
            "hk:evidenceLevel kb:evidence-level-controlled-clinical-study ."
        ),
        "kb:claim-oral-finasteride-treats-androgenetic-alopecia",
        "Every claim needs exactly one evidence level",
    ),
    Case(
        "3 a claim without a certainty",
        delete_values("kb:claim-oral-finasteride-treats-androgenetic-alopecia", "hk:certainty"),
        "kb:claim-oral-finasteride-treats-androgenetic-alopecia",
        "Every claim needs exactly one certainty grade",
    ),
    Case(
        "4 a claim at systematic-review level supported only by an animal study",
        replace(
            "kb:claim-microneedling-acts-through-canonical-wnt-signalling",
            "hk:evidenceLevel",
            "kb:evidence-level-systematic-review",
        ),
        "kb:claim-microneedling-acts-through-canonical-wnt-signalling",
        "The claim's evidence level kb:evidence-level-systematic-review is above that of its "
        "strongest study",
    ),
    Case(
        "4 a claim with no study at RCT level",
        replace(
            "kb:claim-ageing-risk-factor-for-alopecia",
            "hk:evidenceLevel",
            "kb:evidence-level-randomised-controlled-trial",
        ),
        "kb:claim-ageing-risk-factor-for-alopecia",
        "This claim cites no study, so its evidence level must say so: use "
        "kb:evidence-level-no-study-cited, not kb:evidence-level-randomised-controlled-trial",
    ),
    Case(
        "4 a claim with a study at the no-study level",
        replace(
            "kb:claim-microneedling-treats-androgenetic-alopecia",
            "hk:evidenceLevel",
            "kb:evidence-level-no-study-cited",
        ),
        "kb:claim-microneedling-treats-androgenetic-alopecia",
        "This claim cites a study, so its evidence level cannot be "
        "kb:evidence-level-no-study-cited",
    ),
    Case(
        "5 high certainty on a case report",
        replace(
            "kb:claim-microneedling-plus-triamcinolone-treats-alopecia-areata",
            "hk:certainty",
            "hk:HighCertainty",
        ),
        "kb:claim-microneedling-plus-triamcinolone-treats-alopecia-areata",
        "The certainty hk:HighCertainty is higher than its evidence level allows: "
        "kb:evidence-level-case-report gives at most hk:VeryLowCertainty",
    ),
    Case(
        "5 moderate certainty on an animal study",
        replace(
            "kb:claim-hair-follicle-stem-cells-located-in-bulge",
            "hk:certainty",
            "hk:ModerateCertainty",
        ),
        "kb:claim-hair-follicle-stem-cells-located-in-bulge",
        "The certainty hk:ModerateCertainty is higher than its evidence level allows: "
        "kb:evidence-level-animal-study gives at most hk:VeryLowCertainty",
    ),
    Case(
        "6 a disputed claim supported by a study",
        insert(
            "kb:claim-microneedling-better-than-topical-minoxidil hk:supportedBy kb:gupta-2022 ."
        ),
        "kb:claim-microneedling-better-than-topical-minoxidil",
        "record the study kb:gupta-2022 as hk:consistentWith",
    ),
    Case(
        "7 a corrected claim without its quote",
        delete_values("kb:claim-hair-follicle-bulge-located-underneath-hair-follicle", "hk:quote"),
        "kb:claim-hair-follicle-bulge-located-underneath-hair-follicle",
        "A corrected claim must quote what the source really says",
    ),
]

# The same triple with its supported claim, in one change: accepted everywhere.
SUPPORTED_CLAIM = """
    kb:microneedling hk:treats kb:alopecia-areata .
    kb:claim-trusted-knowledge-test a hk:Claim , owl:NamedIndividual ;
        rdfs:label "microneedling treats alopecia areata (write-path test)"@en ;
        rdf:subject kb:microneedling ; rdf:predicate hk:treats ; rdf:object kb:alopecia-areata ;
        hk:claimStatus hk:Supported ;
        hk:statedIn kb:microneedling-for-hair-loss-section-alopecia-areata ;
        hk:supportedBy kb:chandrashekar-2014 ;
        hk:evidenceLevel kb:evidence-level-case-report ;
        hk:certainty hk:VeryLowCertainty .
"""


def expand(name: str) -> str:
    prefix, _, local = name.partition(":")
    return {"kb": KB, "hk": HK}[prefix] + local


# --- in process: the whole graph and the neighbourhood ------------------------------------


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """The shipped asserted graphs (ontology and knowledge base), in a managed Oxigraph of this
    module's own (what the neighbourhood check reads) and as quads."""
    from kb.files.sources import load_asserted
    from kb.store.managed import ManagedOxigraph
    from kb.validation.release import dataset_quads

    quads = dataset_quads(load_asserted())
    engine = ManagedOxigraph(tmp_path_factory.mktemp("trusted-engine") / "store", timeout_cap_s=60)
    engine.start()
    try:
        store = engine.store(timeout_s=60)
        store.load_nquads(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
        yield store, quads
    finally:
        engine.stop()


def change(quads: list[ox.Quad], update: str) -> tuple[set, list, list]:
    """The update run on a copy of ``quads``: (quads after, added, removed)."""
    memory = ox.Store()
    memory.bulk_extend(quads)
    memory.update(update)
    before, after = set(quads), set(memory)
    added, removed = sorted(after - before, key=str), sorted(before - after, key=str)
    assert added or removed, "the update changed nothing: the case no longer applies"
    return after, added, removed


def whole_graph_errors(after: set) -> list:
    """What the write gate (SPARQL Update, Graph Store Protocol) and ``hairkg validate`` run:
    the whole candidate graph through ``kb.validate.validate_graph``."""
    from kb.validation.validate import validate_graph
    from kb.writes.compute import union_graph

    return validate_graph(union_graph(after), reason=False).errors


def local_errors(store, added: list, removed: list) -> list:
    """What a scoped write (the JSON editor API) runs: the change on its neighbourhood."""
    from kb.validation.local import validate_change

    result = validate_change(
        store, added, removed, reason=False, inferred_graph=str(INFERRED_GRAPH)
    )
    return result.report.errors


def naming(errors: list, case: Case) -> list:
    return [e for e in errors if e.node == expand(case.node) and case.says in e.message]


def test_the_shipped_graph_passes_the_gate(shipped):
    _store, quads = shipped
    errors = whole_graph_errors(set(quads))
    assert errors == []


def test_a_clinical_triple_with_its_supported_claim_passes_both_checks(shipped):
    store, quads = shipped
    after, added, removed = change(quads, insert(SUPPORTED_CLAIM))
    assert whole_graph_errors(after) == []
    assert local_errors(store, added, removed) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_violating_change_is_refused_by_the_whole_graph_check(shipped, case):
    _store, quads = shipped
    after, _added, _removed = change(quads, case.update)
    errors = whole_graph_errors(after)
    assert naming(errors, case), "\n".join(f"{e.node}: {e.message}" for e in errors)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_violating_change_is_refused_by_the_neighbourhood_check(shipped, case):
    store, quads = shipped
    _after, added, removed = change(quads, case.update)
    errors = local_errors(store, added, removed)
    assert naming(errors, case), "\n".join(f"{e.node}: {e.message}" for e in errors)


def test_a_changed_claim_puts_the_triple_it_states_in_focus(shipped):
    """kb/local_validation.py: the subject and object of the triple a changed claim states
    are focus nodes, so a claim edit is checked against that triple (the re-pointed claim
    above was accepted before); a harmless edit of the claim still passes."""
    from kb.validation.local import validate_change

    store, quads = shipped
    claim = "kb:claim-oral-finasteride-treats-androgenetic-alopecia"
    _after, added, removed = change(
        quads, replace(claim, "rdfs:label", '"finasteride tablets treat androgenetic alopecia"@en')
    )
    result = validate_change(store, added, removed, reason=False, inferred_graph="urn:x:inferred")
    assert result.report.errors == []
    assert {expand(claim), KB + "oral-finasteride", KB + "androgenetic-alopecia"} <= result.focus


def test_editing_a_claim_below_its_study_is_not_refused_on_its_neighbourhood(shipped, tmp_path):
    """kb/local_validation.py reads the evidence levels whole: a claim whose level is below
    that of its study (allowed) had its certainty edit refused on its neighbourhood ("level
    above that of its strongest study"): the study's level, two links from the claim, was not
    read, while the whole graph accepts the edit."""
    from kb.store.managed import ManagedOxigraph

    _store, quads = shipped
    claim = "kb:claim-oral-finasteride-treats-androgenetic-alopecia"  # an RCT supports it
    below, _, _ = change(
        quads, replace(claim, "hk:evidenceLevel", "kb:evidence-level-narrative-review")
    )
    below, _, _ = change(list(below), replace(claim, "hk:certainty", "hk:LowCertainty"))
    base = sorted(below, key=str)
    after, added, removed = change(base, replace(claim, "hk:certainty", "hk:VeryLowCertainty"))
    assert whole_graph_errors(after) == []
    engine = ManagedOxigraph(tmp_path / "store", timeout_cap_s=60)
    engine.start()
    try:
        store = engine.store(timeout_s=60)
        store.load_nquads(ox.serialize(base, format=ox.RdfFormat.N_QUADS))
        assert local_errors(store, added, removed) == []
    finally:
        engine.stop()


# --- every write path of a real server ------------------------------------------------------

TOKEN = "trusted-editor-secret"
EDITOR = {"Authorization": f"Bearer {TOKEN}"}
trusted = server_fixture(
    "trusted", env={"HAIRKG_TOKENS": f"editor:{TOKEN}:write", "HAIRKG_TOKENS_FILE": ""}
)
SERVICE_GRAPHS = {"https://w3id.org/hairkg/graph/meta", "https://w3id.org/hairkg/graph/history"}
GSP_KB = "/store?graph=" + urllib.parse.quote(KB_GRAPH, safe="")
TURTLE_PREFIXES = "".join(
    f"@prefix {line.split()[1]} {line.split()[2]} .\n" for line in PREFIXES.splitlines()
)


@dataclass(frozen=True)
class WriteCase:
    """One violating change, as each write path expresses it."""

    rule: str
    sparql: str  # SPARQL Update
    turtle: str | None  # Graph Store Protocol: Turtle POSTed into the KB graph
    entity: str  # editor API: PATCH this entity ...
    relations: dict  # ... with these values of these relations ...
    absent: str  # a graph pattern that must not be in the store after the refusal
    node: str
    says: str
    replaces: bool = False  # ... instead of the current values (default: besides them)


def _case(rule: str) -> Case:
    return next(c for c in CASES if c.rule == rule)


WRITE_CASES = {
    "clinical triple without claim": WriteCase(
        "1",
        insert("kb:microneedling hk:treats kb:alopecia-areata ."),
        "kb:microneedling hk:treats kb:alopecia-areata .",
        "microneedling",
        {"hk:treats": ["alopecia-areata"]},
        "kb:microneedling hk:treats kb:alopecia-areata",
        "kb:microneedling",
        _case("1 a clinical triple without any claim").says,
    ),
    "inverse triple without claim": WriteCase(
        "1",
        insert("kb:alopecia-areata hk:treatedBy kb:microneedling ."),
        "kb:alopecia-areata hk:treatedBy kb:microneedling .",
        "alopecia-areata",
        {"hk:treatedBy": ["microneedling"]},
        "kb:alopecia-areata hk:treatedBy kb:microneedling",
        "kb:alopecia-areata",
        _case("1 a clinical triple through the inverse property").says,
    ),
    "disputed claim asserted": WriteCase(
        "2",
        insert("kb:microneedling hk:betterThan kb:topical-minoxidil ."),
        "kb:microneedling hk:betterThan kb:topical-minoxidil .",
        "microneedling",
        {"hk:betterThan": ["topical-minoxidil"]},
        "kb:microneedling hk:betterThan kb:topical-minoxidil",
        "kb:claim-microneedling-better-than-topical-minoxidil",
        _case("2 the triple of a disputed claim asserted").says,
    ),
    "certainty above the level's ceiling": WriteCase(
        "5",
        _case("5 high certainty on a case report").update,
        # POST can only add: the claim then has two certainties, one above the ceiling
        "kb:claim-microneedling-plus-triamcinolone-treats-alopecia-areata "
        "hk:certainty hk:HighCertainty .",
        "claim-microneedling-plus-triamcinolone-treats-alopecia-areata",
        {"hk:certainty": ["hk:HighCertainty"]},
        "kb:claim-microneedling-plus-triamcinolone-treats-alopecia-areata "
        "hk:certainty hk:HighCertainty",
        "kb:claim-microneedling-plus-triamcinolone-treats-alopecia-areata",
        _case("5 high certainty on a case report").says,
        replaces=True,
    ),
    "claim re-pointed": WriteCase(
        "1",
        _case("1 the claim behind an asserted triple re-pointed at another statement").update,
        None,
        "claim-oral-finasteride-treats-androgenetic-alopecia",
        {"rdf:object": ["male-pattern-hair-loss"]},
        "kb:claim-oral-finasteride-treats-androgenetic-alopecia "
        "rdf:object kb:male-pattern-hair-loss",
        "kb:oral-finasteride",
        _case("1 the claim behind an asserted triple re-pointed at another statement").says,
        replaces=True,
    ),
}


def sparql_json(server, query: str) -> dict:
    status, _, body = call(
        server.url,
        "GET",
        "/sparql?" + urllib.parse.urlencode({"query": query}),
        headers={"Accept": "application/sparql-results+json"},
    )
    assert status == 200, body
    return json.loads(body)


def ask(server, pattern: str) -> bool:
    return sparql_json(server, f"{PREFIXES}ASK {{ {pattern} }}")["boolean"]


def state(server) -> tuple[list[str], set]:
    """(the history's change ids, every quad but the service's bookkeeping)."""
    status, _, body = call(server.url, "GET", "/api/v1/history?limit=200")
    assert status == 200, body
    ids = [item["id"] for item in json.loads(body)["items"]]
    rows = sparql_json(server, "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    quads = {
        (r["g"]["value"], json.dumps(r["s"]), r["p"]["value"], json.dumps(r["o"], sort_keys=True))
        for r in rows["results"]["bindings"]
        if r["g"]["value"] not in SERVICE_GRAPHS
    }
    return ids, quads


def write(server, path: str, case: WriteCase):
    """The violating change through one write path: (status, headers, body)."""
    if path == "sparql-update":
        return call(server.url, "POST", "/sparql", case.sparql, EDITOR, "application/sparql-update")
    if path == "gsp-post":
        body = TURTLE_PREFIXES + case.turtle + "\n"
        return call(server.url, "POST", GSP_KB, body, EDITOR, "text/turtle")
    if path == "gsp-put":  # the whole KB graph again, with the violating triple
        status, _, graph = call(server.url, "GET", GSP_KB, headers={"Accept": "text/turtle"})
        assert status == 200
        body = graph.decode() + "\n" + TURTLE_PREFIXES + case.turtle + "\n"
        return call(server.url, "PUT", GSP_KB, body, EDITOR, "text/turtle")
    assert path == "editor-patch"
    status, _, body = call(server.url, "GET", f"/api/v1/edit/entities/{case.entity}")
    assert status == 200, body
    current = json.loads(body)["relations"]
    relations = {
        p: values if case.replaces else sorted({*current.get(p, []), *values})
        for p, values in case.relations.items()
    }
    return call(
        server.url,
        "PATCH",
        f"/api/v1/edit/entities/{case.entity}",
        {"relations": relations},
        EDITOR,
    )


WRITES = [
    (name, path)
    for name, case in WRITE_CASES.items()
    for path in ("sparql-update", "gsp-post", "editor-patch")
    if path != "gsp-post" or case.turtle is not None
] + [("clinical triple without claim", "gsp-put")]


@pytest.mark.parametrize(("name", "path"), WRITES, ids=[f"{p}: {n}" for n, p in WRITES])
def test_a_violating_write_is_refused_with_422_and_nothing_is_stored(trusted, name, path):
    case = WRITE_CASES[name]
    before = state(trusted)
    assert not ask(trusted, case.absent)
    status, headers, body = write(trusted, path, case)
    assert status == 422, body
    assert headers["Content-Type"].startswith("application/problem+json")
    problem = json.loads(body)
    named = [e for e in problem["errors"] if e["node"] == case.node and case.says in e["message"]]
    assert named, json.dumps(problem["errors"], indent=1)
    assert not ask(trusted, case.absent)
    assert state(trusted) == before  # no history record, not a triple changed


def test_the_triple_with_its_supported_claim_is_accepted(trusted):
    """The positive control: the triple refused above, with its supported claim in the same
    update, goes in (and is reverted, so the module's other tests see the shipped graph)."""
    triple = "kb:microneedling hk:treats kb:alopecia-areata"
    status, headers, body = call(
        trusted.url,
        "POST",
        "/sparql",
        insert(SUPPORTED_CLAIM),
        {**EDITOR, "X-Change-Message": "microneedling treats alopecia areata, with its claim"},
        "application/sparql-update",
    )
    assert status == 200, body
    number = headers["X-Hairkg-Change"]
    try:
        assert ask(trusted, triple)
        assert ask(trusted, "kb:claim-trusted-knowledge-test rdf:subject kb:microneedling")
    finally:
        status, _, body = call(
            trusted.url, "POST", f"/api/v1/history/{number}/revert", None, EDITOR
        )
        assert status == 200, body
    assert not ask(trusted, triple)


# --- files: hairkg validate, hairkg load ----------------------------------------------------

VIOLATION = "kb:microneedling hk:treats kb:alopecia-areata ."


def violating_checkout(dest: Path) -> Path:
    """A copy of the checkout's ontology/ and kb/data/ with a clinical triple without claim
    appended to kb/data/treatments.ttl."""
    (dest / "ontology").mkdir(parents=True)
    for name in ("hairkg.ttl", "shapes.ttl"):
        shutil.copy(ROOT / "ontology" / name, dest / "ontology")
    shutil.copytree(ROOT / "kb" / "data", dest / "kb" / "data")
    treatments = dest / "kb" / "data" / "treatments.ttl"
    treatments.write_text(treatments.read_text(encoding="utf-8") + f"\n{VIOLATION}\n")
    return dest


def hairkg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_hairkg_validate_refuses_the_file_and_names_file_line_and_triple(tmp_path):
    tree = violating_checkout(tmp_path / "checkout")
    run = hairkg("validate", "--root", str(tree), "--no-reason")
    assert run.returncode == 1, run.stdout + run.stderr
    says = _case("1 a clinical triple without any claim").says
    found = re.findall(
        rf"kb/data/treatments\.ttl:(\d+): error shacl:sparql: kb:microneedling: {says}",
        run.stdout,
    )
    assert found, run.stdout
    lines = (tree / "kb" / "data" / "treatments.ttl").read_text(encoding="utf-8").splitlines()
    assert lines[int(found[0]) - 1].startswith("kb:microneedling ")  # where it is described
    # the checkout itself passes: the error is the appended triple's
    treatments = tree / "kb" / "data" / "treatments.ttl"
    treatments.write_text(treatments.read_text(encoding="utf-8").replace(VIOLATION, ""))
    run = hairkg("validate", "--root", str(tree), "--no-reason")
    assert run.returncode == 0, run.stdout + run.stderr


def test_hairkg_load_refuses_the_files_and_the_store_keeps_its_state(trusted, tmp_path):
    tree = violating_checkout(tmp_path / "checkout")
    before = state(trusted)
    run = hairkg("load", "--data-dir", str(trusted.data_dir), "--root", str(tree))
    assert run.returncode == 1, run.stdout + run.stderr
    assert _case("1 a clinical triple without any claim").says in run.stderr
    assert "the store is unchanged" in run.stderr
    assert not ask(trusted, VIOLATION.removesuffix(" ."))
    assert state(trusted) == before
