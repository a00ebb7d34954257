"""Linked Data against a real `hairkg serve` process, over raw HTTP.

Every entity IRI of the knowledge base resolves at /id/{name}: as HTML for browsers and as
Turtle, N-Triples, JSON-LD and RDF/XML by Accept or by extension; the ontology resolves at
its IRI; the VoID description's counts agree with COUNT queries through /sparql.

The expected facts come from the Turtle source files, not from the service.
"""

from __future__ import annotations

import html
import json
import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from rdflib import RDF, RDFS, BNode, Dataset, Graph, Literal, Namespace, URIRef

from kb.files.sources import load_asserted
from kb.rdf import HK, KB, KB_GRAPH, OBO, OBOINOWL, ONTOLOGY_GRAPH, ONTOLOGY_IRI, SCHEMA

VOID = Namespace("http://rdfs.org/ns/void#")
IAO_DEFINITION = OBO.IAO_0000115
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FORMATS = {
    "text/turtle": ("ttl", "turtle"),
    "application/n-triples": ("nt", "nt"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/rdf+xml": ("rdf", "xml"),
}


# -- fixtures ---------------------------------------------------------------------------------


@dataclass
class Site:
    url: str

    def get(self, path: str, headers: dict | None = None, timeout: float = 60):
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def select(self, query: str) -> list[dict]:
        body = urllib.parse.urlencode({"query": query}).encode()
        request = urllib.request.Request(
            self.url + "/sparql",
            data=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json",
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)["results"]["bindings"]


@pytest.fixture(scope="module")
def site(request) -> Site:
    """The shared test server; HAIRKG_TEST_URL points the tests at another running one."""
    if os.environ.get("HAIRKG_TEST_URL"):
        return Site(os.environ["HAIRKG_TEST_URL"].rstrip("/"))
    return Site(request.getfixturevalue("server").url)


@pytest.fixture(scope="module")
def asserted() -> Dataset:
    return load_asserted()


@pytest.fixture(scope="module")
def kb_graph(asserted) -> Graph:
    return asserted.graph(URIRef(str(KB_GRAPH)))


@pytest.fixture(scope="module")
def ontology_graph(asserted) -> Graph:
    return asserted.graph(URIRef(str(ONTOLOGY_GRAPH)))


@pytest.fixture(scope="module")
def entity_names(kb_graph) -> list[str]:
    names = {
        str(s)[len(str(KB)) :]
        for s in kb_graph.subjects()
        if isinstance(s, URIRef) and str(s).startswith(str(KB))
    }
    assert len(names) > 20, "the knowledge base should have entities"
    return sorted(names)


def label_of(graph: Graph, subject: URIRef) -> str:
    labels = sorted(graph.objects(subject, RDFS.label), key=lambda x: (x.language != "en", x))
    return str(labels[0]) if labels else ""


@pytest.fixture(scope="module")
def rich_entity(kb_graph, entity_names) -> URIRef:
    """The entity with the most links to other entities that also has a definition and a
    cross-reference: the page that shows the most."""

    def links(name: str) -> int:
        s = KB[name]
        out = [o for o in kb_graph.objects(s) if isinstance(o, URIRef) and str(o).startswith(KB)]
        return len(out)

    candidates = [
        n
        for n in entity_names
        if (KB[n], IAO_DEFINITION, None) in kb_graph
        and (KB[n], OBOINOWL.hasDbXref, None) in kb_graph
    ]
    assert candidates, "some entity has a definition and a cross-reference"
    return KB[max(candidates, key=lambda n: (links(n), n))]


def href(iri: URIRef) -> str:
    return "/id/" + str(iri)[len(str(KB)) :]


# -- HTML -------------------------------------------------------------------------------------


def test_every_entity_resolves_as_html_with_its_label(site, kb_graph, entity_names):
    def fetch(name):
        status, headers, body = site.get(f"/id/{name}", {"Accept": BROWSER_ACCEPT})
        return name, status, headers, body.decode("utf-8")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(fetch, entity_names))
    failures = []
    for name, status, headers, body in results:
        label = label_of(kb_graph, KB[name])
        if status != 200 or not headers["Content-Type"].startswith("text/html"):
            failures.append(f"{name}: {status} {headers['Content-Type']}")
        elif label and html.escape(label, quote=False) not in body:
            failures.append(f"{name}: label {label!r} missing")
        elif "<svg" not in body:
            failures.append(f"{name}: no neighbourhood picture")
    assert not failures, "\n".join(failures[:20])


