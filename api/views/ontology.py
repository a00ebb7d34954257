"""The ontology at /ontology: its HTML documentation (classes, properties, hierarchy, diagrams) and
the ontology graph in every RDF format."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from flask import Blueprint, Response

from api.http import (
    alternates_for,
    cached,
    etag_for,
    html_page,
    negotiate,
    not_acceptable,
    not_found,
    not_modified,
    rdf_response,
)
from api.render.rdf_formats import (
    BY_EXTENSION,
    HTML,
    serialise,
)
from api.render.terms import (
    OWL_NS,
    RDF_TYPE,
    RDFS_NS,
    Labeller,
    Term,
    is_iri,
    pick_label,
)
from api.state import current_store
from kb.rdf import (
    DCTERMS,
    HK,
    KB_GRAPH,
    OBO,
    ONTOLOGY_GRAPH,
    ONTOLOGY_IRI,
    SKOS,
)
from kb.store.client import SparqlStore, sparql_term

bp = Blueprint("ontology", __name__)


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
    iris = {r["t"].value for r in rows} | {r["o"].value for r in rows if is_iri(r["o"])}
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
        elif p in (RDFS_NS + "subClassOf", RDFS_NS + "subPropertyOf") and is_iri(o):
            (term.parents if o.value.startswith(str(HK)) else term.aligned).append(labeller.term(o))
        elif p in (str(SKOS.closeMatch), str(SKOS.exactMatch), OWL_NS + "equivalentClass") and (
            is_iri(o)
        ):
            term.aligned.append(labeller.term(o))
        elif p == RDFS_NS + "domain" and is_iri(o):
            term.domain.append(labeller.term(o))
        elif p == RDFS_NS + "range" and is_iri(o):
            term.range.append(labeller.term(o))
        elif p == OWL_NS + "inverseOf" and is_iri(o):
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
