"""TSV templates for bulk additions, in the spirit of ROBOT ``template``.

A template is a tab-separated file: a header row of column names, then one row a term.
Blank lines and lines starting with ``#`` are skipped. Multi-valued cells separate values
with ``|``. Column names are matched case-insensitively, with ``_`` and ``-`` read as spaces.

================== ============================================================
column             triples (``T`` is the row's term)
================== ============================================================
id                 the term: ``kb:name``, a bare ``name`` (→ ``kb:name``) or an IRI
type               ``T a owl:NamedIndividual , hk:Type`` (``Type`` or ``hk:Type``)
label              ``rdfs:label`` and ``skos:prefLabel`` (``@en``)
parent             ``skos:broader`` (ids, as in the id column)
definition         ``obo:IAO_0000115`` (``@en``)
definition source  ``obo:IAO_0000119`` (a PMID, an ontology ID or an article)
exact synonyms     ``oboInOwl:hasExactSynonym`` and ``skos:altLabel`` (``@en``);
                   likewise narrow / broad / related synonyms
xrefs              ``oboInOwl:hasDbXref`` (CURIE strings)
scope note         ``skos:scopeNote``; ``editorial note``: ``skos:editorialNote``
<relation>         an ``hk:`` object property by its label (``treats``, ``has adverse
                   effect``, ``acts through``), local name or CURIE; cells are ids
claim stated in    for every clinical link of the row (a relation whose property is
                   ``hk:requiresClaim``): an ``hk:Supported`` claim, stated in these ids
claim supported by the studies that tested it (``hk:supportedBy``)
claim evidence     its evidence level (an id, e.g. ``evidence-level-no-study-cited``)
level
claim certainty    ``high``, ``moderate``, ``low`` or ``very low`` (or ``hk:LowCertainty``)
claim population   who it applies to (``hk:population``, ids)
claim note         ``skos:editorialNote`` on the claim (why it stands without a study)
================== ============================================================

A clinical link without its claim is refused by the shapes like any write: the claim
columns are how a template records where each link is stated and on what evidence.

The rows' triples are validated together with the existing ontology and data
(:func:`kb.validation.validate.validate_graph`), findings pointing at the template's rows; with
``write=True`` they are merged into ``kb/data`` by the canonical writer (:mod:`kb.files.layout`),
each term into the file of its kind.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef

from kb.rdf import (
    HK,
    IAO_DEFINITION,
    IAO_DEFINITION_SOURCE,
    KB,
    KB_GRAPH,
    OBOINOWL,
    ONTOLOGY_GRAPH,
    PREFIXES,
    SKOS,
    claim_iri,
)

LANG = "en"

# column → (predicate(s), kind of value)
_FIXED: dict[str, tuple[tuple[URIRef, ...], str]] = {
    "label": ((RDFS.label, SKOS.prefLabel), "text"),
    "parent": ((SKOS.broader,), "id"),
    "definition": ((IAO_DEFINITION,), "text"),
    "definition source": ((IAO_DEFINITION_SOURCE,), "string"),
    "exact synonyms": ((OBOINOWL.hasExactSynonym, SKOS.altLabel), "text"),
    "narrow synonyms": ((OBOINOWL.hasNarrowSynonym, SKOS.altLabel), "text"),
    "broad synonyms": ((OBOINOWL.hasBroadSynonym, SKOS.altLabel), "text"),
    "related synonyms": ((OBOINOWL.hasRelatedSynonym, SKOS.altLabel), "text"),
    "xrefs": ((OBOINOWL.hasDbXref,), "string"),
    "scope note": ((SKOS.scopeNote,), "text"),
    "editorial note": ((SKOS.editorialNote,), "text"),
}
_ALIASES = {
    "exact synonym": "exact synonyms",
    "narrow synonym": "narrow synonyms",
    "broad synonym": "broad synonyms",
    "related synonym": "related synonyms",
    "xref": "xrefs",
    "parents": "parent",
    "broader": "parent",
}
_SINGLE = {
    "id",
    "type",
    "label",
    "definition",
    "definition source",
    "claim evidence level",
    "claim certainty",
    "claim note",
}
# claim column → (claim predicate, kind of value); applied to each clinical link of the row
_CLAIM: dict[str, tuple[URIRef, str]] = {
    "claim stated in": (HK.statedIn, "id"),
    "claim supported by": (HK.supportedBy, "id"),
    "claim evidence level": (HK.evidenceLevel, "id"),
    "claim certainty": (HK.certainty, "certainty"),
    "claim population": (HK.population, "id"),
    "claim note": (SKOS.editorialNote, "text"),
}
_CERTAINTY = {
    "high": HK.HighCertainty,
    "moderate": HK.ModerateCertainty,
    "low": HK.LowCertainty,
    "very low": HK.VeryLowCertainty,
}
_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")


class TemplateError(Exception):
    """The template cannot be read: each message is ``FILE:LINE:COLUMN: problem``."""

    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass
class TemplateResult:
    ok: bool
    rows: int
    graph: Graph
    turtle: str
    report_text: str
    report: object = None
    written: list[str] = field(default_factory=list)


def normalise(name: str) -> str:
    key = " ".join(name.strip().lower().replace("_", " ").replace("-", " ").split())
    return _ALIASES.get(key, key)


def relation_columns(ontology: Graph) -> dict[str, URIRef]:
    """Column name → hk: object property, by label, local name and CURIE."""
    out: dict[str, URIRef] = {}
    for prop in ontology.subjects(RDF.type, OWL.ObjectProperty):
        if not str(prop).startswith(str(HK)):
            continue
        local = str(prop)[len(str(HK)) :]
        out[normalise(f"hk:{local}")] = prop
        out[normalise(local)] = prop
        spaced = re.sub(r"(?<!^)(?=[A-Z])", " ", local)
        out[normalise(spaced)] = prop
        for label in ontology.objects(prop, RDFS.label):
            out[normalise(str(label))] = prop
    return out


def parse_id(text: str) -> URIRef | None:
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    if re.match(r"^https?://\S+$", text):
        return URIRef(text)
    prefix, sep, local = text.partition(":")
    if sep and prefix in PREFIXES and (_LOCAL.match(local) or local == ""):
        return URIRef(PREFIXES[prefix] + local)
    if not sep and _LOCAL.match(text):
        return KB[text]
    return None


def parse_type(text: str, ontology: Graph) -> URIRef | None:
    text = text.strip()
    iri = parse_id(text) if ":" in text else HK[text] if _LOCAL.match(text) else None
    if iri is None or (iri, RDF.type, OWL.Class) not in ontology:
        return None
    return iri


def read_template(path: Path, ontology: Graph) -> tuple[Graph, dict[str, tuple[str, int]], int]:
    """The triples of a template, where each term's row is, and the number of rows.
    Raises :class:`TemplateError` listing every problem found."""
    from kb.files.sources import display_path

    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise TemplateError([f"{shown}: cannot read: {e}"]) from e
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1)]
    lines = [(n, line) for n, line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise TemplateError([f"{shown}:1:1: empty template: the first row must name the columns"])
    relations = relation_columns(ontology)
    header_line, header_text = lines[0]
    header = next(csv.reader([header_text], delimiter="\t", quoting=csv.QUOTE_NONE))
    columns: list[tuple[str, tuple[URIRef, ...], str]] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for col, raw in enumerate(header, start=1):
        name = normalise(raw)
        if name in ("id", "type"):
            columns.append((name, (), name))
        elif name in _FIXED:
            preds, kind = _FIXED[name]
            columns.append((name, preds, kind))
        elif name in _CLAIM:
            columns.append((name, (), "claim"))
        elif name in relations:
            columns.append((name, (relations[name],), "id"))
        else:
            known = ", ".join(["id", "type", *_FIXED, *_CLAIM])
            errors.append(
                f"{shown}:{header_line}:{col}: unknown column {raw.strip()!r} (known: {known}, "
                "or an hk: object property such as 'treats', 'has adverse effect', "
                "'acts through')"
            )
            columns.append((name, (), "unknown"))
            continue
        if name in seen:
            errors.append(
                f"{shown}:{header_line}:{col}: column {raw.strip()!r} repeats column {seen[name]}"
            )
        seen[name] = col
    if "id" not in seen and not errors:
        errors.append(f"{shown}:{header_line}:1: the header has no 'id' column")
    if errors:
        raise TemplateError(errors)

    graph = Graph()
    locations: dict[str, tuple[str, int]] = {}
    rows = 0
    for line_no, line in lines[1:]:
        cells = next(csv.reader([line], delimiter="\t", quoting=csv.QUOTE_NONE))
        if len(cells) > len(columns):
            errors.append(
                f"{shown}:{line_no}:{len(columns) + 1}: {len(cells)} cells but "
                f"{len(columns)} columns"
            )
            continue
        cells += [""] * (len(columns) - len(cells))
        id_cell = cells[seen["id"] - 1].strip()
        subject = parse_id(id_cell)
        if subject is None:
            errors.append(
                f"{shown}:{line_no}:{seen['id']}: not an id: {id_cell!r} (use kb:name, a bare "
                "name in lower case with hyphens, or a full IRI)"
            )
            continue
        rows += 1
        locations.setdefault(str(subject), (shown, line_no))
        claim_values: list[tuple[URIRef, object]] = []
        links: list[tuple[URIRef, URIRef]] = []
        for col, ((name, preds, kind), cell) in enumerate(zip(columns, cells, strict=True), 1):
            if name == "id" or not cell.strip():
                continue
            values = [cell.strip()] if name in _SINGLE else cell.split("|")
            values = [v.strip() for v in values if v.strip()]
            for value in values:
                where = f"{shown}:{line_no}:{col}"
                if kind == "type":
                    cls = parse_type(value, ontology)
                    if cls is None:
                        errors.append(f"{where}: unknown type {value!r} (an hk: class)")
                        continue
                    graph.add((subject, RDF.type, OWL.NamedIndividual))
                    graph.add((subject, RDF.type, cls))
                elif kind == "claim":
                    claim_value = _claim_value(name, value, ontology)
                    if claim_value is None:
                        errors.append(f"{where}: not a {name.removeprefix('claim ')}: {value!r}")
                        continue
                    claim_values.append((_CLAIM[name][0], claim_value))
                elif kind == "id":
                    target = parse_id(value)
                    if target is None:
                        errors.append(f"{where}: not an id: {value!r}")
                        continue
                    for p in preds:
                        graph.add((subject, p, target))
                        direct = _clinical(p, ontology)
                        if direct is not None:
                            links.append(
                                (subject, direct, target)
                                if direct == p
                                else (target, direct, subject)
                            )
                elif kind == "text":
                    for p in preds:
                        graph.add((subject, p, Literal(value, lang=LANG)))
                else:
                    for p in preds:
                        graph.add((subject, p, Literal(value)))
        if claim_values:
            for link in links:
                claim = _add_claim(graph, *link, claim_values, ontology)
                locations.setdefault(str(claim), (shown, line_no))
    if errors:
        raise TemplateError(errors)
    return graph, locations, rows


def _claim_value(column: str, value: str, ontology: Graph) -> object | None:
    kind = _CLAIM[column][1]
    if kind == "text":
        return Literal(value, lang=LANG)
    if kind == "certainty":
        key = " ".join(value.lower().replace("-", " ").replace("_", " ").split())
        key = key.removesuffix(" certainty")
        if key in _CERTAINTY:
            return _CERTAINTY[key]
        iri = parse_id(value)
        return iri if iri in _CERTAINTY.values() else None
    return parse_id(value)


def _clinical(predicate: URIRef, ontology: Graph) -> URIRef | None:
    """The clinical property a link states: the predicate itself when it needs a claim
    (``hk:requiresClaim``), the property it is the inverse of when that one does, else None."""
    if (predicate, HK.requiresClaim, Literal(True)) in ontology:
        return predicate
    for inverse in (
        *ontology.objects(predicate, OWL.inverseOf),
        *ontology.subjects(OWL.inverseOf, predicate),
    ):
        if (inverse, HK.requiresClaim, Literal(True)) in ontology:
            return inverse
    return None


def _local(iri: URIRef) -> str:
    return re.split(r"[/#]", str(iri))[-1]


def _add_claim(
    graph: Graph,
    subject: URIRef,
    predicate: URIRef,
    target: URIRef,
    values: list[tuple[URIRef, object]],
    ontology: Graph,
) -> URIRef:
    """The supported claim behind one clinical link of a template row."""
    claim = URIRef(claim_iri(subject, predicate, target))
    words = re.sub(r"(?<!^)(?=[A-Z])", "-", _local(predicate)).lower()
    label = graph.value(subject, RDFS.label) or ontology.value(subject, RDFS.label)
    predicate_label = ontology.value(predicate, RDFS.label) or words.replace("-", " ")
    text = f"{label or _local(subject)} {predicate_label} {_local(target).replace('-', ' ')}"
    graph.add((claim, RDF.type, OWL.NamedIndividual))
    graph.add((claim, RDF.type, HK.Claim))
    graph.add((claim, RDFS.label, Literal(text, lang=LANG)))
    graph.add((claim, RDF.subject, subject))
    graph.add((claim, RDF.predicate, predicate))
    graph.add((claim, RDF.object, target))
    graph.add((claim, HK.claimStatus, HK.Supported))
    for p, o in values:
        graph.add((claim, p, o))
    return claim


def apply_template(
    path: Path, *, root: Path, write: bool = False, reason: bool = True
) -> TemplateResult:
    """Read, validate with the data of ``root`` and (with ``write``) merge a template."""
    from kb.files.sources import load_sources, source_files
    from kb.files.turtle import TurtleWriter
    from kb.files.writing import write_files
    from kb.validation.validate import format_finding, validate_graph

    files = source_files(root)
    loaded = load_sources(files)
    if loaded.errors:
        raise TemplateError([str(e) for e in loaded.errors])
    ontology = loaded.dataset.graph(ONTOLOGY_GRAPH)
    graph, locations, rows = read_template(Path(path), ontology)
    kb = loaded.dataset.graph(KB_GRAPH)
    for t in graph:
        kb.add(t)
    report = validate_graph(
        loaded.dataset,
        reason=reason,
        locations={**loaded.locations, **locations},
        _with_shipped_ontology=False,
    )
    ours = set(locations)
    shown = [
        f
        for f in report.findings
        if f.severity == "error" or (f.node in ours and f.severity == "warning")
    ]
    c = report.counts()
    text = "".join(format_finding(f) + "\n" for f in shown)
    text += ("OK" if report.ok else "FAILED") + f": {c['error']} error(s) with the template's "
    text += f"{rows} row(s) added to the data\n"
    writer = TurtleWriter(graph)
    subjects = sorted({s for s in graph.subjects()}, key=str)
    turtle = writer.document("", [(None, subjects)])
    result = TemplateResult(report.ok, rows, graph, turtle, text, report)
    if write and report.ok:
        written = write_files(ontology, kb, root)
        result.written = written.written
    return result


__all__ = [
    "TemplateError",
    "TemplateResult",
    "apply_template",
    "parse_id",
    "read_template",
    "relation_columns",
]