def test_entity_page_shows_definition_types_relations_both_ways_and_xrefs(
    site, kb_graph, ontology_graph, rich_entity
):
    status, headers, raw = site.get(href(rich_entity), {"Accept": BROWSER_ACCEPT})
    assert status == 200
    page = raw.decode("utf-8")
    unescaped = html.unescape(page)

    assert f"<h1>{html.escape(label_of(kb_graph, rich_entity), quote=False)}" in page
    definition = next(kb_graph.objects(rich_entity, IAO_DEFINITION))
    assert str(definition) in unescaped
    for cls in kb_graph.objects(rich_entity, RDF.type):
        if str(cls).startswith(str(HK)):
            assert f'href="/ontology#{str(cls)[len(str(HK)) :]}"' in page
    # Every relation to another entity, outgoing and incoming, is a link with both ends named.
    for predicate, target in kb_graph.predicate_objects(rich_entity):
        if isinstance(target, URIRef) and str(target).startswith(str(KB)):
            assert f'href="{href(target)}"' in page, f"outgoing {predicate} {target}"
            assert label_of(kb_graph, target) in unescaped
            if str(predicate).startswith(str(HK)):
                assert f'href="/ontology#{str(predicate)[len(str(HK)) :]}"' in page
    for source, predicate in kb_graph.subject_predicates(rich_entity):
        if isinstance(source, URIRef) and predicate not in (RDF.subject, RDF.object):
            assert f'href="{href(source)}"' in page, f"incoming {source} {predicate}"
    # Cross-references are links to the external vocabularies.
    xrefs = [str(x) for x in kb_graph.objects(rich_entity, OBOINOWL.hasDbXref)]
    for xref in xrefs:
        assert xref in unescaped
    known = {
        "MONDO": "http://purl.obolibrary.org/obo/MONDO_",
        "DOID": "http://purl.obolibrary.org/obo/DOID_",
        "MESH": "http://id.nlm.nih.gov/mesh/",
        "CHEBI": "http://purl.obolibrary.org/obo/CHEBI_",
        "GO": "http://purl.obolibrary.org/obo/GO_",
        "HGNC": "https://identifiers.org/hgnc:",
    }
    for xref in xrefs:
        prefix, _, identifier = xref.partition(":")
        if prefix.upper() in known:
            assert f'href="{known[prefix.upper()]}{identifier}"' in page
    for synonym in kb_graph.objects(rich_entity, OBOINOWL.hasExactSynonym):
        assert html.escape(str(synonym), quote=False) in page
    # The page is safe to show: strict headers, no inline script.
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Accept" in headers["Vary"]
    # (the schema.org JSON-LD is a data block, never run: CSP's script-src does not apply)
    assert not re.search(r"<script(?![^>]*\b(src=|type=\"application/ld\+json\"))", page)


def test_xref_iris_of_every_kind_are_links(site, kb_graph):
    """MONDO/DOID/MeSH/ChEBI/GO/HGNC/UniProt: whatever the KB cross-references is linked."""
    wanted = ("MONDO:", "DOID:", "MESH:", "CHEBI:", "GO:", "HGNC:", "UniProtKB:")
    seen = set()
    for subject, xref in kb_graph.subject_objects(OBOINOWL.hasDbXref):
        prefix = next((w for w in wanted if str(xref).startswith(w)), None)
        if prefix is None or prefix in seen or not str(subject).startswith(str(KB)):
            continue
        seen.add(prefix)
        _, _, body = site.get(href(subject), {"Accept": BROWSER_ACCEPT})
        match = re.search(
            r'<a class="external xref" href="([^"]+)"[^>]*>' + re.escape(str(xref)) + "<",
            body.decode(),
        )
        assert match, f"{xref} on {subject} is not a link"
        assert match.group(1).startswith(("http://", "https://"))
    assert seen, "the knowledge base cross-references external vocabularies"


