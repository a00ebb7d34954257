"""The dataset: its home page, its VoID description at /.well-known/void and the dump at
/dump.nq."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pyoxigraph as ox
from flask import Blueprint, Response, redirect, request, stream_with_context

from api.http import (
    cached,
    etag_for,
    html_page,
    negotiate,
    not_acceptable,
    not_found,
    not_modified,
    open_to_every_origin,
    prefers_html,
    public_base,
    rdf_response,
)
from api.render.rdf_formats import (
    BY_EXTENSION,
    HTML,
    TURTLE,
    serialise,
)
from api.render.terms import (
    RDF_TYPE,
    Labeller,
)
from api.state import current_settings, current_store
from kb.rdf import (
    CONTENT_GRAPHS,
    DCTERMS,
    HK,
    KB,
    KB_GRAPH,
    META_GRAPH,
    OBOINOWL,
    ONTOLOGY_IRI,
    SCHEMA,
    SKOS,
)
from kb.releases.dated import versions
from kb.store.client import SparqlStore, sparql_term, values_clause

bp = Blueprint("dataset", __name__)


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


def void_triples(store: SparqlStore, base: str, releases: list[str] = ()) -> list[ox.Triple]:
    """The live dataset's VoID; ``releases``: the dated releases (kb.releases.dated) it links
    as its versions (dcterms:hasVersion, described at /releases/{version}/void.ttl)."""
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
    for version in releases:
        release = n(f"{base}/releases/{version}/void.ttl#dataset")
        triples += [
            (dataset, n(str(DCTERMS.hasVersion)), release),
            (release, n(RDF_TYPE), n(void + "Dataset")),
            (release, n(str(DCTERMS.identifier)), ox.Literal(version)),
            (release, n(void + "dataDump"), n(f"{base}/releases/{version}/release.nq.gz")),
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
    releases = versions(current_settings().releases_path())
    etag = etag_for("void", base, chosen.media_type, *releases)
    if not_modified(etag):
        return cached(etag, lambda: Response(status=304))
    body = serialise(void_triples(store, base, releases), chosen)
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
        return open_to_every_origin(response)

    return cached(etag, build)


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
