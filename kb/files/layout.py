"""Which file each subject belongs in, and writing the asserted graphs back into files.

The rule (also in docs/editing-files.md):

- a subject of the ontology graph goes in ``ontology/hairkg.ttl``;
- a subject of the knowledge-base graph goes in the ``kb/data`` file of its **kind**: take
  its asserted ``hk:`` types, keep the most specific one (the one with the most ``hk:``
  superclasses in the ontology; on a tie, the one whose kind comes first in :data:`KINDS`),
  walk up from it to the first class listed in :data:`KINDS`; that entry names the file.
  ``kb:telogen-effluvium a hk:HairLossDisorder`` → ``hk:Condition`` → ``conditions.ttl``;
- a subject with no ``hk:`` type goes in ``kb/data/other.ttl``;
- a blank node is written nested inside the statement that uses it.

Inside a file, subjects are grouped (the sections of :data:`KINDS`; for the ontology:
header, external declarations, classes, properties, individuals, anonymous axioms), and
within a group ordered depth-first along the hierarchy (``rdfs:subClassOf``,
``rdfs:subPropertyOf`` or ``skos:broader``), siblings by IRI. Each file starts with a fixed
header comment. ``write_files`` is deterministic: files → store → files changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rdflib import OWL, RDF, RDFS, BNode, Graph, URIRef

from kb.files.turtle import TurtleWriter, bnode_sort_key
from kb.rdf import HK, SKOS

ONTOLOGY_FILE = "ontology/hairkg.ttl"
DATA_DIR = "kb/data"
OTHER_FILE = "other.ttl"

GENERATED = (
    "Canonical layout: `hairkg export --to-files` rewrites this file (docs/editing-files.md)."
)


@dataclass(frozen=True)
class Kind:
    """A data file: its name, its header, and its sections (class local name, title)."""

    file: str
    header: str
    sections: tuple[tuple[str, str], ...]


# Order matters twice: it breaks ties between equally specific types, and it is the order
# of the sections inside a file.
KINDS: tuple[Kind, ...] = (
    Kind(
        "adverse-effects.ttl",
        "Adverse effects: unwanted signs, symptoms and complications that can follow a "
        'treatment.\nBruising has no mapping: HP:0000978 is "Bruising susceptibility", not '
        "the event.",
        (("AdverseEffect", "Adverse effects"),),
    ),
    Kind(
        "risk-factors.ttl",
        "Risk factors: what makes a condition or an adverse effect more likely.\n"
        "A risk-factor link is asserted only when its claim (claims.ttl) is hk:Supported; the "
        "two\ndisputed ones (multiple sessions, high needle density) are kept as claims only.",
        (("RiskFactor", "Risk factors"),),
    ),
    Kind(
        "conditions.ttl",
        "Conditions: hair loss disorders and the other conditions the articles name.\n"
        "Cross-references only from /work/shared/reference/identifiers.tsv entries marked C.\n"
        "Hierarchy inside the kind: skos:broader (see docs/modelling.md).\n"
        "Also the severity scales that grade them and the populations that claims are "
        "restricted to.",
        (
            ("Condition", "Conditions"),
            ("SeverityScale", "Severity scales"),
            ("Population", "Populations"),
        ),
    ),
    Kind(
        "treatments.ttl",
        "Treatments (procedures, drugs, combinations), the devices procedures use and the "
        "products\nthey administer. A clinical triple (hk:treats, hk:actsThrough, "
        "hk:hasAdverseEffect, ...) is\nasserted here only with an hk:Supported claim in "
        "claims.ttl: the shapes refuse it otherwise.\nA device is not a treatment (the two "
        "classes are disjoint): the procedure done with it is.",
        (
            ("Treatment", "Treatments"),
            ("Device", "Devices"),
            ("BiologicalProduct", "Products"),
        ),
    ),
    Kind(
        "cosmetic-options.ttl",
        "Cosmetic options: products that camouflage a condition without treating it.\n"
        "hk:CosmeticOption is disjoint with hk:Treatment: stating that hair extensions "
        '"treat" a\ncondition makes the graph inconsistent under OWL reasoning.',
        (("CosmeticOption", "Cosmetic options"),),
    ),
    Kind(
        "mechanisms.ttl",
        "Mechanisms: biological processes, signalling pathways, growth factors, cells and "
        "structures,\nhormones and enzymes through which treatments act and conditions arise.\n"
        "Animal-only evidence for a mechanism is flagged on its claim (claims.ttl), not here.\n"
        "Cells and anatomical structures are kept apart from mechanisms (disjoint classes).",
        (("Mechanism", "Mechanisms"), ("CellOrStructure", "Cells and anatomical structures")),
    ),
    Kind(
        "studies.ttl",
        "Studies behind the articles' claims, and the evidence levels that rank them.\n"
        "DOIs and PMIDs only as listed in /work/shared/reference/studies.md; none is invented\n"
        "(Chandrashekar 2014 has neither, so it has only its citation).",
        (
            ("EvidenceLevel", "Evidence levels (hk:evidenceRank 1 = strongest)"),
            ("Study", "Studies"),
        ),
    ),
    Kind(
        "claims.ttl",
        "Claims: every clinical statement, reified (rdf:subject / rdf:predicate / rdf:object) "
        "with\nwhere it is stated (hk:statedIn), the studies behind it, its evidence level, its "
        "certainty\nand the editor's verdict (hk:claimStatus). The shapes enforce the rules "
        "(docs/modelling.md):\n\n"
        "  hk:Supported  the triple may be asserted; every asserted clinical triple needs one;\n"
        "  hk:Disputed   the triple is NOT asserted; hk:caveat or hk:disputedBy says why;\n"
        "                studies that agree but cannot establish it are hk:consistentWith, "
        "never\n                hk:supportedBy;\n"
        "  hk:Corrected  the triple is NOT asserted; hk:quote gives the source's own words "
        "and an\n                hk:Correction (below) the corrected statement and its "
        "evidence.\n"
        "A claim's evidence level is never above that of its strongest study; a claim with "
        'no study\nhas the level "no study cited" and says why in skos:editorialNote.',
        (("Claim", "Claims"), ("Correction", "Corrections")),
    ),
    Kind(
        "comparisons.ttl",
        "Comparisons: head-to-head assessments of treatments, each with the study that "
        "reports it,\nthe outcome measure and the treatment it favoured (none where the "
        "result is disputed).",
        (("Comparison", "Comparisons"),),
    ),
    Kind(
        "practice.ttl",
        "Practice: who may perform a treatment, what it costs, its schedule, aftercare and "
        "insurance.\nEach node records the article section it comes from with "
        "prov:wasDerivedFrom.",
        (
            ("Practitioner", "Practitioners"),
            ("CostEstimate", "Cost estimates"),
            ("TreatmentSchedule", "Treatment schedules"),
            ("AftercareInstruction", "Aftercare instructions"),
            ("InsuranceCoverage", "Insurance coverage"),
        ),
    ),
    Kind(
        "articles.ttl",
        "Articles and their sections.\n"
        "The source article has no URL: every schema:url below is a placeholder on "
        "hairclinic.example,\na name under the .example top-level domain that RFC 2606 "
        "reserves for examples. Replace them\nwith the real addresses when they are known. "
        "Publication dates are unknown and left out\n(the shapes report their absence as a "
        "warning) rather than invented.\nRelated articles are recorded from their link titles "
        "and teaser text only.\nSections: dcterms:title is the exact heading; rdfs:label is "
        'the heading too, made unique where\nit would clash with a concept label ("Atrophic '
        'Scarring"). The introduction has no heading.',
        (
            ("Article", "Articles"),
            ("ArticleSection", "Article sections"),
            ("SourceDocument", "Source documents (public pages that state claims)"),
        ),
    ),
)

OTHER_HEADER = (
    "Subjects of the knowledge base without an hk: type. Give each one its kind (rdf:type\n"
    "hk:Condition, hk:Treatment, ...) and `hairkg export --to-files` moves it to that file."
)

ONTOLOGY_HEADER = (
    "hairkg ontology: the vocabulary of the hair-loss content knowledge graph.\n\n"
    "OWL 2 DL. Classes are kinds (hk:Condition, hk:Treatment, ...); specific concepts\n"
    "(androgenetic alopecia, microneedling, EGF, ...) are named individuals in "
    "kb/data/*.ttl,\ntyped by these classes, with skos:broader between them. No punning: a "
    "term is a class,\na property or an individual, never two of these.\n"
    "See docs/modelling.md for the modelling rules."
)

ONTOLOGY_SECTIONS = (
    ("header", "Ontology header"),
    ("external-annotation", "Annotation properties (declared so the ontology stays in OWL 2 DL)"),
    ("external", "External classes and properties used in alignments"),
    ("class", "Classes"),
    ("object", "Object properties"),
    ("datatype", "Datatype properties"),
    ("annotation", "Annotation properties"),
    ("individual", "Individuals"),
    ("other", "Other statements about named terms"),
    ("anonymous", "Axioms about anonymous classes"),
)


def _kind_table() -> dict[str, tuple[int, str, str]]:
    """class IRI → (order, file name, section title)."""
    table = {}
    n = 0
    for kind in KINDS:
        for local, title in kind.sections:
            table[str(HK[local])] = (n, kind.file, title)
            n += 1
    return table


class Layout:
    """The file rule, given the ontology (for the class hierarchy)."""

    def __init__(self, ontology: Graph):
        self.parents: dict[str, list[str]] = defaultdict(list)
        for c, parent in ontology.subject_objects(RDFS.subClassOf):
            if isinstance(c, URIRef) and isinstance(parent, URIRef):
                self.parents[str(c)].append(str(parent))
        self.table = _kind_table()

    def ancestors(self, cls: str) -> list[str]:
        """``cls`` and its superclasses, breadth first (nearest first)."""
        out, queue = [], [cls]
        while queue:
            c = queue.pop(0)
            if c in out:
                continue
            out.append(c)
            queue.extend(sorted(self.parents.get(c, ())))
        return out

    def kind_of(self, types: Iterable[str]) -> tuple[int, str, str] | None:
        """(order, file, section) for a subject with these asserted types, or None."""
        best = None
        for t in types:
            if not t.startswith(str(HK)):
                continue
            chain = self.ancestors(t)
            depth = sum(1 for a in chain if a.startswith(str(HK)))
            entry = next((self.table[a] for a in chain if a in self.table), None)
            if entry is None:
                continue
            key = (-depth, entry[0])
            if best is None or key < best[0]:
                best = (key, entry)
        return best[1] if best else None

    def file_of(self, graph: Graph, subject) -> str:
        """The path (relative to the root) where a knowledge-base subject belongs."""
        kind = self.kind_of(str(t) for t in graph.objects(subject, RDF.type))
        return f"{DATA_DIR}/{kind[1] if kind else OTHER_FILE}"


# --- ordering ----------------------------------------------------------------------------


def hierarchical(subjects: Iterable, parent_of: dict) -> list:
    """Depth-first along ``parent_of`` (subject → parents), roots and siblings by IRI."""
    subjects = sorted(subjects, key=str)
    members = set(subjects)
    children: dict = defaultdict(list)
    roots = []
    for s in subjects:
        parents = sorted((p for p in parent_of.get(s, ()) if p in members and p != s), key=str)
        if parents:
            children[parents[0]].append(s)
        else:
            roots.append(s)
    out: list = []
    seen: set = set()

    def visit(node) -> None:
        if node in seen:
            return
        seen.add(node)
        out.append(node)
        for child in children.get(node, ()):
            visit(child)

    for root in roots:
        visit(root)
    for s in subjects:  # members of a cycle: no root reaches them
        visit(s)
    return out


def _parents(graph: Graph, predicate: URIRef) -> dict:
    out: dict = defaultdict(list)
    for s, o in graph.subject_objects(predicate):
        out[s].append(o)
    return out


# --- planning ----------------------------------------------------------------------------


@dataclass
class FilePlan:
    path: str
    header: str
    graph: Graph
    sections: list[tuple[str | None, list]]


def _is_hk(term) -> bool:
    return isinstance(term, URIRef) and str(term).startswith(str(HK))


def plan_ontology(graph: Graph) -> FilePlan:
    writer = TurtleWriter(graph)
    groups: dict[str, list] = defaultdict(list)
    for s in writer.top_level_subjects():
        types = set(graph.objects(s, RDF.type))
        if isinstance(s, BNode):
            group = "anonymous"
        elif OWL.Ontology in types:
            group = "header"
        elif not _is_hk(s):
            group = "external-annotation" if OWL.AnnotationProperty in types else "external"
        elif OWL.Class in types or RDFS.Class in types:
            group = "class"
        elif OWL.ObjectProperty in types:
            group = "object"
        elif OWL.DatatypeProperty in types:
            group = "datatype"
        elif OWL.AnnotationProperty in types or RDF.Property in types:
            group = "annotation"
        elif OWL.NamedIndividual in types or any(_is_hk(t) for t in types):
            group = "individual"
        else:
            group = "other"
        groups[group].append(s)
    sub_class = _parents(graph, RDFS.subClassOf)
    sub_prop = _parents(graph, RDFS.subPropertyOf)
    sections: list[tuple[str | None, list]] = []
    for key, title in ONTOLOGY_SECTIONS:
        members = groups.get(key, [])
        if key == "anonymous":
            ordered = sorted(members, key=lambda b: bnode_sort_key(writer, b))
        elif key == "class":
            ordered = hierarchical(members, sub_class)
        elif key in ("object", "datatype", "annotation"):
            ordered = hierarchical(members, sub_prop)
        else:
            ordered = sorted(members, key=str)
        sections.append((title, ordered))
    return FilePlan(ONTOLOGY_FILE, f"{ONTOLOGY_HEADER}\n\n{GENERATED}", graph, sections)


def plan_kb(graph: Graph, ontology: Graph) -> list[FilePlan]:
    layout = Layout(ontology)
    writer = TurtleWriter(graph)
    by_file: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    orphans = []
    for s in writer.top_level_subjects():
        if isinstance(s, BNode):
            orphans.append(s)
            continue
        kind = layout.kind_of(str(t) for t in graph.objects(s, RDF.type))
        if kind is None:
            by_file[OTHER_FILE]["Untyped subjects"].append(s)
        else:
            by_file[kind[1]][kind[2]].append(s)
    broader = _parents(graph, SKOS.broader)
    plans = []
    headers = {k.file: k.header for k in KINDS}
    headers[OTHER_FILE] = OTHER_HEADER
    order = {k.file: [t for _c, t in k.sections] for k in KINDS}
    order[OTHER_FILE] = ["Untyped subjects"]
    if orphans:  # blank nodes no named subject uses: keep them, in other.ttl
        by_file[OTHER_FILE]["Anonymous statements"] = orphans
        order[OTHER_FILE].append("Anonymous statements")
    for file in [k.file for k in KINDS] + [OTHER_FILE]:
        groups = by_file.get(file)
        if not groups:
            continue
        sub = Graph()
        sections = []
        for title in order[file]:
            members = groups.get(title, [])
            if title == "Anonymous statements":
                members = sorted(members, key=lambda b: bnode_sort_key(writer, b))
            else:
                members = hierarchical(members, broader)
            for s in members:
                _copy_closure(graph, s, sub)
            sections.append((title, members))
        plans.append(
            FilePlan(f"{DATA_DIR}/{file}", f"{headers[file]}\n\n{GENERATED}", sub, sections)
        )
    return plans


def _copy_closure(graph: Graph, subject, into: Graph) -> None:
    """``subject``'s triples and those of the blank nodes it reaches."""
    stack, seen = [subject], set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for p, o in graph.predicate_objects(node):
            into.add((node, p, o))
            if isinstance(o, BNode):
                stack.append(o)


# --- the check for `hairkg validate` -----------------------------------------------------


__all__ = [
    "KINDS",
    "Kind",
    "Layout",
    "plan_kb",
    "plan_ontology",
]
