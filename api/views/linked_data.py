"""Linked Data: every entity IRI of the knowledge base resolves, and so does the ontology.

- ``/id/{name}``: the entity ``https://w3id.org/hairkg/id/{name}`` as an HTML page for people
  (label, definition, types, relations both ways, synonyms, cross-references, claims with
  their sources and corrections, a picture of its neighbourhood) or as Turtle, N-Triples,
  JSON-LD or RDF/XML by ``Accept`` or by extension (``/id/{name}.ttl``, ``.nt``, ``.jsonld``,
  ``.rdf``, ``.html``).
- ``/ontology``: the ontology document (its named graph) in the same formats; the HTML page
  lists the class hierarchy, the properties and the instances of each class.
- ``/.well-known/void``: a VoID description of the dataset, with counts from the store.
- ``/dump.nq``: the whole dataset as N-Quads.

Every fact comes from the store through SPARQL; request values reach a query only as terms
serialised by ``kb.store.client.sparql_term``, and entity names are checked against a strict
pattern before any query is made.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, render_template, request, stream_with_context
from markupsafe import Markup
from rdflib import Graph

from api.errors import problem_response
from api.http import choose, prefers_html, secure_html
from api.render.graph_picture import Neighbour, neighbourhood_svg
from api.state import current_settings, current_store
from kb.rdf import (
    BASE,
    CONTENT_GRAPHS,
    DCTERMS,
    HK,
    ID_PATTERN,
    INFERRED_GRAPH,
    KB,
    KB_GRAPH,
    META_GRAPH,
    OBO,
    OBOINOWL,
    ONTOLOGY_GRAPH,
    ONTOLOGY_IRI,
    PREFIXES,
    SCHEMA,
    SKOS,
)
from kb.rdf import compact as rdf_compact
from kb.store.client import SparqlStore, sparql_term, values_clause

bp = Blueprint("linked_data", __name__)

CODE_VERSION = "ld-1"  # part of every ETag: bump when the pages change shape

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
OWL_NS = "http://www.w3.org/2002/07/owl#"
RDF_TYPE = RDF_NS + "type"
RDFS_LABEL = RDFS_NS + "label"


@dataclass(frozen=True)
class RdfFormat:
    name: str
    media_type: str
    extension: str
    rdflib_format: str


HTML = "text/html"
TURTLE = RdfFormat("Turtle", "text/turtle", "ttl", "turtle")
NTRIPLES = RdfFormat("N-Triples", "application/n-triples", "nt", "nt")
JSONLD = RdfFormat("JSON-LD", "application/ld+json", "jsonld", "json-ld")
RDFXML = RdfFormat("RDF/XML", "application/rdf+xml", "rdf", "xml")
RDF_FORMATS = (TURTLE, NTRIPLES, JSONLD, RDFXML)
BY_EXTENSION = {f.extension: f for f in RDF_FORMATS} | {"json": JSONLD, "owl": RDFXML}
BY_MEDIA_TYPE = {f.media_type: f for f in RDF_FORMATS}
# Turtle first: what a client that accepts anything (curl, */*) gets; browsers rank HTML higher.
OFFERED = [TURTLE.media_type, HTML, JSONLD.media_type, NTRIPLES.media_type, RDFXML.media_type]
# Aliases a client may ask for; the body is the same as the canonical type's.
ALIASES = {"application/json": JSONLD, "text/plain": NTRIPLES, "application/xml": RDFXML}

# -- predicates by the role they play on a page -----------------------------------------------

LABEL_PREDICATES = (RDFS_LABEL, str(SKOS.prefLabel))
DEFINITION_PREDICATES = (str(OBO.IAO_0000115), str(SKOS.definition))
SYNONYM_PREDICATES = {
    str(OBOINOWL.hasExactSynonym): "exact",
    str(OBOINOWL.hasNarrowSynonym): "narrow",
    str(OBOINOWL.hasBroadSynonym): "broad",
    str(OBOINOWL.hasRelatedSynonym): "related",
    str(SKOS.altLabel): "alternative label",
}
XREF_LITERAL_PREDICATES = (str(OBOINOWL.hasDbXref),)
XREF_IRI_PREDICATES = {
    str(SKOS.exactMatch): "exact match",
    str(SKOS.closeMatch): "close match",
    str(SKOS.broadMatch): "broad match",
    str(SKOS.narrowMatch): "narrow match",
    str(SKOS.relatedMatch): "related match",
    OWL_NS + "sameAs": "same as",
    str(SCHEMA.sameAs): "same as",
    RDFS_NS + "seeAlso": "see also",
}
REIFICATION = {RDF_NS + "subject", RDF_NS + "predicate", RDF_NS + "object"}
HIDDEN_TYPES = {OWL_NS + "NamedIndividual", OWL_NS + "Thing"}
CLAIM = str(HK.Claim)
CORRECTION = str(HK.Correction)

# CURIE prefixes of cross-references -> URL templates for their IRIs.
XREF_URLS = {
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_{id}",
    "DOID": "http://purl.obolibrary.org/obo/DOID_{id}",
    "CHEBI": "http://purl.obolibrary.org/obo/CHEBI_{id}",
    "GO": "http://purl.obolibrary.org/obo/GO_{id}",
    "HP": "http://purl.obolibrary.org/obo/HP_{id}",
    "UBERON": "http://purl.obolibrary.org/obo/UBERON_{id}",
    "CL": "http://purl.obolibrary.org/obo/CL_{id}",
    "NCIT": "http://purl.obolibrary.org/obo/NCIT_{id}",
    "PR": "http://purl.obolibrary.org/obo/PR_{id}",
    "MESH": "http://id.nlm.nih.gov/mesh/{id}",
    "HGNC": "https://identifiers.org/hgnc:{id}",
    "UNIPROT": "http://purl.uniprot.org/uniprot/{id}",
    "UNIPROTKB": "http://purl.uniprot.org/uniprot/{id}",
    "PMID": "https://pubmed.ncbi.nlm.nih.gov/{id}/",
    "DOI": "https://doi.org/{id}",
    "WIKIDATA": "http://www.wikidata.org/entity/{id}",
    "SNOMEDCT": "http://snomed.info/id/{id}",
    "UMLS": "https://identifiers.org/umls:{id}",
    "ICD10CM": "https://icd.codes/icd10cm/{id}",
    "DRUGBANK": "https://go.drugbank.com/drugs/{id}",
    "PUBCHEM": "https://pubchem.ncbi.nlm.nih.gov/compound/{id}",
    "CAS": "https://commonchemistry.cas.org/detail?cas_rn={id}",
    "NCBIGENE": "https://www.ncbi.nlm.nih.gov/gene/{id}",
    "ENSEMBL": "https://identifiers.org/ensembl:{id}",
    "UNII": "https://precision.fda.gov/uniisearch/srs/unii/{id}",
}
# IRI namespaces of external vocabularies -> the CURIE prefix people know them by.
XREF_NAMESPACES = [
    ("http://purl.obolibrary.org/obo/MONDO_", "MONDO:"),
    ("http://purl.obolibrary.org/obo/DOID_", "DOID:"),
    ("http://purl.obolibrary.org/obo/CHEBI_", "CHEBI:"),
    ("http://purl.obolibrary.org/obo/GO_", "GO:"),
    ("http://purl.obolibrary.org/obo/HP_", "HP:"),
    ("http://purl.obolibrary.org/obo/UBERON_", "UBERON:"),
    ("http://purl.obolibrary.org/obo/NCIT_", "NCIT:"),
    ("http://purl.obolibrary.org/obo/CL_", "CL:"),
    ("http://id.nlm.nih.gov/mesh/", "MESH:"),
    ("https://id.nlm.nih.gov/mesh/", "MESH:"),
    ("https://identifiers.org/hgnc:", "HGNC:"),
    ("http://identifiers.org/hgnc/", "HGNC:"),
    ("https://identifiers.org/hgnc/", "HGNC:"),
    ("http://purl.uniprot.org/uniprot/", "UniProt:"),
    ("https://www.uniprot.org/uniprot/", "UniProt:"),
    ("https://www.uniprot.org/uniprotkb/", "UniProt:"),
    ("http://www.wikidata.org/entity/", "Wikidata:"),
    ("https://pubmed.ncbi.nlm.nih.gov/", "PMID:"),
    ("https://doi.org/", "DOI:"),
    ("https://go.drugbank.com/drugs/", "DrugBank:"),
    ("https://pubchem.ncbi.nlm.nih.gov/compound/", "PubChem:"),
    ("http://snomed.info/id/", "SNOMEDCT:"),
    ("http://schema.org/", "schema:"),
    ("https://schema.org/", "schema:"),
]


# ============================================================================================
# HTTP plumbing shared by the HTML pages of the service
# ============================================================================================


def html_page(template: str, status: int = 200, **context) -> Response:
    response = Response(render_template(template, **context), status=status, mimetype=HTML)
    response.charset = "utf-8"
    return secure_html(response)


def etag_for(*parts: str) -> str:
    version = current_store().version()
    digest = hashlib.sha256("\x1f".join((CODE_VERSION, version, *parts)).encode()).hexdigest()
    return f'W/"{digest[:32]}"'


def not_modified(etag: str) -> bool:
    """True when the request's If-None-Match names ``etag`` (weak comparison, RFC 9110)."""
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def cached(etag: str, build: Callable[[], Response], *, max_age: int = 300) -> Response:
    """Answers 304 when the client has ``etag``, else the built response, with cache headers."""
    response = Response(status=304) if not_modified(etag) else build()
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.vary.add("Accept")
    return response