def test_claims_show_sources_status_and_corrections(site, kb_graph):
    corrections = list(kb_graph.subject_objects(HK.corrects))
    assert corrections, "the knowledge base records corrections"
    correction, claim = corrections[0]
    subject = next(kb_graph.objects(claim, RDF.subject))
    status, _, raw = site.get(href(subject), {"Accept": BROWSER_ACCEPT})
    assert status == 200
    page = html.unescape(raw.decode())
    assert "Claims, sources and corrections" in page
    assert f'href="{href(claim)}"' in raw.decode()
    for article in kb_graph.objects(claim, HK.statedIn):
        assert f'href="{href(article)}"' in raw.decode()
    claim_status = next(kb_graph.objects(claim, HK.claimStatus))
    assert f'href="/ontology#{str(claim_status)[len(str(HK)) :]}"' in raw.decode()
    assert "Correction" in page
    statement = next(kb_graph.objects(correction, HK.correctedStatement))
    assert str(statement) in page
    for study in kb_graph.objects(correction, HK.supportedBy):
        assert f'href="{href(study)}"' in raw.decode()


# -- RDF --------------------------------------------------------------------------------------


def parse(body: bytes, rdflib_format: str) -> Graph:
    graph = Graph()
    graph.parse(data=body, format=rdflib_format)
    return graph


def asserted_triples(kb_graph: Graph, entity: URIRef):
    for p, o in kb_graph.predicate_objects(entity):
        if not isinstance(o, BNode):
            yield entity, p, o
    for s, p in kb_graph.subject_predicates(entity):
        if not isinstance(s, BNode):
            yield s, p, entity


def same_literal(graph: Graph, triple) -> bool:
    """rdflib may normalise literal lexical forms (1.50 -> 1.5): compare by value too."""
    s, p, o = triple
    if triple in graph:
        return True
    if isinstance(o, Literal):
        return any(
            isinstance(x, Literal) and x.eq(o) and x.language == o.language
            for x in graph.objects(s, p)
        )
    return False


