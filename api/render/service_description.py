"""The SPARQL 1.1 Service Description of /sparql as triples: the endpoint, its features, result
formats and the dataset's statistics, cached per version."""

from __future__ import annotations

import threading

import pyoxigraph as ox

from kb.rdf import VOID

SD = "http://www.w3.org/ns/sparql-service-description#"


FORMATS_NS = "http://www.w3.org/ns/formats/"


_RESULT_FORMAT_IRIS = [
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
    "RDF_XML",
    "N-Quads",
    "TriG",
]


SD_FORMATS = [
    ("text/turtle", ox.RdfFormat.TURTLE),
    ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/xml", ox.RdfFormat.RDF_XML),
    ("application/json", ox.RdfFormat.JSON_LD),
]


_description_cache: dict[tuple, list[ox.Triple]] = {}


_description_lock = threading.Lock()


def description_triples(
    store, version: str, endpoint: str, allowlist: tuple[str, ...]
) -> list[ox.Triple]:
    """The description of ``endpoint`` (SERVICE allowed when ``allowlist`` is not empty)."""
    key = (endpoint, version, tuple(allowlist))
    cached = _description_cache.get(key)
    if cached is not None:
        return cached
    with _description_lock:
        counts = store.select(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
        )
        default_count = store.select("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
        union = bool(counts) and not store.ask(
            "ASK { GRAPH ?g { ?s ?p ?o } FILTER NOT EXISTS { ?s ?p ?o } }"
        )
    sd = lambda name: ox.NamedNode(SD + name)  # noqa: E731
    void_triples = ox.NamedNode(str(VOID.triples))
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    service = ox.NamedNode(endpoint)
    dataset, default_graph = ox.BlankNode(), ox.BlankNode()
    triples = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(
            service,
            sd("defaultEntailmentRegime"),
            ox.NamedNode("http://www.w3.org/ns/entailment/Simple"),
        ),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, rdf_type, sd("Graph")),
        ox.Triple(default_graph, void_triples, ox.Literal(int(default_count[0]["n"].value))),
    ]
    triples += [
        ox.Triple(service, sd("resultFormat"), ox.NamedNode(FORMATS_NS + name))
        for name in _RESULT_FORMAT_IRIS
    ]
    if union:
        triples.append(ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")))
    if allowlist:
        triples.append(ox.Triple(service, sd("feature"), sd("BasicFederatedQuery")))
    for row in counts:
        named, graph = ox.BlankNode(), ox.BlankNode()
        triples += [
            ox.Triple(dataset, sd("namedGraph"), named),
            ox.Triple(named, rdf_type, sd("NamedGraph")),
            ox.Triple(named, sd("name"), row["g"]),
            ox.Triple(named, sd("graph"), graph),
            ox.Triple(graph, rdf_type, sd("Graph")),
            ox.Triple(graph, void_triples, ox.Literal(int(row["n"].value))),
        ]
    # Grouped by subject (first appearance), so that Turtle writes each node once.
    order = {subject: i for i, subject in reversed(list(enumerate(t.subject for t in triples)))}
    triples.sort(key=lambda t: order[t.subject])
    _description_cache.clear()
    _description_cache[key] = triples
    return triples