def negotiate(extension: str | None) -> str | RdfFormat | None:
    """HTML (the string), an RDF format, or None for 406; an extension overrides Accept."""
    if extension is not None:
        return HTML if extension == "html" else BY_EXTENSION.get(extension)
    accept = request.headers.get("Accept")
    chosen = choose(accept, OFFERED + list(ALIASES))
    if chosen is None:
        return None
    if chosen == HTML:
        return HTML
    return BY_MEDIA_TYPE.get(chosen) or ALIASES[chosen]


def not_acceptable() -> Response:
    """406, varying on Accept."""
    offered = ", ".join(OFFERED)
    response = problem_response(
        406,
        f"none of the requested media types is available; this resource is offered as {offered}",
    )
    response.vary.add("Accept")
    return response


def not_found(what: str) -> Response:
    if prefers_html(request.headers.get("Accept")):
        response = html_page("not_found.html", status=404, what=what)
    else:
        response = problem_response(404, f"{what} is not in the knowledge graph")
    response.vary.add("Accept")
    return response


def split_extension(name: str) -> tuple[str, str | None]:
    stem, dot, extension = name.rpartition(".")
    if dot and (extension in BY_EXTENSION or extension == "html"):
        return stem, extension
    return name, None


def public_base() -> str:
    """This service's base URL (no trailing slash): configured, else from the request."""
    return (current_settings().public_url or request.host_url).rstrip("/")


# ============================================================================================
# Terms: labels, links, compact names
# ============================================================================================


def local_href(iri: str) -> str | None:
    """Where an IRI is browsable: its own page here, or the IRI itself for http(s) IRIs."""
    if iri.startswith(str(KB)):
        return "/id/" + quote(iri[len(str(KB)) :], safe="-_.~")
    if iri == ONTOLOGY_IRI:
        return "/ontology"
    if iri.startswith(str(HK)):
        return "/ontology#" + quote(iri[len(str(HK)) :], safe="-_.~")
    if iri.startswith(("http://", "https://")):
        return iri
    return None


def compact(iri: str) -> str:
    """:func:`kb.rdf.compact`, with OBO terms shown as their ids (``IAO:0000115``)."""
    obo = PREFIXES["obo"]
    if iri.startswith(obo) and "_" in iri[len(obo) :]:
        return iri[len(obo) :].replace("_", ":", 1)
    return rdf_compact(iri)


def is_local(iri: str) -> bool:
    return iri.startswith(BASE)


def pick_label(labels: Iterable[ox.Literal]) -> str | None:
    """English first, then untagged, then any; deterministic."""
    ranked = sorted(
        labels,
        key=lambda lit: (
            {"en": 0, None: 1}.get(lit.language, 2) if lit.language != "" else 1,
            lit.value,
        ),
    )
    return ranked[0].value if ranked else None


@dataclass
class Term:
    """An RDF term as shown on a page."""

    key: str
    label: str
    href: str | None = None
    kind: str = "iri"  # iri, literal, bnode
    language: str | None = None
    datatype: str | None = None
    external: bool = False


