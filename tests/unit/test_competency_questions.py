"""Competency questions: every kb/queries/*.rq runs on ontology + kb and gives its exact answer.

The graph is loaded into an in-memory pyoxigraph store (default graph = union of the files).
Answers are compared as sets of rows; IRIs are compacted to ``kb:`` / ``hk:`` / ... names and
numeric or boolean literals become Python numbers, so ``100.0`` and ``100`` compare equal.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).resolve().parents[2]
ONTOLOGY = ROOT / "ontology" / "hairkg.ttl"
SHAPES = ROOT / "ontology" / "shapes.ttl"
DATA_FILES = sorted((ROOT / "kb" / "data").glob("*.ttl"))
QUERY_FILES = sorted((ROOT / "kb" / "queries").glob("*.rq"))

XSD = "http://www.w3.org/2001/XMLSchema#"
COMPACT = {
    "https://w3id.org/hairkg/id/": "kb:",
    "https://w3id.org/hairkg/ontology#": "hk:",
    "http://www.geneontology.org/formats/oboInOwl#": "oboInOwl:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
}
NUMERIC = {XSD + t for t in ("decimal", "integer", "double", "float")}

MN = "kb:microneedling"
AGA = "kb:androgenetic-alopecia"
SUP, DIS = "hk:Supported", "hk:Disputed"
ANIMAL = "kb:evidence-level-animal-study"
NARRATIVE = "kb:evidence-level-narrative-review"
NMA = "kb:evidence-level-network-meta-analysis"
MONOTHERAPY = "kb:comparison-microneedling-plus-minoxidil-vs-monotherapy"
MN_VS_MINOX = "kb:comparison-microneedling-vs-topical-minoxidil"
MN_MINOX = "kb:microneedling-plus-topical-minoxidil"
LMP = "kb:licensed-medical-professional"

# Query file stem -> exact answer set (rows in the order of the SELECT variables).
EXPECTED: dict[str, set[tuple]] = {
    "cq01-treatments-for-androgenetic-alopecia-via-wnt": {(MN, "microneedling")},
    "cq02-adverse-effects-of-microneedling-with-darker-skin-risk": {
        ("kb:skin-hyperpigmentation", "skin hyperpigmentation"),
    },
    "cq03-what-the-2022-review-compared": {
        (MN_VS_MINOX, MN, "hair count increase", MN),
        (MN_VS_MINOX, "kb:topical-minoxidil", "hair count increase", MN),
        (MONOTHERAPY, MN_MINOX, "hair regrowth", MN_MINOX),
        (MONOTHERAPY, MN, "hair regrowth", MN_MINOX),
        (MONOTHERAPY, "kb:topical-minoxidil", "hair regrowth", MN_MINOX),
    },
    "cq04-articles-about-prp": {
        (
            "kb:prp-for-hair-loss",
            "PRP for Hair Loss",
            "https://hairclinic.example/prp-for-hair-loss",
        ),
    },
    "cq05-cost-per-session": {("USD", 100, 500)},
    "cq06-number-of-sessions-and-spacing": {(3, 6, 4, 6)},
    "cq07-maintenance-interval": {(2, 3)},
    "cq08-what-the-article-got-wrong": {
        (
            "kb:claim-topical-minoxidil-reduces-dihydrotestosterone-production",
            "topical minoxidil reduces dihydrotestosterone production",
            "Topical minoxidil does not reduce DHT production; of the two drugs named, only "
            "finasteride does.",
            "kb:claim-oral-finasteride-reduces-dihydrotestosterone-production",
        ),
        (
            "kb:claim-oral-finasteride-treats-androgenetic-alopecia",
            "oral finasteride treats androgenetic alopecia",
            "Oral finasteride treats male-pattern hair loss; it is not an established treatment "
            "for androgenetic alopecia in women.",
            "kb:claim-oral-finasteride-treats-male-pattern-hair-loss",
        ),
        (
            "kb:claim-hair-follicle-stem-cells-located-in-dermal-papilla",
            "hair follicle stem cells are located in the dermal papilla underneath the hair "
            "follicle",
            "Hair follicle stem cells reside in the bulge, a region of the outer root sheath in "
            "the mid-portion of the follicle where the arrector pili muscle attaches, not "
            "underneath the follicle. The base of the follicle is the bulb, which holds the "
            'dermal papilla; the heading "Dermal Papilla Stem Cells" conflates the two.',
            "kb:claim-hair-follicle-stem-cells-located-in-bulge",
        ),
    },
    "cq09-evidence-behind-microneedling-claims": {
        ("kb:claim-microneedling-acts-through-canonical-wnt-signalling", SUP, ANIMAL),
        ("kb:claim-microneedling-acts-through-collagen-production", SUP, NARRATIVE),
        ("kb:claim-microneedling-acts-through-epidermal-growth-factor", SUP, ANIMAL),
        ("kb:claim-microneedling-acts-through-hair-follicle-stem-cells", SUP, NARRATIVE),
        ("kb:claim-microneedling-acts-through-vascular-endothelial-growth-factor-a", SUP, ANIMAL),
        ("kb:claim-microneedling-acts-through-wound-healing", SUP, NARRATIVE),
        ("kb:claim-microneedling-better-than-topical-minoxidil", SUP, NMA),
        ("kb:claim-microneedling-has-adverse-effect-atrophic-scarring", SUP, None),
        ("kb:claim-microneedling-has-adverse-effect-bruising", SUP, None),
        ("kb:claim-microneedling-has-adverse-effect-itching", SUP, None),
        ("kb:claim-microneedling-has-adverse-effect-redness", SUP, None),
        ("kb:claim-microneedling-has-adverse-effect-skin-hyperpigmentation", SUP, None),
        ("kb:claim-microneedling-has-adverse-effect-skin-infection", SUP, None),
        ("kb:claim-microneedling-has-adverse-effect-swelling", SUP, None),
        ("kb:claim-microneedling-has-adverse-effect-tenderness", SUP, None),
        ("kb:claim-microneedling-treats-alopecia-areata", DIS, "kb:evidence-level-case-report"),
        ("kb:claim-microneedling-treats-androgenetic-alopecia", SUP, NMA),
        ("kb:claim-microneedling-treats-scar", SUP, None),
        ("kb:claim-microneedling-treats-skin-wrinkles", SUP, None),
        ("kb:claim-microneedling-treats-stretch-marks", SUP, None),
    },
    "cq10-aftercare-rules": {
        (
            "kb:avoid-excessive-heat-after-microneedling",
            "avoid excessive heat after microneedling",
            24,
        ),
        ("kb:avoid-makeup-after-microneedling", "avoid makeup after microneedling", 24),
        (
            "kb:avoid-retinol-and-exfoliants-after-microneedling",
            "avoid retinol and exfoliating skincare after microneedling",
            24,
        ),
        ("kb:avoid-sun-exposure-after-microneedling", "avoid sun exposure after microneedling", 24),
        (
            "kb:contact-provider-about-persistent-side-effects",
            "contact the provider about persistent side effects",
            None,
        ),
        (
            "kb:do-not-pick-or-scratch-after-microneedling",
            "do not pick or scratch the treated area",
            None,
        ),
    },
    "cq11-who-may-perform-microneedling": {
        ("hk:performedBy", MN, LMP),
        ("hk:usedUnderSupervisionOf", "kb:at-home-dermaroller", LMP),
        ("hk:usedUnderSupervisionOf", "kb:professional-microneedling-device", LMP),
    },
    "cq12-needle-lengths-of-home-devices": {
        ("kb:at-home-dermaroller", Decimal("0.5")),
        ("kb:at-home-dermaroller", Decimal("1.0")),
    },
    "cq13-insurance-exception": {
        (
            False,
            "kb:alopecia-areata",
            "Some plans may cover it when it is a medical necessity, such as for patients with "
            "alopecia areata who have not responded to other forms of treatment.",
        ),
    },
    "cq14-mechanisms-of-microneedling": {
        ("kb:canonical-wnt-signalling-pathway", "hk:SignallingPathway", ANIMAL),
        ("kb:collagen-production", "hk:BiologicalProcess", NARRATIVE),
        ("kb:epidermal-growth-factor", "hk:GrowthFactor", ANIMAL),
        ("kb:hair-follicle-stem-cell", "hk:CellOrStructure", NARRATIVE),
        ("kb:vascular-endothelial-growth-factor-a", "hk:GrowthFactor", ANIMAL),
        ("kb:wound-healing", "hk:BiologicalProcess", NARRATIVE),
    },
    "cq15-what-dht-is-involved-in": {
        ("hk:derivedFrom", "kb:testosterone"),
        ("hk:inhibits", "kb:anagen"),
        ("hk:mechanismInvolvedIn", AGA),
        ("hk:promotes", "kb:hair-follicle-miniaturisation"),
        ("hk:reducesProductionOf", "kb:oral-finasteride"),
    },
    "cq16-synonyms-of-microneedling": {
        ("oboInOwl:hasExactSynonym", "PCIT"),
        ("oboInOwl:hasExactSynonym", "collagen induction therapy"),
        ("oboInOwl:hasExactSynonym", "dermal needling"),
        ("oboInOwl:hasExactSynonym", "micropuncturing"),
        ("oboInOwl:hasExactSynonym", "percutaneous collagen induction therapy"),
        ("oboInOwl:hasExactSynonym", "skin needling"),
        ("oboInOwl:hasNarrowSynonym", "dermarolling"),
        ("oboInOwl:hasRelatedSynonym", "microneedle therapy system"),
    },
    "cq17-disputed-claims": {
        ("kb:claim-at-home-dermaroller-treats-androgenetic-alopecia", None),
        ("kb:claim-high-needle-density-risk-factor-for-atrophic-scarring", None),
        (
            "kb:claim-microneedling-plus-platelet-rich-plasma-better-than-microneedling",
            "kb:aggarwal-2020",
        ),
        ("kb:claim-microneedling-treats-alopecia-areata", None),
        ("kb:claim-multiple-sessions-risk-factor-for-atrophic-scarring", None),
    },
    "cq18-claims-resting-on-animal-evidence": {
        ("kb:claim-hair-follicle-stem-cells-located-in-bulge", "kb:cotsarelis-1990", "mouse"),
        ("kb:claim-microneedling-acts-through-canonical-wnt-signalling", "kb:kim-2016", "mouse"),
        ("kb:claim-microneedling-acts-through-epidermal-growth-factor", "kb:zeitter-2014", "rat"),
        (
            "kb:claim-microneedling-acts-through-vascular-endothelial-growth-factor-a",
            "kb:kim-2016",
            "mouse",
        ),
        (
            "kb:claim-microneedling-acts-through-vascular-endothelial-growth-factor-a",
            "kb:zeitter-2014",
            "rat",
        ),
    },
    "cq19-hair-loss-disorder-hierarchy": {
        ("kb:alopecia-areata", "kb:alopecia"),
        (AGA, "kb:alopecia"),
        ("kb:female-pattern-hair-loss", AGA),
        ("kb:male-pattern-hair-loss", AGA),
    },
    "cq20-combinations-and-outcomes": {
        ("kb:microneedling-plus-platelet-rich-plasma", "kb:platelet-rich-plasma-injection", AGA),
        (MN_MINOX, "kb:topical-minoxidil", AGA),
        (
            "kb:microneedling-plus-triamcinolone-acetonide",
            "kb:triamcinolone-acetonide",
            "kb:alopecia-areata",
        ),
    },
    "cq21-risk-factors-for-atrophic-scarring": {
        ("kb:excessive-needle-depth", "asserted"),
        ("kb:incorrect-procedure-technique", "asserted"),
        ("kb:high-needle-density", "disputed"),
        ("kb:multiple-microneedling-sessions", "disputed"),
    },
    "cq22-external-identifiers-of-androgenetic-alopecia": {
        ("skos:broadMatch", "http://id.nlm.nih.gov/mesh/D000505"),
        ("skos:exactMatch", "http://purl.obolibrary.org/obo/DOID_0050801"),
        ("skos:exactMatch", "http://purl.obolibrary.org/obo/MONDO_0005339"),
    },
    "cq23-treatments-classified-as-hair-loss-treatments": {
        (MN,),
        ("kb:microneedling-plus-platelet-rich-plasma",),
        (MN_MINOX,),
        ("kb:microneedling-plus-triamcinolone-acetonide",),
        ("kb:oral-finasteride",),
        ("kb:platelet-rich-plasma-injection",),
        ("kb:topical-minoxidil",),
        ("kb:triamcinolone-acetonide",),
    },
    # Needs hk:treatedBy, which only the reasoner derives; the fixture adds the inverse links.
    "cq24-treatments-of-androgenetic-alopecia-via-inverse": {
        (MN,),
        (MN_MINOX,),
        ("kb:microneedling-plus-platelet-rich-plasma",),
        ("kb:platelet-rich-plasma-injection",),
        ("kb:topical-minoxidil",),
    },
}

# Stand-in for the reasoner's owl:inverseOf output (kb/reasoning.py is the real source):
# add ?o hk:treatedBy ?s for every asserted ?s hk:treats ?o.
ADD_INVERSES = """
PREFIX hk: <https://w3id.org/hairkg/ontology#>
INSERT { ?condition hk:treatedBy ?treatment } WHERE { ?treatment hk:treats ?condition }
"""


def _load(store: ox.Store) -> None:
    for path in [ONTOLOGY, *DATA_FILES]:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)


@pytest.fixture(scope="module")
def asserted() -> ox.Store:
    store = ox.Store()
    _load(store)
    return store


@pytest.fixture(scope="module")
def with_inverses() -> ox.Store:
    store = ox.Store()
    _load(store)
    store.update(ADD_INVERSES)
    return store


def _value(term: object) -> object:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        for ns, prefix in COMPACT.items():
            if term.value.startswith(ns):
                return prefix + term.value[len(ns) :]
        return term.value
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if dt in NUMERIC:
            number = Decimal(term.value)
            return int(number) if number == number.to_integral_value() else number
        if dt == XSD + "boolean":
            return term.value == "true"
        return term.value
    raise AssertionError(f"unexpected term in an answer: {term!r}")


def _answer(store: ox.Store, query: str) -> list[tuple]:
    solutions = store.query(query)
    names = solutions.variables
    return [tuple(_value(s[v]) for v in names) for s in solutions]


def test_every_query_has_an_expected_answer_and_vice_versa() -> None:
    assert len(QUERY_FILES) >= 15
    assert {p.stem for p in QUERY_FILES} == set(EXPECTED)


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_query_states_its_question(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith("# Competency question: ")


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_competency_question(path: Path, asserted: ox.Store, with_inverses: ox.Store) -> None:
    store = with_inverses if "inverse" in path.stem else asserted
    rows = _answer(store, path.read_text(encoding="utf-8"))
    assert len(rows) == len(set(rows)), f"{path.name} returned duplicate rows"
    assert set(rows) == EXPECTED[path.stem]


def test_inverse_question_needs_the_inferred_links(asserted: ox.Store) -> None:
    query = ROOT / "kb" / "queries" / "cq24-treatments-of-androgenetic-alopecia-via-inverse.rq"
    assert _answer(asserted, query.read_text(encoding="utf-8")) == []


CLAIM_TRIPLE_ASSERTED = """
PREFIX hk: <https://w3id.org/hairkg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?claim ?status ?asserted WHERE {
  ?claim a hk:Claim ; hk:claimStatus ?status ;
         rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
  BIND (EXISTS { ?s ?p ?o } AS ?asserted)
}
"""


def test_only_supported_claims_are_served_as_facts(asserted: ox.Store) -> None:
    rows = _answer(asserted, CLAIM_TRIPLE_ASSERTED)
    assert len(rows) >= 40
    wrong = [(c, s, a) for c, s, a in rows if a != (s == SUP)]
    assert wrong == []


def test_minoxidil_is_not_said_to_reduce_dht(asserted: ox.Store) -> None:
    ask = (
        "PREFIX hk: <https://w3id.org/hairkg/ontology#> PREFIX kb: <https://w3id.org/hairkg/id/> "
        "ASK { kb:topical-minoxidil hk:reducesProductionOf kb:dihydrotestosterone }"
    )
    assert not bool(asserted.query(ask))
    ask_finasteride = ask.replace("kb:topical-minoxidil", "kb:oral-finasteride")
    assert bool(asserted.query(ask_finasteride))


def test_shapes_pass_with_only_missing_date_warnings() -> None:
    pyshacl = pytest.importorskip("pyshacl")
    from rdflib import Graph
    from rdflib.namespace import SH

    ontology = Graph().parse(ONTOLOGY)
    data = Graph()
    for path in DATA_FILES:
        data.parse(path)
    conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=Graph().parse(SHAPES),
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    assert conforms
    warnings = {
        (str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)))
        for r in report.subjects(SH.resultSeverity, SH.Warning)
    }
    date = "http://schema.org/datePublished"
    assert warnings == {
        (f"https://w3id.org/hairkg/id/{a}", date)
        for a in (
            "microneedling-for-hair-loss",
            "the-best-hair-extensions-for-thinning-hair",
            "side-effects-of-finasteride-for-hair-loss",
            "prp-for-hair-loss",
        )
    }
