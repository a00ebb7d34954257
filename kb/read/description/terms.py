"""Terms as people read them, whatever shows them: cross-reference CURIEs and their URLs, the
labels of well-known IRIs that no graph labels."""

from __future__ import annotations

from urllib.parse import quote

from kb.rdf import DCTERMS, KB, PREFIXES, SCHEMA, SKOS, compact
from kb.read.entities import OWL, RDF_TYPE, RDFS_COMMENT

RDFS_SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"

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

KNOWN_LABELS = {
    RDF_TYPE: "type",
    RDFS_COMMENT: "comment",
    RDFS_SEE_ALSO: "see also",
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
    OWL + "NamedIndividual": "named individual",
}


def obo_compact(iri: str) -> str:
    """:func:`kb.rdf.compact`, with OBO terms shown as their ids (``IAO:0000115``)."""
    obo = PREFIXES["obo"]
    if iri.startswith(obo) and "_" in iri[len(obo) :]:
        return iri[len(obo) :].replace("_", ":", 1)
    return compact(iri)


def iri_text(iri: str) -> str:
    """How an IRI is written when nothing labels it: a known label, the entity's name, a CURIE
    (``MONDO:0005339``, ``hk:treats``), else the IRI."""
    if iri in KNOWN_LABELS:
        return KNOWN_LABELS[iri]
    if iri.startswith(str(KB)):
        return iri[len(str(KB)) :].replace("-", " ")
    shown = obo_compact(iri)
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
        return iri_text(text), text
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