class Labeller:
    """Labels for IRIs, fetched from the store in one query per batch."""

    def __init__(self, store: SparqlStore):
        self.store = store
        self.labels: dict[str, str] = {}
        self.kinds: dict[str, str] = {}

    def fetch(self, iris: Iterable[str]) -> None:
        wanted = sorted({i for i in iris if i not in self.labels})
        for start in range(0, len(wanted), 400):
            batch = [ox.NamedNode(i) for i in wanted[start : start + 400]]
            rows = self.store.select(
                "SELECT ?x ?l ?t WHERE { "
                + values_clause("x", batch)
                + f" {{ ?x {sparql_term(ox.NamedNode(RDFS_LABEL))} ?l }}"
                + f" UNION {{ ?x {sparql_term(ox.NamedNode(str(SKOS.prefLabel)))} ?l }}"
                + f" UNION {{ GRAPH {sparql_term(ox.NamedNode(str(KB_GRAPH)))} "
                + f"{{ ?x {sparql_term(ox.NamedNode(RDF_TYPE))} ?t }} }} }}"
            )
            found: dict[str, list[ox.Literal]] = defaultdict(list)
            for row in rows:
                x = row["x"].value
                if row["l"] is not None and isinstance(row["l"], ox.Literal):
                    found[x].append(row["l"])
                t = row["t"]
                if isinstance(t, ox.NamedNode) and t.value.startswith(str(HK)):
                    self.kinds.setdefault(x, t.value[len(str(HK)) :])
            for named in batch:
                self.labels[named.value] = pick_label(found.get(named.value, ())) or ""

    def label(self, iri: str) -> str:
        found = self.labels.get(iri)
        return found or _fallback_label(iri)

    def term(self, node: ox.NamedNode | ox.Literal | ox.BlankNode) -> Term:
        if isinstance(node, ox.Literal):
            datatype = node.datatype.value if node.datatype else None
            if datatype in (
                "http://www.w3.org/2001/XMLSchema#string",
                RDF_NS + "langString",
            ):
                datatype = None
            href = node.value if re.fullmatch(r"https?://\S+", node.value) else None
            if href is not None:
                href = local_href(href) or href
            return Term(
                node.value,
                node.value,
                href=href,
                kind="literal",
                language=node.language,
                datatype=compact(datatype) if datatype else None,
            )
        if isinstance(node, ox.BlankNode):
            return Term("_:" + node.value, "(unnamed node)", kind="bnode")
        iri = node.value
        return Term(iri, self.label(iri), local_href(iri), external=not is_local(iri))


KNOWN_LABELS = {
    RDF_TYPE: "type",
    RDFS_NS + "comment": "comment",
    RDFS_NS + "seeAlso": "see also",
    str(SKOS.scopeNote): "scope note",
    str(SKOS.editorialNote): "editorial note",
    str(SKOS.note): "note",
    str(SKOS.definition): "definition",
    str(SKOS.broader): "broader",
    str(SKOS.narrower): "narrower",
    str(DCTERMS.source): "source",
    str(DCTERMS.title): "title",
    str(SCHEMA.url): "URL",
    str(SCHEMA.datePublished): "date published",
    OWL_NS + "NamedIndividual": "named individual",
}


def _fallback_label(iri: str) -> str:
    if iri in KNOWN_LABELS:
        return KNOWN_LABELS[iri]
    if iri.startswith(str(KB)):
        return iri[len(str(KB)) :].replace("-", " ")
    shown = compact(iri)
    if shown != iri:
        return shown
    for namespace, prefix in XREF_NAMESPACES:
        if iri.startswith(namespace):
            return prefix + iri[len(namespace) :]
    return iri


def xref_link(curie: str) -> tuple[str, str | None]:
    """A cross-reference literal (``MONDO:0005339``) as (text, URL or None)."""
    text = curie.strip()
    if text.startswith(("http://", "https://")):
        return _fallback_label(text), text
    prefix, colon, identifier = text.partition(":")
    if not colon or not identifier:
        return text, None
    template = XREF_URLS.get(prefix.upper().replace("_", ""))
    if template is None:
        return text, None
    identifier = identifier.strip()
    if prefix.upper() == "MESH" and identifier.upper().startswith("MESH:"):
        identifier = identifier[5:]
    return text, template.format(id=quote(identifier, safe=":/-"))


# ============================================================================================
# The entity page
# ============================================================================================


@dataclass
class Statement:
    predicate: Term
    value: Term
    inferred: bool = False
    details: list[tuple[Term, Term]] = field(default_factory=list)  # for blank-node values


@dataclass
class ClaimView:
    node: Term
    role: str  # "subject" or "object": where the entity appears in the claim
    subject: Term | None = None
    predicate: Term | None = None
    object: Term | None = None
    status: Term | None = None
    stated_in: list[Term] = field(default_factory=list)
    supported_by: list[Term] = field(default_factory=list)
    other: list[tuple[Term, Term]] = field(default_factory=list)
    corrections: list[CorrectionView] = field(default_factory=list)


@dataclass
class CorrectionView:
    node: Term
    properties: list[tuple[Term, Term]] = field(default_factory=list)


@dataclass
class EntityView:
    iri: str
    name: str
    label: str
    definitions: list[Term] = field(default_factory=list)
    types: list[tuple[Term, bool]] = field(default_factory=list)  # (class, inferred)
    synonyms: list[tuple[str, Term]] = field(default_factory=list)
    xrefs: list[tuple[str, str, str | None]] = field(default_factory=list)  # (kind, text, url)
    attributes: list[Statement] = field(default_factory=list)
    outgoing: list[Statement] = field(default_factory=list)
    incoming: list[Statement] = field(default_factory=list)
    claims: list[ClaimView] = field(default_factory=list)
    comments: list[Term] = field(default_factory=list)
    picture: Markup | None = None
    deprecated: bool = False


def _graph_is_inferred(graph: ox.NamedNode | None) -> bool:
    return graph is not None and graph.value == str(INFERRED_GRAPH)


def load_entity(store: SparqlStore, iri: str) -> EntityView | None:
    """Everything the page shows about ``iri``, in four queries; None when it is unknown."""
    node = sparql_term(ox.NamedNode(iri))
    out_rows = store.select(
        "SELECT DISTINCT ?g ?p ?o ?bp ?bo WHERE { GRAPH ?g { "
        f"{node} ?p ?o . OPTIONAL {{ FILTER(isBlank(?o)) ?o ?bp ?bo }} }} }}"
    )
    in_rows = store.select(f"SELECT DISTINCT ?g ?s ?p WHERE {{ GRAPH ?g {{ ?s ?p {node} }} }}")
    if not out_rows and not in_rows:
        return None
    rdf_subject, rdf_object = (sparql_term(ox.NamedNode(RDF_NS + x)) for x in ("subject", "object"))
    claim_rows = store.select(
        "SELECT DISTINCT ?c ?role ?dir ?p ?v ?vp ?vv WHERE { "
        f"{{ ?c {rdf_subject} {node} BIND('subject' AS ?role) }} UNION "
        f"{{ ?c {rdf_object} {node} BIND('object' AS ?role) }} "
        "{ ?c ?p ?v BIND('out' AS ?dir) } UNION { ?v ?p ?c BIND('in' AS ?dir) } "
        "OPTIONAL { FILTER(!isLiteral(?v) && (isBlank(?v) || EXISTS { ?v a "
        f"{sparql_term(ox.NamedNode(CORRECTION))} }})) ?v ?vp ?vv }} }}"
    )

    iris = {iri}
    for row in out_rows:
        iris.update(t.value for t in (row["p"], row["o"], row["bp"], row["bo"]) if _is_iri(t))
    for row in in_rows:
        iris.update(t.value for t in (row["s"], row["p"]) if _is_iri(t))
    for row in claim_rows:
        iris.update(
            t.value for t in (row["c"], row["p"], row["v"], row["vp"], row["vv"]) if _is_iri(t)
        )
    labeller = Labeller(store)
    labeller.fetch(iris)

    name = iri[len(str(KB)) :]
    view = EntityView(iri=iri, name=name, label=labeller.label(iri))
    _fill_outgoing(view, out_rows, labeller)
    _fill_incoming(view, in_rows, labeller)
    _fill_claims(view, claim_rows, labeller)
    view.picture = neighbourhood_svg(view.label, _neighbours(view, labeller))
    return view