@pytest.mark.parametrize("media_type", list(FORMATS))
def test_rdf_by_accept_and_by_extension_holds_the_entity_triples(
    site, kb_graph, rich_entity, entity_names, media_type
):
    extension, rdflib_format = FORMATS[media_type]
    sample = [rich_entity] + [KB[n] for n in entity_names[:: max(1, len(entity_names) // 8)]]
    for entity in sample:
        status, headers, body = site.get(href(entity), {"Accept": media_type})
        assert status == 200, (entity, body[:300])
        assert headers["Content-Type"].split(";")[0] == media_type
        assert "Accept" in headers["Vary"]
        graph = parse(body, rdflib_format)
        missing = [t for t in asserted_triples(kb_graph, entity) if not same_literal(graph, t)]
        assert not missing, f"{entity} as {media_type} lacks {missing[:5]}"
        # The extension gives the same document, whatever Accept says.
        status, headers, by_extension = site.get(
            f"{href(entity)}.{extension}", {"Accept": "text/html"}
        )
        assert status == 200
        assert headers["Content-Type"].split(";")[0] == media_type
        assert len(parse(by_extension, rdflib_format)) == len(graph)


def test_jsonld_uses_a_schema_org_compatible_context(site, kb_graph, ontology_graph):
    # An entity whose class the ontology aligns with a schema.org class.
    aligned = {
        cls: target
        for cls, target in ontology_graph.subject_objects(RDFS.subClassOf)
        if isinstance(target, URIRef) and str(target).startswith(str(SCHEMA))
    }
    entity, cls = next(
        (s, o)
        for s, o in sorted(kb_graph.subject_objects(RDF.type))
        if o in aligned and str(s).startswith(str(KB))
    )
    status, _headers, body = site.get(href(entity), {"Accept": "application/ld+json"})
    assert status == 200
    document = json.loads(body)
    context = document["@context"]
    assert context["@vocab"] == str(SCHEMA)
    graph = parse(body, "json-ld")
    assert (entity, RDF.type, cls) in graph
    assert (entity, RDF.type, aligned[cls]) in graph
    label = next(kb_graph.objects(entity, RDFS.label))
    assert (entity, SCHEMA.name, label) in graph
    node = next(
        n for n in document["@graph"] if n["@id"] in (str(entity), "kb:" + href(entity)[4:])
    )
    assert "name" in node  # a schema.org consumer finds schema:name under its usual key
    # A property aligned with a schema.org property is also stated with it.
    sub_properties = {
        p: t
        for p, t in ontology_graph.subject_objects(RDFS.subPropertyOf)
        if str(t).startswith(str(SCHEMA))
    }
    for p, o in kb_graph.predicate_objects(entity):
        if p in sub_properties and not isinstance(o, BNode):
            assert (entity, sub_properties[p], o) in graph


def test_negotiation_errors_and_caching(site, rich_entity):
    status, headers, body = site.get(href(rich_entity), {"Accept": "image/png"})
    assert status == 406
    assert headers["Content-Type"].startswith("application/problem+json")
    assert json.loads(body)["status"] == 406

    status, headers, _ = site.get(href(rich_entity), {"Accept": "text/turtle"})
    etag = headers["ETag"]
    assert status == 200 and etag and "max-age" in headers["Cache-Control"]
    status, headers, body = site.get(
        href(rich_entity), {"Accept": "text/turtle", "If-None-Match": etag}
    )
    assert status == 304 and body == b""
    assert headers["ETag"] == etag
    # Another representation has another tag.
    _, other, _ = site.get(href(rich_entity), {"Accept": "application/ld+json"})
    assert other["ETag"] != etag
    # No Accept (curl's */*) gets Turtle; q-values are honoured.
    _, headers, _ = site.get(href(rich_entity), {"Accept": "*/*"})
    assert headers["Content-Type"].startswith("text/turtle")
    _, headers, _ = site.get(
        href(rich_entity), {"Accept": "text/turtle;q=0.5, application/rdf+xml"}
    )
    assert headers["Content-Type"].startswith("application/rdf+xml")


def test_unknown_entities_are_404_in_html_or_problem_json(site):
    status, headers, body = site.get("/id/no-such-entity-anywhere", {"Accept": BROWSER_ACCEPT})
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
    assert b"Not found" in body
    status, headers, body = site.get("/id/no-such-entity-anywhere", {"Accept": "text/turtle"})
    assert status == 404
    assert headers["Content-Type"].startswith("application/problem+json")
    assert json.loads(body)["status"] == 404
    status, _, _ = site.get("/id/no-such-entity-anywhere.ttl")
    assert status == 404


HOSTILE = [
    "..%2F..%2Fetc%2Fpasswd",
    "../../etc/passwd",
    "%2e%2e%2fontology",
    "x%3E%20%3Fp%20%3Fo%20%7D%20UNION%20%7B%20%3Fs",
    "microneedling%3E",
    "microneedling%20",
    "a%22b",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "x%00y",
    "x%0Ay",
    "-leading-dash",
    ".hidden",
    "a" * 300,
    "caf%C3%A9",
    "x%5Cu003E",
    "microneedling/extra",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_404_and_never_echoed_raw(site, name):
    for accept in (BROWSER_ACCEPT, "text/turtle"):
        status, _headers, body = site.get(f"/id/{name}", {"Accept": accept})
        assert status == 404, (name, status, body[:200])
        assert b"<script>" not in body
        assert b"passwd" not in body and b"alert(" not in body


def test_hostile_names_never_reach_the_store():
    """The name pattern rejects them before any query: the store is never called."""
    from api.app import create_app
    from kb.settings import Settings

    class NoStore:
        calls = 0
        serving = False  # the app may read the store's configuration while it is created

        def __getattr__(self, name):
            # Other blueprints may warm their caches in background threads: only the
            # request's own thread counts.
            if NoStore.serving and threading.current_thread() is threading.main_thread():
                NoStore.calls += 1
                raise AttributeError(f"the store was used ({name})")
            if name == "query_url":
                return "http://127.0.0.1:9/query"
            raise AttributeError(f"the store was used ({name})")

    app = create_app(Settings(store_url="http://127.0.0.1:9"), store=NoStore())
    NoStore.serving = True
    client = app.test_client()
    for name in HOSTILE:
        response = client.get(f"/id/{name}", headers={"Accept": "text/turtle"})
        assert response.status_code == 404, name
    assert NoStore.calls == 0


# -- the ontology -----------------------------------------------------------------------------


def test_ontology_document_resolves_at_its_iri(site, ontology_graph):
    classes = {c for c in ontology_graph.subjects(RDF.type, URIRef(str(RDFS) + "Class"))}
    owl_classes = {
        c
        for c in ontology_graph.subjects(RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class"))
        if str(c).startswith(str(HK))
    }
    assert owl_classes
    for media_type, (extension, rdflib_format) in FORMATS.items():
        status, headers, body = site.get("/ontology", {"Accept": media_type})
        assert status == 200 and headers["Content-Type"].split(";")[0] == media_type
        graph = parse(body, rdflib_format)
        assert (
            URIRef(ONTOLOGY_IRI),
            RDF.type,
            URIRef("http://www.w3.org/2002/07/owl#Ontology"),
        ) in graph
        for cls in owl_classes | classes:
            assert (cls, None, None) in graph, cls
        status, _, _ = site.get(f"/ontology.{extension}")
        assert status == 200
    status, headers, body = site.get("/ontology", {"Accept": BROWSER_ACCEPT})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = html.unescape(body.decode())
    for cls in owl_classes:
        local = str(cls)[len(str(HK)) :]
        assert f'id="{local}"' in page
        assert label_of(ontology_graph, cls) in page
        definition = next(ontology_graph.objects(cls, IAO_DEFINITION), None)
        if definition is not None:
            assert str(definition) in page
    for prop in ontology_graph.subjects(
        RDF.type, URIRef("http://www.w3.org/2002/07/owl#ObjectProperty")
    ):
        if str(prop).startswith(str(HK)):
            assert f'id="{str(prop)[len(str(HK)) :]}"' in page


# -- VoID and the dump ------------------------------------------------------------------------


def count(site: Site, query: str) -> int:
    rows = site.select(query)
    return int(rows[0]["n"]["value"])


GRAPHS = (
    "VALUES ?g { <https://w3id.org/hairkg/graph/ontology> <https://w3id.org/hairkg/graph/kb> "
    "<https://w3id.org/hairkg/graph/inferred> }"
)


def test_void_counts_equal_count_queries(site):
    status, headers, body = site.get("/.well-known/void", {"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    void = parse(body, "turtle")
    dataset = next(void.subjects(RDF.type, VOID.Dataset))
    subsets = set(void.objects(dataset, VOID.subset))
    datasets = set(void.subjects(RDF.type, VOID.Dataset)) - subsets
    assert len(datasets) == 1
    dataset = datasets.pop()

    def value(p):
        return int(next(void.objects(dataset, p)))

    assert value(VOID.triples) == count(
        site,
        f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?p ?o WHERE {{ {GRAPHS} "
        "GRAPH ?g { ?s ?p ?o } } }",
    )
    assert value(VOID.entities) == count(
        site,
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {GRAPHS} GRAPH ?g {{ ?s ?p ?o }} "
        'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "https://w3id.org/hairkg/id/")) }',
    )
    assert value(VOID.classes) == count(
        site, f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ {GRAPHS} GRAPH ?g {{ ?s a ?c }} }}"
    )
    assert value(VOID.properties) == count(
        site, f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ {GRAPHS} GRAPH ?g {{ ?s ?p ?o }} }}"
    )
    assert value(VOID.distinctSubjects) == count(
        site, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {GRAPHS} GRAPH ?g {{ ?s ?p ?o }} }}"
    )
    assert str(next(void.objects(dataset, VOID.uriSpace))) == str(KB)
    endpoint = next(void.objects(dataset, VOID.sparqlEndpoint))
    assert str(endpoint).endswith("/sparql")
    assert URIRef(ONTOLOGY_IRI) in set(void.objects(dataset, VOID.vocabulary))
    dump = next(void.objects(dataset, VOID.dataDump))
    assert str(dump).endswith("/dump.nq")

    # The dump holds every quad of the described graphs.
    status, headers, body = site.get("/dump.nq")
    assert status == 200 and headers["Content-Type"].startswith("application/n-quads")
    dumped = Dataset()
    dumped.parse(data=body, format="nquads")
    per_graph = defaultdict(int)
    for _s, _p, _o, g in dumped.quads((None, None, None, None)):
        per_graph[str(g.identifier if hasattr(g, "identifier") else g)] += 1
    for subset in subsets:
        name = str(
            next(
                void.objects(subset, URIRef("http://www.w3.org/ns/sparql-service-description#name"))
            )
        )
        assert per_graph[name] == int(next(void.objects(subset, VOID.triples))), name

    # Other formats by Accept.
    for media_type, (_, rdflib_format) in FORMATS.items():
        status, headers, body = site.get("/.well-known/void", {"Accept": media_type})
        assert status == 200 and headers["Content-Type"].split(";")[0] == media_type
        assert len(parse(body, rdflib_format)) == len(void)


def test_home_page_links_everything(site):
    status, headers, body = site.get("/", {"Accept": BROWSER_ACCEPT})
    assert status == 200
    page = body.decode()
    for link in ('href="/sparql"', 'href="/ontology"', 'href="/api/v1/docs"', "/.well-known/void"):
        assert link in page
    assert "Content-Security-Policy" in headers
