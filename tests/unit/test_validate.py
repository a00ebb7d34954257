"""`kb.validation.validate` on real files with the real reasoner: the shipped data validates clean,
and
each kind of broken input is reported exactly (rule, node, file and line)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef

from kb.files.sources import (
    KBSyntaxError,
    load_asserted,
    load_sources,
    parse_file,
    source_files,
)
from kb.rdf import HK, INFERRED_GRAPH, KB, KB_GRAPH, ONTOLOGY_GRAPH
from kb.validation.reasoning import disjoint_pairs, infer, superclasses
from kb.validation.validate import Report, validate, validate_graph

FIXTURE = Path(__file__).parent.parent / "fixtures" / "mini"
REPO = Path(__file__).resolve().parents[2]
SHIPPED_ONTOLOGY = REPO / "ontology" / "hairkg.ttl"


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.py", "*.pyc"))
    return dst


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


def findings(report: Report, rule: str, node: object | None = None) -> list:
    return [
        f
        for f in report.findings
        if (f.rule == rule or (rule.endswith(":") and f.rule.startswith(rule)))
        and (node is None or f.node == str(node))
    ]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return copy_tree(FIXTURE, tmp_path / "tree")


@pytest.fixture(scope="module")
def fixture_report() -> Report:
    return validate([FIXTURE])


@pytest.fixture(scope="module")
def shipped_report() -> Report:
    if not SHIPPED_ONTOLOGY.is_file():
        pytest.skip("ontology/hairkg.ttl is not written yet")
    return validate(source_files(REPO))


# --- the clean cases -------------------------------------------------------------------


def test_shipped_data_validates_clean(shipped_report: Report) -> None:
    errors = "\n".join(str(f) for f in shipped_report.errors)
    assert shipped_report.ok, errors
    assert shipped_report.consistent is True
    assert shipped_report.stats["files"] >= 1


def test_fixture_validates_clean(fixture_report: Report) -> None:
    assert fixture_report.ok, fixture_report.to_text()
    assert fixture_report.warnings == []
    assert fixture_report.consistent is True
    assert [f.rule for f in fixture_report.findings] == ["owl:consistent"]


def test_reasoner_infers_inverse_and_classifies(fixture_report: Report) -> None:
    inferred = fixture_report.inferred
    assert inferred is not None
    assert (KB["androgenetic-alopecia"], HK.treatedBy, KB.microneedling) in inferred
    assert (KB.microneedling, RDF.type, HK.HairLossTreatment) in inferred
    assert fixture_report.stats["inferred"] == len(inferred)


def test_new_treatment_is_classified_and_only_new_triples_come_back() -> None:
    ds = load_asserted(FIXTURE)
    kb = ds.graph(KB_GRAPH)
    new = KB["oral-finasteride"]
    kb.add((new, RDF.type, HK.Drug))
    kb.add((new, HK.treats, KB["androgenetic-alopecia"]))
    result = infer(ds)
    assert result.consistent
    assert (new, RDF.type, HK.HairLossTreatment) in result.inferred
    assert (KB["androgenetic-alopecia"], HK.treatedBy, new) in result.inferred
    union = Graph()
    for s, p, o, _g in ds.quads((None, None, None, None)):
        union.add((s, p, o))
    assert not [t for t in result.inferred if t in union], "asserted triples came back"


# --- syntax ----------------------------------------------------------------------------


def test_turtle_syntax_error_reports_file_and_line(tree: Path) -> None:
    data = tree / "kb" / "data" / "treatments.ttl"
    line = line_of(data, 'rdfs:label "hair extensions"@en')
    edit(data, 'rdfs:label "hair extensions"@en ;', 'rdfs:label "hair extensions@en ;')
    report = validate([tree])
    assert not report.ok
    [err] = findings(report, "syntax")
    assert err.path.endswith("kb/data/treatments.ttl")
    assert err.line == line
    assert "column 37" in err.message
    assert f"treatments.ttl:{line}: error syntax:" in report.to_text()
    # later layers are skipped rather than reporting noise
    assert findings(report, "skipped")
    assert report.consistent is None


def test_missing_dot_points_at_the_line_where_parsing_failed(tree: Path) -> None:
    data = tree / "kb" / "data" / "treatments.ttl"
    edit(data, "hk:needleLengthMm 1.5 .", "hk:needleLengthMm 1.5")
    with pytest.raises(KBSyntaxError) as caught:
        parse_file(data)
    err = caught.value
    assert err.line == line_of(data, "kb:hair-extensions a")
    assert str(err).endswith(
        f"treatments.ttl:{err.line}:1: A dot is expected at the end of statements"
    )


def test_syntax_error_in_the_shipped_sources_has_its_line(tmp_path: Path) -> None:
    if not SHIPPED_ONTOLOGY.is_file():
        pytest.skip("ontology/hairkg.ttl is not written yet")
    onto = tmp_path / "ontology" / "hairkg.ttl"
    onto.parent.mkdir()
    text = SHIPPED_ONTOLOGY.read_text(encoding="utf-8").rstrip("\n")
    onto.write_text(text + '\n\nhk:Broken a owl:Class ;\n    rdfs:label "broken" \n', "utf-8")
    loaded = load_sources(source_files(tmp_path))
    [err] = loaded.errors
    assert err.line == len(text.splitlines()) + 4
    assert str(err).startswith(
        str(onto.relative_to(Path.cwd())) if onto.is_relative_to(Path.cwd()) else str(onto)
    )


# --- SHACL and quality -----------------------------------------------------------------


def test_treatment_without_label(tree: Path) -> None:
    data = tree / "kb" / "data" / "treatments.ttl"
    line = line_of(data, "kb:microneedling a hk:Procedure")
    edit(data, '    rdfs:label "microneedling"@en ;\n', "")
    report = validate([tree], reason=False)
    assert not report.ok
    [quality] = findings(report, "missing_label", KB.microneedling)
    assert quality.severity == "error"
    assert quality.path.endswith("kb/data/treatments.ttl") and quality.line == line
    [shacl] = findings(report, "shacl:minCount", KB.microneedling)
    assert shacl.severity == "error"
    assert "An intervention needs a label" in shacl.message and "rdfs:label" in shacl.message
    assert shacl.line == line


def test_needle_length_of_minus_one(tree: Path) -> None:
    data = tree / "kb" / "data" / "treatments.ttl"
    edit(data, "hk:needleLengthMm 1.5 .", "hk:needleLengthMm -1.0 .")
    report = validate([tree], reason=False)
    assert not report.ok
    [err] = findings(report, "shacl:minExclusive", KB.microneedling)
    assert "kb:microneedling" in err.message
    assert "Needle length must be a positive number" in err.message
    assert "value '-1.0'" in err.message and "hk:needleLengthMm" in err.message
    assert err.line == line_of(data, "kb:microneedling a")


def test_dangling_reference_names_the_iri(tree: Path) -> None:
    data = tree / "kb" / "data" / "treatments.ttl"
    edit(data, "hk:actsThrough kb:wound-healing ;", "hk:actsThrough kb:wound-healling ;")
    report = validate([tree], reason=False)
    assert not report.ok
    [err] = findings(report, "dangling_reference", KB["wound-healling"])
    assert err.severity == "error"
    assert "kb:wound-healling is referenced but never declared" in err.message
    assert "used by kb:microneedling" in err.message
    assert err.path.endswith("treatments.ttl") and err.line == line_of(data, "kb:wound-healling")


def test_claim_without_provenance(tree: Path) -> None:
    data = tree / "kb" / "data" / "treatments.ttl"
    edit(data, "    hk:statedIn kb:article ;\n", "")
    report = validate([tree], reason=False)
    claim = KB["claim-microneedling-treats-aga"]
    [err] = findings(report, "claim_without_provenance", claim)
    assert err.severity == "error"
    assert findings(report, "shacl:minCount", claim)


def test_deprecated_reference_is_a_warning(tree: Path) -> None:
    data = tree / "kb" / "data" / "treatments.ttl"
    edit(
        data,
        "kb:microneedling a hk:Procedure ;",
        "kb:microneedling a hk:Procedure, hk:OldTreatmentKind ;",
    )
    report = validate([tree], reason=False)
    assert report.ok, report.to_text()
    [warn] = findings(report, "deprecated_reference", KB.microneedling)
    assert warn.severity == "warning"
    assert warn.line == line_of(data, "hk:OldTreatmentKind")
    assert "hk:OldTreatmentKind" in warn.message and "use hk:Treatment instead" in warn.message


def test_label_problems_and_invalid_xref(tree: Path) -> None:
    data = tree / "kb" / "data" / "conditions.ttl"
    edit(data, 'rdfs:label "wound healing"@en', 'rdfs:label "androgenetic  alopecia"@en')
    edit(data, '"MONDO:0005339"', '"MONDO 0005339"')
    report = validate([tree], reason=False)
    assert findings(report, "label_whitespace", KB["wound-healing"])
    assert findings(report, "invalid_xref", KB["androgenetic-alopecia"])[0].severity == "warning"
    edit(data, '"androgenetic  alopecia"@en', '"androgenetic alopecia"@en')
    report = validate([tree], reason=False)
    dups = findings(report, "duplicate_label")
    assert {f.node for f in dups} == {str(KB["wound-healing"]), str(KB["androgenetic-alopecia"])}
    # the same, from the fixture's SPARQL-based SHACL constraint (run on Oxigraph)
    [sparql] = findings(report, "shacl:sparql", KB["wound-healing"])
    assert sparql.message == (
        "kb:wound-healing: The label androgenetic alopecia is also used by "
        "https://w3id.org/hairkg/id/androgenetic-alopecia."
    )


# --- OWL -------------------------------------------------------------------------------


def test_individual_in_two_disjoint_classes(tree: Path) -> None:
    data = tree / "kb" / "data" / "treatments.ttl"
    edit(
        data,
        "kb:hair-extensions a hk:CosmeticOption ;",
        "kb:hair-extensions a hk:CosmeticOption, hk:Procedure ;",
    )
    report = validate([tree])
    assert not report.ok
    assert report.consistent is False
    assert findings(report, "owl:inconsistent")
    [err] = findings(report, "owl:disjoint_classes", KB["hair-extensions"])
    assert "hk:CosmeticOption" in err.message and "hk:Procedure" in err.message
    assert err.line == line_of(data, "kb:hair-extensions a")


def test_disjoint_classes_in_the_shipped_ontology_are_caught(tmp_path: Path) -> None:
    if not SHIPPED_ONTOLOGY.is_file():
        pytest.skip("ontology/hairkg.ttl is not written yet")
    ds = load_asserted(REPO)
    union = Graph()
    for s, p, o, _g in ds.quads((None, None, None, None)):
        union.add((s, p, o))
    ups = superclasses(union)
    pairs = sorted(tuple(sorted(p)) for p in disjoint_pairs(union))
    assert pairs, "the ontology declares no disjoint classes"
    a, b = pairs[0]
    # an individual of class a (or of a subclass), or a new one
    members = [
        s
        for s, c in union.subject_objects(RDF.type)
        if isinstance(c, URIRef) and a in ups.get(c, {c})
    ]
    ind = sorted(members)[0] if members else KB["test-individual"]
    ds.graph(KB_GRAPH).add((ind, RDF.type, a))
    ds.graph(KB_GRAPH).add((ind, RDF.type, b))
    result = infer(ds)
    assert result.consistent is False
    assert any(c[0] == str(ind) for c in result.conflicts), result.explanation


# --- API shape -------------------------------------------------------------------------


def test_validate_graph_in_memory() -> None:
    ds = load_asserted(FIXTURE)
    ds.graph(KB_GRAPH).add((KB["new-procedure"], RDF.type, HK.Procedure))
    ds.graph(KB_GRAPH).add((KB["new-procedure"], HK.needleLengthMm, Literal(-1)))
    report = validate_graph(ds, reason=False, shapes=FIXTURE / "ontology" / "shapes.ttl")
    assert not report.ok
    assert findings(report, "missing_label", KB["new-procedure"])
    assert findings(report, "shacl:minExclusive", KB["new-procedure"])
    assert findings(report, "shacl:datatype", KB["new-procedure"])
    assert all(f.path is None for f in report.findings)  # no files, no locations
    assert (KB["new-procedure"], RDF.type, HK.Procedure) in ds.graph(KB_GRAPH)


def test_report_json_and_text(fixture_report: Report) -> None:
    data = json.loads(fixture_report.to_json())
    assert data["ok"] is True and data["consistent"] is True
    assert data["counts"] == {"error": 0, "warning": 0, "info": 1}
    assert set(data["findings"][0]) == {"severity", "rule", "message", "node", "path", "line"}
    text = fixture_report.to_text()
    assert text.splitlines()[-1].startswith("OK: 0 errors, 0 warnings, 1 info (3 files")


def test_source_files_and_graphs() -> None:
    files = source_files(FIXTURE)
    assert [f.path.name for f in files] == ["hairkg.ttl", "conditions.ttl", "treatments.ttl"]
    assert [f.graph for f in files] == [str(ONTOLOGY_GRAPH), str(KB_GRAPH), str(KB_GRAPH)]
    ds = load_asserted(FIXTURE)
    assert len(ds.graph(ONTOLOGY_GRAPH)) > 0 and len(ds.graph(KB_GRAPH)) > 0
    assert len(ds.graph(INFERRED_GRAPH)) == 0
    again = load_asserted(FIXTURE)
    assert sorted(ds.quads((None, None, None, None))) == sorted(
        again.quads((None, None, None, None))
    )
    err = KBSyntaxError(Path("kb/data/x.ttl"), 12, 5, "message")
    assert str(err) == "kb/data/x.ttl:12:5: message"


def test_shacl_warning_does_not_fail(tree: Path) -> None:
    data = tree / "kb" / "data" / "treatments.ttl"
    edit(data, '    obo:IAO_0000115 "A cosmetic option that adds hair to hide thinning."@en .', ".")
    edit(data, 'rdfs:label "hair extensions"@en ;', 'rdfs:label "hair extensions"@en')
    report = validate([tree], reason=False)
    assert report.ok, report.to_text()
    [warn] = findings(report, "shacl:minCount", KB["hair-extensions"])
    assert warn.severity == "warning"
    assert "should have a definition" in warn.message


def test_claim_evidence_may_be_an_editorial_note(tree: Path) -> None:
    data = tree / "kb" / "data" / "treatments.ttl"
    claim = KB["claim-microneedling-treats-aga"]
    edit(data, "    hk:supportedBy kb:study-2013 .", "    .")
    report = validate([tree], reason=False)
    assert [f.severity for f in findings(report, "claim_without_evidence", claim)] == ["warning"]
    edit(data, "    .", '    skos:editorialNote "The article cites no study."@en .')
    edit(
        data, "@prefix rdf:", "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix rdf:"
    )
    report = validate([tree], reason=False)
    assert not findings(report, "claim_without_evidence", claim)


def test_synonym_that_is_another_terms_label(tree: Path) -> None:
    """A parent's synonym that is a child's (or any other term's) label is an error."""
    data = tree / "kb" / "data" / "conditions.ttl"
    edit(
        data,
        'oboInOwl:hasExactSynonym "androgenic alopecia"@en ;',
        'oboInOwl:hasExactSynonym "androgenic alopecia"@en , "Wound  Healing"@en ;',
    )
    report = validate([tree], reason=False)
    assert not report.ok
    [err] = findings(report, "duplicate_label_synonym", KB["androgenetic-alopecia"])
    assert err.severity == "error"
    assert "'Wound  Healing'" in err.message and "the label of kb:wound-healing" in err.message