def _is_iri(term: object) -> bool:
    return isinstance(term, ox.NamedNode)


def _fill_outgoing(view: EntityView, rows: list, labeller: Labeller) -> None:
    # Group per (predicate, object); a fact is inferred only when no asserted graph has it.
    facts: dict[tuple[str, str], dict] = {}
    for row in rows:
        p, o = row["p"], row["o"]
        key = (p.value, str(o))
        fact = facts.setdefault(key, {"p": p, "o": o, "inferred": True, "details": {}})
        if not _graph_is_inferred(row["g"]):
            fact["inferred"] = False
        if row["bp"] is not None:
            fact["details"][(row["bp"].value, str(row["bo"]))] = (row["bp"], row["bo"])
    for fact in sorted(facts.values(), key=lambda f: (f["p"].value, str(f["o"]))):
        p, o, inferred = fact["p"].value, fact["o"], fact["inferred"]
        if p in LABEL_PREDICATES:
            continue
        if p in DEFINITION_PREDICATES and isinstance(o, ox.Literal):
            view.definitions.append(labeller.term(o))
        elif p == RDFS_NS + "comment" and isinstance(o, ox.Literal):
            view.comments.append(labeller.term(o))
        elif p == RDF_TYPE and isinstance(o, ox.NamedNode):
            if o.value not in HIDDEN_TYPES:
                view.types.append((labeller.term(o), inferred))
        elif p in SYNONYM_PREDICATES and isinstance(o, ox.Literal):
            view.synonyms.append((SYNONYM_PREDICATES[p], labeller.term(o)))
        elif p in XREF_LITERAL_PREDICATES and isinstance(o, ox.Literal):
            text, url = xref_link(o.value)
            view.xrefs.append(("database cross-reference", text, url))
        elif p in XREF_IRI_PREDICATES and isinstance(o, ox.NamedNode) and not is_local(o.value):
            view.xrefs.append((XREF_IRI_PREDICATES[p], _fallback_label(o.value), o.value))
        elif p == OWL_NS + "deprecated":
            view.deprecated = isinstance(o, ox.Literal) and o.value in ("true", "1")
        else:
            statement = Statement(labeller.term(fact["p"]), labeller.term(o), inferred)
            if p == str(OBO.IAO_0000119) and isinstance(o, ox.Literal) and not statement.value.href:
                statement.value.href = xref_link(o.value)[1]  # a CURIE such as PMID:123
            statement.details = [
                (labeller.term(bp), labeller.term(bo))
                for bp, bo in sorted(
                    fact["details"].values(), key=lambda d: (d[0].value, str(d[1]))
                )
            ]
            if isinstance(o, ox.Literal):
                view.attributes.append(statement)
            else:
                view.outgoing.append(statement)
    # One entry per external resource, naming every way the entity is mapped to it.
    merged: dict[str, tuple[list[str], str, str | None]] = {}
    for kind, text, url in view.xrefs:
        key = url or text
        if key in merged:
            if kind not in merged[key][0]:
                merged[key][0].append(kind)
        else:
            merged[key] = ([kind], text, url)
    view.xrefs = sorted(
        ((", ".join(kinds), text, url) for kinds, text, url in merged.values()),
        key=lambda x: x[1].lower(),
    )
    # The same text under several predicates (OBO scope + its SKOS mirror): one entry.
    scopes: dict[tuple[str, str | None], list[str]] = {}
    terms: dict[tuple[str, str | None], Term] = {}
    for scope, term in view.synonyms:
        key = (term.label, term.language)
        scopes.setdefault(key, []).append(scope)
        terms[key] = term
    view.synonyms = [
        (
            ", ".join(s for s in scopes[key] if s != "alternative label" or len(scopes[key]) == 1),
            terms[key],
        )
        for key in sorted(terms, key=lambda k: k[0].lower())
    ]
    view.types.sort(key=lambda t: (t[1], t[0].external, t[0].label.lower()))
    view.outgoing.sort(key=lambda s: (s.predicate.label.lower(), s.value.label.lower()))
    view.attributes.sort(key=lambda s: s.predicate.label.lower())


def _fill_incoming(view: EntityView, rows: list, labeller: Labeller) -> None:
    facts: dict[tuple[str, str], dict] = {}
    for row in rows:
        s, p = row["s"], row["p"]
        if p.value in REIFICATION:
            continue  # shown with the claims
        fact = facts.setdefault((p.value, str(s)), {"p": p, "s": s, "inferred": True})
        if not _graph_is_inferred(row["g"]):
            fact["inferred"] = False
    for fact in facts.values():
        view.incoming.append(
            Statement(labeller.term(fact["p"]), labeller.term(fact["s"]), fact["inferred"])
        )
    view.incoming.sort(key=lambda s: (s.predicate.label.lower(), s.value.label.lower()))


