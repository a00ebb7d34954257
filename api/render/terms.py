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
    HK,
    KB,
    KB_GRAPH,
    ONTOLOGY_IRI,
    SKOS,
)
from kb.read.description.terms import iri_text, obo_compact
from kb.store.client import SparqlStore, sparql_term, values_clause

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"


OWL_NS = "http://www.w3.org/2002/07/owl#"


RDF_TYPE = RDF_NS + "type"


RDFS_LABEL = RDFS_NS + "label"


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
        return found or iri_text(iri)

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
                datatype=obo_compact(datatype) if datatype else None,
            )
        if isinstance(node, ox.BlankNode):
            return Term("_:" + node.value, "(unnamed node)", kind="bnode")
        iri = node.value
        return Term(iri, self.label(iri), local_href(iri), external=not is_local(iri))


def is_iri(term: object) -> bool:
    return isinstance(term, ox.NamedNode)
