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
            "kb:claim-hair-follicle-bulge-located-underneath-hair-follicle",
            "the hair bulge lies underneath the hair follicle, at its base",
            "they cause a healing cascade that stimulates the production of Hair Follicle Stem "
            "Cells in the “hair bulge” area underneath the hair follicle",
            "The hair follicle stem cells are indeed in the bulge, but the bulge is not "
            "underneath the follicle: it is a region of the outer root sheath in the follicle's "
            "mid-portion, where the arrector pili muscle attaches. The base of the follicle is "
            'the bulb, which holds the dermal papilla; the heading "Dermal Papilla Stem Cells" '
            "conflates the two.",
            "kb:claim-hair-follicle-stem-cells-located-in-bulge",
        ),
        (
            "kb:claim-microneedling-acts-through-hair-follicle-neogenesis",
            "microneedling stimulates the growth of new hair follicles",
            "The needles in a microneedling device create tiny injuries to the skin, which can "
            "stimulate the growth of new hair follicles.",
            "The study the article relies on (Kim 2016, in mice) reported enhanced hair growth "
            "after repeated microneedle stimulation, not the formation of new hair follicles; no "
            "study recorded here shows new follicles forming in people.",
            "kb:claim-microneedling-acts-through-canonical-wnt-signalling",
        ),
        (
            "kb:claim-topical-minoxidil-reduces-dihydrotestosterone-production",
            "topical minoxidil reduces dihydrotestosterone production",
            "Common prescription medications to treat hair loss, including topical minoxidil and "
            "finasteride, can help reduce hair thinning associated with androgenic alopecia by "
            "directly reducing DHT production.",
            "Topical minoxidil does not reduce DHT production; of the two drugs named, only "
            "finasteride does.",
            "kb:claim-oral-finasteride-reduces-dihydrotestosterone-production",
        ),
        (
            "kb:claim-topical-minoxidil-regulatory-status-prescription-only",
            "topical minoxidil is a prescription medication",
            "Common prescription medications to treat hair loss, including topical minoxidil and "
            "finasteride, can help reduce hair thinning associated with androgenic alopecia",
            "Topical minoxidil (2% and 5%) is sold over the counter; of the two drugs the article"
            " names, only finasteride needs a prescription.",
            "kb:claim-topical-minoxidil-regulatory-status-over-the-counter",
        ),
    },
    "cq09-evidence-behind-microneedling-claims": {
        ("kb:claim-microneedling-acts-through-canonical-wnt-signalling", SUP, ANIMAL),
        (
            "kb:claim-microneedling-acts-through-collagen-production",
            SUP,
            "kb:evidence-level-no-study-cited",
        ),
        (
            "kb:claim-microneedling-acts-through-epidermal-growth-factor",
            DIS,
            "kb:evidence-level-no-study-cited",
        ),
        (
            "kb:claim-microneedling-acts-through-hair-follicle-neogenesis",
            "hk:Corrected",
            "kb:evidence-level-no-study-cited",
        ),
        (
            "kb:claim-microneedling-acts-through-hair-follicle-stem-cells",
            DIS,
            "kb:evidence-level-no-study-cited",
        ),
        ("kb:claim-microneedling-acts-through-vascular-endothelial-growth-factor-a", SUP, ANIMAL),
        (
            "kb:claim-microneedling-acts-through-wound-healing",
            SUP,
            "kb:evidence-level-no-study-cited",
        ),
        ("kb:claim-microneedling-better-than-topical-minoxidil", DIS, NARRATIVE),
        ("kb:claim-microneedling-compared-with-topical-minoxidil", SUP, NARRATIVE),
        (
            "kb:claim-microneedling-does-not-reduce-dihydrotestosterone-production",
            SUP,
            "kb:evidence-level-no-study-cited",
        ),
        (
            "kb:claim-microneedling-has-adverse-effect-atrophic-scarring",
            SUP,
            "kb:evidence-level-no-study-cited",
        ),
        (
            "kb:claim-microneedling-has-adverse-effect-bruising",
            SUP,
            "kb:evidence-level-no-study-cited",
        ),
        (
            "kb:claim-microneedling-has-adverse-effect-itching",
            SUP,
            "kb:evidence-level-no-study-cited",
        ),
        (
            "kb:claim-microneedling-has-adverse-effect-redness",
            SUP,
            "kb:evidence-level-no-study-cited",
        ),
        (
            "kb:claim-microneedling-has-adverse-effect-skin-hyperpigmentation",
            SUP,
            "kb:evidence-level-no-study-cited",
        ),
        (
            "kb:claim-microneedling-has-adverse-effect-skin-infection",
            SUP,
            "kb:evidence-level-no-study-cited",
        ),
        (
            "kb:claim-microneedling-has-adverse-effect-swelling",
            SUP,
            "kb:evidence-level-no-study-cited",
        ),
        (
            "kb:claim-microneedling-has-adverse-effect-tenderness",
            SUP,
            "kb:evidence-level-no-study-cited",
        ),
        (
            "kb:claim-microneedling-treats-alopecia-areata",
            DIS,
            "kb:evidence-level-systematic-review",
        ),
        ("kb:claim-microneedling-treats-androgenetic-alopecia", SUP, NARRATIVE),
        ("kb:claim-microneedling-treats-scar", SUP, "kb:evidence-level-no-study-cited"),
        ("kb:claim-microneedling-treats-skin-wrinkles", SUP, "kb:evidence-level-no-study-cited"),
        ("kb:claim-microneedling-treats-stretch-marks", SUP, "kb:evidence-level-no-study-cited"),
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
        ("kb:collagen-production", "hk:BiologicalProcess", "kb:evidence-level-no-study-cited"),
        ("kb:vascular-endothelial-growth-factor-a", "hk:GrowthFactor", ANIMAL),
        ("kb:wound-healing", "hk:BiologicalProcess", "kb:evidence-level-no-study-cited"),
    },
    "cq15-what-dht-is-involved-in": {
        ("hk:derivedFrom", "kb:testosterone"),
        ("hk:inhibits", "kb:anagen"),
        ("hk:mechanismInvolvedIn", AGA),
        ("hk:promotes", "kb:hair-follicle-miniaturisation"),
        ("hk:reducesProductionOf", "kb:dutasteride"),
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
        ("kb:claim-epidermal-growth-factor-promotes-hair-follicle-regeneration", None),
        ("kb:claim-high-needle-density-risk-factor-for-atrophic-scarring", None),
        ("kb:claim-microneedling-acts-through-epidermal-growth-factor", None),
        ("kb:claim-microneedling-acts-through-hair-follicle-stem-cells", None),
        ("kb:claim-microneedling-better-than-topical-minoxidil", None),
        ("kb:claim-microneedling-plus-minoxidil-better-than-microneedling", None),
        (
            "kb:claim-microneedling-plus-platelet-rich-plasma-better-than-microneedling",
            "kb:aggarwal-2020",
        ),
        ("kb:claim-microneedling-plus-platelet-rich-plasma-treats-androgenetic-alopecia", None),
        ("kb:claim-microneedling-plus-triamcinolone-treats-alopecia-areata", None),
        ("kb:claim-microneedling-treats-alopecia-areata", None),
        ("kb:claim-multiple-sessions-risk-factor-for-atrophic-scarring", None),
        ("kb:claim-platelet-rich-plasma-injection-treats-androgenetic-alopecia", None),
        ("kb:claim-vascular-endothelial-growth-factor-a-promotes-hair-follicle-regeneration", None),
        ("kb:claim-wound-healing-promotes-hair-follicle-stem-cells", None),
    },
    "cq18-claims-resting-on-animal-evidence": {
        ("kb:claim-hair-follicle-stem-cells-located-in-bulge", "kb:cotsarelis-1990", "mouse"),
        ("kb:claim-microneedling-acts-through-canonical-wnt-signalling", "kb:kim-2016", "mouse"),
        (
            "kb:claim-microneedling-acts-through-vascular-endothelial-growth-factor-a",
            "kb:kim-2016",
            "mouse",
        ),
    },
    "cq19-hair-loss-disorder-hierarchy": {
        ("kb:alopecia-areata", "kb:alopecia"),
        (AGA, "kb:alopecia"),
        ("kb:central-centrifugal-cicatricial-alopecia", "kb:cicatricial-alopecia"),
        ("kb:cicatricial-alopecia", "kb:alopecia"),
        ("kb:female-pattern-hair-loss", AGA),
        ("kb:frontal-fibrosing-alopecia", "kb:cicatricial-alopecia"),
        ("kb:frontal-fibrosing-alopecia", "kb:lichen-planopilaris"),
        ("kb:lichen-planopilaris", "kb:cicatricial-alopecia"),
        ("kb:male-pattern-hair-loss", AGA),
        ("kb:telogen-effluvium", "kb:alopecia"),
        ("kb:traction-alopecia", "kb:alopecia"),
    },
    "cq20-combinations-and-outcomes": {
        (MN_MINOX, "kb:topical-minoxidil", AGA),
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
        ("kb:baricitinib",),
        ("kb:deuruxolitinib",),
        ("kb:dutasteride",),
        ("kb:hair-transplantation",),
        ("kb:intralesional-corticosteroid-injection",),
        ("kb:low-level-laser-therapy",),
        (MN,),
        (MN_MINOX,),
        ("kb:oral-finasteride",),
        ("kb:oral-minoxidil",),
        ("kb:ritlecitinib",),
        ("kb:spironolactone",),
        ("kb:topical-minoxidil",),
        ("kb:triamcinolone-acetonide",),
    },
    # Needs hk:treatedBy, which only the reasoner derives; the fixture adds the inverse links.
    "cq24-treatments-of-androgenetic-alopecia-via-inverse": {
        ("kb:hair-transplantation",),
        ("kb:low-level-laser-therapy",),
        (MN,),
        (MN_MINOX,),
        ("kb:oral-finasteride",),
        ("kb:oral-minoxidil",),
        ("kb:topical-minoxidil",),
    },
    "cq25-treatments-of-androgenetic-alopecia-with-evidence-and-population": {
        ("kb:hair-transplantation", None, "kb:evidence-level-no-study-cited", "hk:LowCertainty"),
        (
            "kb:low-level-laser-therapy",
            "kb:men",
            "kb:evidence-level-systematic-review",
            "hk:ModerateCertainty",
        ),
        (
            "kb:low-level-laser-therapy",
            "kb:women",
            "kb:evidence-level-systematic-review",
            "hk:ModerateCertainty",
        ),
        (MN, None, NARRATIVE, "hk:LowCertainty"),
        (MN_MINOX, None, "kb:evidence-level-systematic-review", "hk:LowCertainty"),
        (
            "kb:oral-finasteride",
            "kb:men",
            "kb:evidence-level-randomised-controlled-trial",
            "hk:HighCertainty",
        ),
        ("kb:oral-minoxidil", None, NARRATIVE, "hk:LowCertainty"),
        (
            "kb:topical-minoxidil",
            "kb:men",
            "kb:evidence-level-randomised-controlled-trial",
            "hk:ModerateCertainty",
        ),
    },
    "cq26-regulatory-status-of-treatments": {
        ("kb:baricitinib", "hk:FDAApproved", "kb:adults", 2),
        ("kb:deuruxolitinib", "hk:FDAApproved", "kb:adults", 3),
        ("kb:dutasteride", "hk:OffLabel", "kb:men", 3),
        ("kb:hairmax-lasercomb", "hk:FDACleared", "kb:men", 1),
        ("kb:hairmax-lasercomb", "hk:FDACleared", "kb:women", 1),
        ("kb:oral-finasteride", "hk:FDAApproved", "kb:men", 1),
        ("kb:oral-finasteride", "hk:PrescriptionOnly", "kb:men", 2),
        ("kb:oral-minoxidil", "hk:OffLabel", None, 2),
        ("kb:ritlecitinib", "hk:FDAApproved", "kb:adolescents-12-and-older", 2),
        ("kb:ritlecitinib", "hk:FDAApproved", "kb:adults", 2),
        ("kb:spironolactone", "hk:OffLabel", "kb:women", 2),
        ("kb:topical-minoxidil", "hk:FDAApproved", "kb:men", 2),
        ("kb:topical-minoxidil", "hk:FDAApproved", "kb:women", 2),
        ("kb:topical-minoxidil", "hk:OverTheCounter", "kb:men", 2),
        ("kb:topical-minoxidil", "hk:OverTheCounter", "kb:women", 2),
    },
    "cq27-contraindications": {
        ("kb:oral-finasteride", "kb:pregnant-women", "kb:source-propecia-prescribing-information"),
        ("kb:spironolactone", "kb:pregnant-women", "kb:source-etg-spironolactone-fphl"),
    },
    "cq28-approved-treatments-for-alopecia-areata": {
        (
            "kb:baricitinib",
            "kb:adults",
            "kb:evidence-level-randomised-controlled-trial",
            "hk:HighCertainty",
        ),
        ("kb:deuruxolitinib", "kb:adults", "kb:evidence-level-no-study-cited", "hk:LowCertainty"),
        (
            "kb:ritlecitinib",
            "kb:adolescents-12-and-older",
            "kb:evidence-level-randomised-controlled-trial",
            "hk:ModerateCertainty",
        ),
        (
            "kb:ritlecitinib",
            "kb:adults",
            "kb:evidence-level-randomised-controlled-trial",
            "hk:ModerateCertainty",
        ),
    },
    "cq29-severity-scales-of-hair-loss-disorders": {
        ("kb:alopecia-areata", "kb:severity-of-alopecia-tool", "Severity of Alopecia Tool"),
        ("kb:female-pattern-hair-loss", "kb:ludwig-scale", "Ludwig scale"),
        ("kb:male-pattern-hair-loss", "kb:hamilton-norwood-scale", "Hamilton-Norwood scale"),
    },
    "cq30-adverse-effects-of-hair-loss-drugs": {
        ("kb:baricitinib", "kb:malignancy", "kb:evidence-level-regulatory-document"),
        ("kb:baricitinib", "kb:serious-infection", "kb:evidence-level-regulatory-document"),
        ("kb:baricitinib", "kb:thrombosis", "kb:evidence-level-regulatory-document"),
        ("kb:deuruxolitinib", "kb:malignancy", "kb:evidence-level-regulatory-document"),
        ("kb:deuruxolitinib", "kb:serious-infection", "kb:evidence-level-regulatory-document"),
        ("kb:deuruxolitinib", "kb:thrombosis", "kb:evidence-level-regulatory-document"),
        ("kb:dutasteride", "kb:decreased-libido", "kb:evidence-level-no-study-cited"),
        ("kb:dutasteride", "kb:erectile-dysfunction", "kb:evidence-level-no-study-cited"),
        ("kb:oral-finasteride", "kb:decreased-libido", "kb:evidence-level-regulatory-document"),
        ("kb:oral-finasteride", "kb:ejaculation-disorder", "kb:evidence-level-regulatory-document"),
        ("kb:oral-finasteride", "kb:erectile-dysfunction", "kb:evidence-level-regulatory-document"),
        ("kb:oral-minoxidil", "kb:hypertrichosis", "kb:evidence-level-regulatory-document"),
        ("kb:ritlecitinib", "kb:malignancy", "kb:evidence-level-regulatory-document"),
        ("kb:ritlecitinib", "kb:serious-infection", "kb:evidence-level-regulatory-document"),
        ("kb:ritlecitinib", "kb:thrombosis", "kb:evidence-level-regulatory-document"),
        (
            "kb:topical-minoxidil",
            "kb:contact-dermatitis",
            "kb:evidence-level-randomised-controlled-trial",
        ),
        ("kb:topical-minoxidil", "kb:hypertrichosis", "kb:evidence-level-regulatory-document"),
        ("kb:topical-minoxidil", "kb:initial-hair-shedding", "kb:evidence-level-no-study-cited"),
    },
    "cq31-scarring-alopecias": {
        ("kb:central-centrifugal-cicatricial-alopecia", "central centrifugal cicatricial alopecia"),
        ("kb:frontal-fibrosing-alopecia", "frontal fibrosing alopecia"),
        ("kb:lichen-planopilaris", "lichen planopilaris"),
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
SELECT ?claim ?status ?negated ?asserted WHERE {
  ?claim a hk:Claim ; hk:claimStatus ?status ;
         rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
  BIND (EXISTS { ?claim hk:negated true } AS ?negated)
  BIND (EXISTS { ?s ?p ?o } AS ?asserted)
}
"""


def test_only_supported_claims_are_served_as_facts(asserted: ox.Store) -> None:
    """A supported claim's triple is asserted; a disputed, corrected or negated one's never."""
    rows = _answer(asserted, CLAIM_TRIPLE_ASSERTED)
    assert len(rows) >= 70
    assert any(negated for _, _, negated, _ in rows)
    wrong = [row for row in rows if row[3] != (row[1] == SUP and not row[2])]
    assert wrong == []


CLINICAL_TRIPLES_WITHOUT_CLAIM = """
PREFIX hk: <https://w3id.org/hairkg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?s ?p ?o WHERE {
  ?p hk:requiresClaim true .
  ?s ?p ?o .
  FILTER NOT EXISTS {
    ?claim hk:claimStatus hk:Supported ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
           hk:statedIn ?where ; hk:evidenceLevel ?level ; hk:certainty ?certainty .
  }
}
"""


def test_every_asserted_clinical_triple_has_a_supported_claim(asserted: ox.Store) -> None:
    clinical = _answer(
        asserted,
        "PREFIX hk: <https://w3id.org/hairkg/ontology#> "
        "SELECT ?p WHERE { ?p hk:requiresClaim true }",
    )
    assert len(clinical) >= 14
    assert _answer(asserted, CLINICAL_TRIPLES_WITHOUT_CLAIM) == []


def test_every_quote_is_the_articles_own_words(asserted: ox.Store) -> None:
    """A claim stated in one of the articles quotes it verbatim (up to white space): a
    correction must show what the source really says, not words put in its mouth."""
    article = ROOT / "tests" / "suggest_corpus" / "seed-microneedling-for-hair-loss.txt"
    text = " ".join(article.read_text(encoding="utf-8").split())
    rows = _answer(
        asserted,
        "PREFIX hk: <https://w3id.org/hairkg/ontology#> "
        "SELECT ?claim ?quote WHERE { ?claim hk:quote ?quote ; hk:statedIn ?where . "
        "FILTER NOT EXISTS { ?where a hk:SourceDocument } }",
    )
    assert len(rows) >= 20
    assert [claim for claim, quote in rows if " ".join(quote.split()) not in text] == []


def test_minoxidil_is_not_said_to_reduce_dht(asserted: ox.Store) -> None:
    ask = (
        "PREFIX hk: <https://w3id.org/hairkg/ontology#> PREFIX kb: <https://w3id.org/hairkg/id/> "
        "ASK { kb:topical-minoxidil hk:reducesProductionOf kb:dihydrotestosterone }"
    )
    assert not bool(asserted.query(ask))
    ask_finasteride = ask.replace("kb:topical-minoxidil", "kb:oral-finasteride")
    assert bool(asserted.query(ask_finasteride))


@pytest.mark.slow  # the whole graph through pySHACL: its module is dealt first
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