def _fill_claims(view: EntityView, rows: list, labeller: Labeller) -> None:
    claims: dict[str, ClaimView] = {}
    corrections: dict[str, dict[str, CorrectionView]] = defaultdict(dict)
    seen: set[tuple] = set()
    for row in sorted(rows, key=lambda r: tuple(str(r[k]) for k in ("c", "dir", "p", "v"))):
        c = row["c"]
        claim = claims.setdefault(str(c), ClaimView(labeller.term(c), row["role"].value))
        p, v, direction = row["p"].value, row["v"], row["dir"].value
        is_correction_node = row["vp"] is not None
        if is_correction_node and not isinstance(v, ox.Literal):
            correction = corrections[str(c)].setdefault(str(v), CorrectionView(labeller.term(v)))
            key = (str(c), str(v), row["vp"].value, str(row["vv"]))
            skip = (*LABEL_PREDICATES, RDF_TYPE, str(HK.corrects))
            if key not in seen and row["vp"].value not in skip:
                seen.add(key)
                correction.properties.append((labeller.term(row["vp"]), labeller.term(row["vv"])))
        key = (str(c), direction, p, str(v))
        if key in seen:
            continue
        seen.add(key)
        if direction == "in":
            if p != str(HK.correctedBy) and not is_correction_node:
                claim.other.append((labeller.term(row["p"]), labeller.term(v)))
            continue
        term = labeller.term(v)
        if p == RDF_NS + "subject":
            claim.subject = term
        elif p == RDF_NS + "predicate":
            claim.predicate = term
        elif p == RDF_NS + "object":
            claim.object = term
        elif p == str(HK.claimStatus):
            claim.status = term
        elif p == str(HK.statedIn):
            claim.stated_in.append(term)
        elif p == str(HK.supportedBy):
            claim.supported_by.append(term)
        elif p in (RDF_TYPE, *LABEL_PREDICATES) or is_correction_node:
            continue
        else:
            claim.other.append((labeller.term(row["p"]), term))
    for key, claim in claims.items():
        claim.corrections = list(corrections[key].values())
        for correction in claim.corrections:
            correction.properties.sort(key=lambda pv: (pv[0].label.lower(), pv[1].label))
    view.claims = sorted(
        claims.values(),
        key=lambda c: (c.status.label if c.status else "", c.node.label.lower()),
    )


def _neighbours(view: EntityView, labeller: Labeller) -> list[Neighbour]:
    found: dict[str, Neighbour] = {}
    for statements, outgoing in ((view.outgoing, True), (view.incoming, False)):
        for statement in statements:
            value = statement.value
            if value.kind != "iri":
                continue
            neighbour = found.setdefault(
                value.key,
                Neighbour(value.key, value.label, value.href, labeller.kinds.get(value.key)),
            )
            (neighbour.outgoing if outgoing else neighbour.incoming).append(
                statement.predicate.label
            )
    # Local entities first, then by how many relations link them, then by label.
    return sorted(
        found.values(),
        key=lambda n: (
            not is_local(n.key),
            -(len(n.outgoing) + len(n.incoming)),
            n.label.lower(),
        ),
    )


# -- RDF descriptions -------------------------------------------------------------------------


def describe_entity(store: SparqlStore, iri: str) -> list[ox.Triple]:
    """The entity's triples both ways, its blank-node values, the claims about it and the
    labels of everything it links to."""
    node = sparql_term(ox.NamedNode(iri))
    label = sparql_term(ox.NamedNode(RDFS_LABEL))
    subject, object_ = (sparql_term(ox.NamedNode(RDF_NS + x)) for x in ("subject", "object"))
    return store.construct(
        "CONSTRUCT { "
        f"{node} ?p ?o . ?o ?bp ?bo . ?s ?q {node} . ?x {label} ?xl . ?c ?cp ?co . "
        "} WHERE { "
        f"{{ {node} ?p ?o OPTIONAL {{ FILTER(isBlank(?o)) ?o ?bp ?bo }} }} "
        f"UNION {{ ?s ?q {node} }} "
        f"UNION {{ {{ {node} ?p2 ?x }} UNION {{ ?x ?q2 {node} }} "
        f"FILTER(isIRI(?x)) ?x {label} ?xl }} "
        f"UNION {{ {{ ?c {subject} {node} }} UNION {{ ?c {object_} {node} }} ?c ?cp ?co }} "
        "}"
    )


_alignment_lock = threading.Lock()
_alignment_cache: dict[str, tuple[dict[str, set[str]], dict[str, set[str]]]] = {}


def schema_alignment(store: SparqlStore) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(property -> schema.org properties, class -> schema.org classes) as the ontology states
    them (rdfs:subPropertyOf / rdfs:subClassOf, transitively), cached per dataset version."""
    version = store.version()
    with _alignment_lock:
        if version in _alignment_cache:
            return _alignment_cache[version]
    ontology = sparql_term(ox.NamedNode(str(ONTOLOGY_GRAPH)))
    schema = json.dumps(str(SCHEMA))
    rows = store.select(
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT DISTINCT ?kind ?term ?target WHERE { GRAPH "
        + ontology
        + " { { ?term rdfs:subPropertyOf+ ?target BIND('p' AS ?kind) } UNION "
        "{ ?term rdfs:subClassOf+ ?target BIND('c' AS ?kind) } } "
        f"FILTER(isIRI(?term) && isIRI(?target) && STRSTARTS(STR(?target), {schema})) }}"
    )
    properties: dict[str, set[str]] = defaultdict(set)
    classes: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        (properties if row["kind"].value == "p" else classes)[row["term"].value].add(
            row["target"].value
        )
    result = (dict(properties), dict(classes))
    with _alignment_lock:
        _alignment_cache.clear()
        _alignment_cache[version] = result
    return result


def schema_view(triples: list[ox.Triple], iri: str, store: SparqlStore) -> list[ox.Triple]:
    """schema.org statements implied by the ontology's alignment, for the entity itself:
    types, aligned properties, and name/description/alternateName/sameAs from the OBO and
    SKOS annotations. Added to every RDF format, so consumers that only know schema.org
    can read the entity."""
    properties, classes = schema_alignment(store)
    entity = ox.NamedNode(iri)
    direct = {
        RDFS_LABEL: "name",
        str(OBO.IAO_0000115): "description",
        str(SKOS.altLabel): "alternateName",
        str(OBOINOWL.hasExactSynonym): "alternateName",
        str(SKOS.exactMatch): "sameAs",
        OWL_NS + "sameAs": "sameAs",
    }
    extra: list[ox.Triple] = []
    rdf_type = ox.NamedNode(RDF_TYPE)
    for triple in triples:
        if triple.subject != entity:
            continue
        p, o = triple.predicate.value, triple.object
        if p == RDF_TYPE and isinstance(o, ox.NamedNode):
            for target in classes.get(o.value, ()):
                extra.append(ox.Triple(entity, rdf_type, ox.NamedNode(target)))
        elif p in direct:
            if direct[p] == "sameAs" and not isinstance(o, ox.NamedNode):
                continue
            extra.append(ox.Triple(entity, ox.NamedNode(str(SCHEMA) + direct[p]), o))
        for target in properties.get(p, ()):
            extra.append(ox.Triple(entity, ox.NamedNode(target), o))
    return extra


JSONLD_CONTEXT: dict = {
    "@vocab": str(SCHEMA),
    **{name: iri for name, iri in PREFIXES.items() if name != "schema"},
    "schema": str(SCHEMA),
    "sameAs": {"@id": str(SCHEMA.sameAs), "@type": "@id"},
    "url": {"@id": str(SCHEMA.url), "@type": "@id"},
    "about": {"@id": str(SCHEMA.about), "@type": "@id"},
    "mentions": {"@id": str(SCHEMA.mentions), "@type": "@id"},
    "possibleTreatment": {"@id": str(SCHEMA.possibleTreatment), "@type": "@id"},
    "adverseOutcome": {"@id": str(SCHEMA.adverseOutcome), "@type": "@id"},
    "riskFactor": {"@id": str(SCHEMA.riskFactor), "@type": "@id"},
    "evidenceLevel": {"@id": str(SCHEMA.evidenceLevel), "@type": "@id"},
}


def serialise(triples: list[ox.Triple], rdf_format: RdfFormat) -> bytes:
    """Triples in the asked format, with the project's prefixes (and JSON-LD @context)."""
    graph = Graph(bind_namespaces="none")
    for name, iri in PREFIXES.items():
        graph.bind(name, iri, override=True)
    if triples:
        graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    if rdf_format is JSONLD:
        data = graph.serialize(format="json-ld", context=JSONLD_CONTEXT, auto_compact=True)
    elif rdf_format is NTRIPLES:
        # rdflib's N-Triples order is arbitrary; sorted lines are stable and diffable.
        lines = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode().splitlines()
        data = "".join(line + "\n" for line in sorted(set(lines)))
    else:
        data = graph.serialize(format=rdf_format.rdflib_format)
    return data.encode("utf-8") if isinstance(data, str) else data


