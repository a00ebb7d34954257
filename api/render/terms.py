"""Terms as people read them: labels (fetched in batches), links to their pages, compact names and
cross-references."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph as ox

from kb.rdf import (
    BASE,
    DCTERMS,
    HK,
    KB,
    KB_GRAPH,
    ONTOLOGY_IRI,
    PREFIXES,
    SCHEMA,
    SKOS,
)
from kb.rdf import compact as rdf_compact
from kb.store.client import SparqlStore, sparql_term, values_clause

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"


OWL_NS = "http://www.w3.org/2002/07/owl#"


RDF_TYPE = RDF_NS + "type"


RDFS_LABEL = RDFS_NS + "label"


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