def rdf_response(body: bytes, rdf_format: RdfFormat, *, alias: str | None = None) -> Response:
    mimetype = alias or rdf_format.media_type
    response = Response(body, mimetype=mimetype)
    if mimetype.startswith("text/") or mimetype.endswith("json"):
        response.charset = "utf-8"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def alternates_for(path: str) -> list[dict]:
    return [
        {"name": f.name, "media_type": f.media_type, "href": f"{path}.{f.extension}"}
        for f in RDF_FORMATS
    ]


# -- routes -----------------------------------------------------------------------------------


@bp.get("/id/")
def entity_index():
    return not_found("this entity")


@bp.get("/id/<path:name>")
def entity(name: str):
    stem, extension = split_extension(name)
    if not ID_PATTERN.fullmatch(stem):
        return not_found("this entity")
    chosen = negotiate(extension)
    if chosen is None:
        return not_acceptable()
    store = current_store()
    iri = str(KB) + stem
    media = chosen if chosen == HTML else chosen.media_type
    alias = None
    if extension is None and chosen != HTML:
        accepted = choose(request.headers.get("Accept"), OFFERED + list(ALIASES))
        alias = accepted if accepted in ALIASES else None
    etag = etag_for("entity", stem, media, alias or "")

    if not_modified(etag):
        return cached(etag, lambda: Response(status=304))

    if chosen == HTML:
        view = load_entity(store, iri)
        if view is None:
            return not_found(f"the entity “{stem}”")
        return cached(
            etag,
            lambda: html_page("entity.html", entity=view, alternates=alternates_for(f"/id/{stem}")),
        )
    triples = describe_entity(store, iri)
    if not triples:
        return not_found(f"the entity “{stem}”")
    triples = triples + schema_view(triples, iri, store)
    body = serialise(triples, chosen)
    return cached(etag, lambda: rdf_response(body, chosen, alias=alias))


# ============================================================================================
# The ontology
# ============================================================================================


@dataclass
class OntologyTerm:
    iri: str
    local: str
    label: str
    definition: str | None = None
    parents: list[Term] = field(default_factory=list)
    aligned: list[Term] = field(default_factory=list)
    children: list[OntologyTerm] = field(default_factory=list)
    instances: list[Term] = field(default_factory=list)
    kind: str = ""
    domain: list[Term] = field(default_factory=list)
    range: list[Term] = field(default_factory=list)
    inverse: list[Term] = field(default_factory=list)
    characteristics: list[str] = field(default_factory=list)
    deprecated: bool = False


def load_ontology(store: SparqlStore) -> dict:
    graph = sparql_term(ox.NamedNode(str(ONTOLOGY_GRAPH)))
    kb_graph = sparql_term(ox.NamedNode(str(KB_GRAPH)))
    hk = json.dumps(str(HK))
    rows = store.select(
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>\n"
        "PREFIX owl: <http://www.w3.org/2002/07/owl#>\n"
        f"SELECT ?t ?p ?o WHERE {{ GRAPH {graph} {{ ?t ?p ?o }} "
        f"FILTER(isIRI(?t) && STRSTARTS(STR(?t), {hk})) }}"
    )
    header = store.select(
        f"SELECT ?p ?o WHERE {{ GRAPH {graph} "
        f"{{ {sparql_term(ox.NamedNode(ONTOLOGY_IRI))} ?p ?o }} }}"
    )
    instance_rows = store.select(
        "SELECT DISTINCT ?x ?c WHERE { GRAPH "
        + kb_graph
        + " { ?x a ?c } FILTER(isIRI(?x) && STRSTARTS(STR(?c), "
        + hk
        + ")) }"
    )
    iris = {r["t"].value for r in rows} | {r["o"].value for r in rows if _is_iri(r["o"])}
    iris |= {r["x"].value for r in instance_rows}
    labeller = Labeller(store)
    labeller.fetch(iris)

    terms: dict[str, OntologyTerm] = {}
    kinds = {
        OWL_NS + "Class": "class",
        OWL_NS + "ObjectProperty": "object property",
        OWL_NS + "DatatypeProperty": "datatype property",
        OWL_NS + "AnnotationProperty": "annotation property",
        OWL_NS + "NamedIndividual": "individual",
    }
    characteristics = {
        OWL_NS + "FunctionalProperty": "functional",
        OWL_NS + "InverseFunctionalProperty": "inverse functional",
        OWL_NS + "TransitiveProperty": "transitive",
        OWL_NS + "SymmetricProperty": "symmetric",
        OWL_NS + "AsymmetricProperty": "asymmetric",
        OWL_NS + "IrreflexiveProperty": "irreflexive",
        OWL_NS + "ReflexiveProperty": "reflexive",
    }
    for row in sorted(rows, key=lambda r: (r["t"].value, r["p"].value, str(r["o"]))):
        iri, p, o = row["t"].value, row["p"].value, row["o"]
        term = terms.setdefault(iri, OntologyTerm(iri, iri[len(str(HK)) :], labeller.label(iri)))
        if p == RDF_TYPE and isinstance(o, ox.NamedNode):
            if o.value in kinds and (not term.kind or term.kind == "individual"):
                term.kind = kinds[o.value]
            elif o.value in characteristics:
                term.characteristics.append(characteristics[o.value])
        elif p == str(OBO.IAO_0000115) and isinstance(o, ox.Literal):
            term.definition = term.definition or o.value
        elif p in (RDFS_NS + "subClassOf", RDFS_NS + "subPropertyOf") and _is_iri(o):
            (term.parents if o.value.startswith(str(HK)) else term.aligned).append(labeller.term(o))
        elif p in (str(SKOS.closeMatch), str(SKOS.exactMatch), OWL_NS + "equivalentClass") and (
            _is_iri(o)
        ):
            term.aligned.append(labeller.term(o))
        elif p == RDFS_NS + "domain" and _is_iri(o):
            term.domain.append(labeller.term(o))
        elif p == RDFS_NS + "range" and _is_iri(o):
            term.range.append(labeller.term(o))
        elif p == OWL_NS + "inverseOf" and _is_iri(o):
            term.inverse.append(labeller.term(o))
        elif p == OWL_NS + "deprecated":
            term.deprecated = isinstance(o, ox.Literal) and o.value in ("true", "1")
    for row in instance_rows:
        cls = terms.get(row["c"].value)
        if cls is not None:
            cls.instances.append(labeller.term(row["x"]))
    for term in terms.values():
        term.instances.sort(key=lambda t: t.label.lower())

    classes = {i: t for i, t in terms.items() if t.kind == "class"}
    roots = []
    for term in sorted(classes.values(), key=lambda t: t.label.lower()):
        parents = [p for p in term.parents if p.key in classes]
        if parents:
            for parent in parents:
                classes[parent.key].children.append(term)
        else:
            roots.append(term)
    properties = sorted(
        (t for t in terms.values() if "property" in t.kind),
        key=lambda t: (t.kind, t.label.lower()),
    )
    individuals = sorted(
        (t for t in terms.values() if t.kind in ("individual", "")),
        key=lambda t: t.label.lower(),
    )
    meta: dict[str, list] = defaultdict(list)
    for row in header:
        meta[row["p"].value].append(row["o"])
    return {
        "title": pick_label([o for o in meta[str(DCTERMS.title)] if isinstance(o, ox.Literal)])
        or "hairkg ontology",
        "description": pick_label(
            [o for o in meta[str(DCTERMS.description)] if isinstance(o, ox.Literal)]
        ),
        "version": next((o.value for o in meta[OWL_NS + "versionInfo"]), None),
        "version_iri": next((o.value for o in meta[OWL_NS + "versionIRI"]), None),
        "license": next((o.value for o in meta[str(DCTERMS.license)]), None),
        "roots": roots,
        "classes": sorted(classes.values(), key=lambda t: t.label.lower()),
        "properties": properties,
        "individuals": individuals,
    }


def ontology_triples(store: SparqlStore) -> list[ox.Triple]:
    graph = sparql_term(ox.NamedNode(str(ONTOLOGY_GRAPH)))
    return store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {graph} {{ ?s ?p ?o }} }}")


@bp.get("/ontology")
@bp.get("/ontology.<extension>")
def ontology(extension: str | None = None):
    if extension is not None and extension not in BY_EXTENSION and extension != "html":
        return not_found("this document")
    chosen = negotiate(extension)
    if chosen is None:
        return not_acceptable()
    store = current_store()
    media = chosen if chosen == HTML else chosen.media_type
    etag = etag_for("ontology", media)
    if not_modified(etag):
        return cached(etag, lambda: Response(status=304))
    if chosen == HTML:
        # Documentation and diagrams are rebuilt once per dataset version
        # (api.render.ontology_docs).
        from api.render.ontology_docs import diagrams, per_version

        version = store.version()
        data = per_version("ontology", version, lambda: load_ontology(store))
        return cached(
            etag,
            lambda: html_page(
                "ontology.html",
                ontology=data,
                diagrams=diagrams(version, data, store),
                nav="ontology",
                iri=ONTOLOGY_IRI,
                alternates=alternates_for("/ontology"),
            ),
        )
    body = serialise(ontology_triples(store), chosen)
    return cached(etag, lambda: rdf_response(body, chosen))


# ============================================================================================
# VoID and the dump
# ============================================================================================

_void_lock = threading.Lock()
_void_cache: dict[str, dict] = {}


def dataset_graphs() -> list[str]:
    return list(CONTENT_GRAPHS)


def void_statistics(store: SparqlStore) -> dict:
    """Counts over the union of the ontology, KB and inferred graphs; cached per version."""
    version = store.version()
    with _void_lock:
        if version in _void_cache:
            return _void_cache[version]
    graphs = values_clause("g", [ox.NamedNode(g) for g in dataset_graphs()])
    space = json.dumps(str(KB))
    totals = store.select(
        "SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) "
        "(COUNT(DISTINCT ?p) AS ?properties) (COUNT(DISTINCT ?o) AS ?objects) "
        f"WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ {graphs} GRAPH ?g {{ ?s ?p ?o }} }} }}"
    )[0]
    entities = store.select(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { "
        f"{graphs} GRAPH ?g {{ ?s ?p ?o }} FILTER(isIRI(?s) && STRSTARTS(STR(?s), {space})) }}"
    )[0]
    classes = store.select(
        f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ {graphs} GRAPH ?g {{ ?s a ?c }} }}"
    )[0]
    per_graph = store.select(
        f"SELECT ?g (COUNT(*) AS ?n) WHERE {{ {graphs} GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g"
    )
    partitions = store.select(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { "
        f"{graphs} GRAPH ?g {{ ?s a ?c }} FILTER(isIRI(?s) && STRSTARTS(STR(?s), {space})) }} "
        "GROUP BY ?c ORDER BY ?c"
    )
    stats = {
        "version": version,
        "triples": int(totals["triples"].value),
        "distinctSubjects": int(totals["subjects"].value),
        "properties": int(totals["properties"].value),
        "distinctObjects": int(totals["objects"].value),
        "entities": int(entities["n"].value),
        "classes": int(classes["n"].value),
        "graphs": {row["g"].value: int(row["n"].value) for row in per_graph},
        "classPartitions": {row["c"].value: int(row["n"].value) for row in partitions},
    }
    with _void_lock:
        _void_cache.clear()
        _void_cache[version] = stats
    return stats


def void_triples(store: SparqlStore, base: str) -> list[ox.Triple]:
    stats = void_statistics(store)
    void = "http://rdfs.org/ns/void#"
    xsd_integer = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")

    def n(value: str) -> ox.NamedNode:
        return ox.NamedNode(value)

    def count(value: int) -> ox.Literal:
        return ox.Literal(str(value), datatype=xsd_integer)

    dataset = n(base + "/.well-known/void#hairkg")
    triples = [
        (dataset, n(RDF_TYPE), n(void + "Dataset")),
        (dataset, n(str(DCTERMS.title)), ox.Literal("hairkg", language="en")),
        (
            dataset,
            n(str(DCTERMS.description)),
            ox.Literal(
                "A knowledge graph about hair loss and its treatments: ontology, knowledge "
                "base and inferences.",
                language="en",
            ),
        ),
        (dataset, n(str(DCTERMS.license)), n("https://creativecommons.org/licenses/by/4.0/")),
        (dataset, n(str(HK.datasetVersion)), ox.Literal(stats["version"])),
        (dataset, n(void + "sparqlEndpoint"), n(base + "/sparql")),
        (dataset, n(void + "dataDump"), n(base + "/dump.nq")),
        (dataset, n(void + "uriSpace"), ox.Literal(str(KB))),
        (dataset, n(void + "uriLookupEndpoint"), n(base + "/id/")),
        (dataset, n(void + "vocabulary"), n(ONTOLOGY_IRI)),
        (dataset, n(void + "vocabulary"), n(str(SCHEMA))),
        (dataset, n(void + "vocabulary"), n(str(SKOS))),
        (dataset, n(void + "vocabulary"), n(str(OBOINOWL))),
        (dataset, n(void + "feature"), n("http://www.w3.org/ns/formats/Turtle")),
        (dataset, n(void + "feature"), n("http://www.w3.org/ns/formats/N-Triples")),
        (dataset, n(void + "feature"), n("http://www.w3.org/ns/formats/JSON-LD")),
        (dataset, n(void + "feature"), n("http://www.w3.org/ns/formats/RDF_XML")),
        (dataset, n(void + "triples"), count(stats["triples"])),
        (dataset, n(void + "entities"), count(stats["entities"])),
        (dataset, n(void + "classes"), count(stats["classes"])),
        (dataset, n(void + "properties"), count(stats["properties"])),
        (dataset, n(void + "distinctSubjects"), count(stats["distinctSubjects"])),
        (dataset, n(void + "distinctObjects"), count(stats["distinctObjects"])),
    ]
    for graph, size in sorted(stats["graphs"].items()):
        subset = n(base + "/.well-known/void#graph-" + graph.rsplit("/", 1)[-1])
        triples += [
            (dataset, n(void + "subset"), subset),
            (subset, n(RDF_TYPE), n(void + "Dataset")),
            (subset, n("http://www.w3.org/ns/sparql-service-description#name"), n(graph)),
            (subset, n(void + "triples"), count(size)),
        ]
    for index, (cls, size) in enumerate(sorted(stats["classPartitions"].items())):
        partition = n(base + f"/.well-known/void#class-{index}")
        triples += [
            (dataset, n(void + "classPartition"), partition),
            (partition, n(void + "class"), n(cls)),
            (partition, n(void + "entities"), count(size)),
        ]
    example = store.select(
        "SELECT ?s WHERE { GRAPH "
        + sparql_term(ox.NamedNode(str(KB_GRAPH)))
        + " { ?s a ?c } FILTER(isIRI(?s) && STRSTARTS(STR(?s), "
        + json.dumps(str(KB))
        + ")) } ORDER BY ?s LIMIT 3"
    )
    triples += [(dataset, n(void + "exampleResource"), row["s"]) for row in example]
    return [ox.Triple(*t) for t in triples]


@bp.get("/.well-known/void")
@bp.get("/.well-known/void.<extension>")
def void(extension: str | None = None):
    if extension is not None and extension not in BY_EXTENSION:
        return not_found("this document")
    chosen = negotiate(extension)
    if chosen == HTML and extension is None:
        chosen = TURTLE  # no HTML view: browsers get Turtle, which they show as text
    if chosen is None or chosen == HTML:
        return not_acceptable()
    store = current_store()
    base = public_base()
    etag = etag_for("void", base, chosen.media_type)
    if not_modified(etag):
        return cached(etag, lambda: Response(status=304))
    body = serialise(void_triples(store, base), chosen)
    response = cached(etag, lambda: rdf_response(body, chosen))
    if chosen is TURTLE and prefers_html(request.headers.get("Accept")):
        response.headers["Content-Type"] = "text/plain; charset=utf-8"  # readable in a tab
    return response


@bp.get("/dump.nq")
def dump():
    """The dataset (ontology, knowledge base, inferences) as N-Quads, streamed."""
    store = current_store()
    etag = etag_for("dump")
    if not_modified(etag):
        return cached(etag, lambda: Response(status=304))
    graphs = values_clause("g", [ox.NamedNode(g) for g in dataset_graphs()])
    raw = store.query(
        f"SELECT ?s ?p ?o ?g WHERE {{ {graphs} GRAPH ?g {{ ?s ?p ?o }} }}",
        accept="application/sparql-results+json",
        timeout_s=current_settings().query_timeout_cap_s,
    )

    def lines() -> Iterator[bytes]:
        chunk: list[ox.Quad] = []
        for row in ox.parse_query_results(raw.body, ox.QueryResultsFormat.JSON):
            chunk.append(ox.Quad(row["s"], row["p"], row["o"], row["g"]))
            if len(chunk) >= 2000:
                yield ox.serialize(chunk, format=ox.RdfFormat.N_QUADS)
                chunk = []
        if chunk:
            yield ox.serialize(chunk, format=ox.RdfFormat.N_QUADS)

    def build() -> Response:
        response = Response(stream_with_context(lines()), mimetype="application/n-quads")
        response.headers["Content-Disposition"] = 'inline; filename="hairkg.nq"'
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    return cached(etag, build)


# ============================================================================================
# Home page
# ============================================================================================


@bp.get("/")
def home():
    if not prefers_html(request.headers.get("Accept")):
        return redirect("/.well-known/void", code=303)  # programs: the dataset description
    store = current_store()
    stats = void_statistics(store)
    labeller = Labeller(store)
    labeller.fetch(stats["classPartitions"])
    kinds = sorted(
        (
            (labeller.term(ox.NamedNode(c)), size)
            for c, size in stats["classPartitions"].items()
            if c.startswith(str(HK))
        ),
        key=lambda kv: kv[0].label.lower(),
    )
    return html_page("home.html", stats=stats, kinds=kinds, meta_graph=str(META_GRAPH))
