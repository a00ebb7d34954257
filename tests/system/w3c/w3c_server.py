"""A dedicated hairkg server for the W3C suites, on a store holding every test's data.

Before the server starts, every data file of the query, results and protocol manifests is
parsed (with its own IRI as base) and bulk-loaded into a fresh Oxigraph directory as a named
graph: query-suite files under their file IRI, protocol files under the name the protocol
manifest gives them. The server finds ``oxigraph/CURRENT`` and so skips building the release.
"""

from __future__ import annotations

from pathlib import Path

import manifests
import pyoxigraph as ox
import pytest
from conftest import start_server

from kb.rdf import META_GRAPH
from kb.store.client import VERSION_PREDICATE, VERSION_SUBJECT
from kb.store.managed import load_file

W3C_TOKEN = "w3c-protocol-secret"
FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES, ".rdf": ox.RdfFormat.RDF_XML}


def _quads(path: Path, graph_name: str):
    graph = ox.NamedNode(graph_name)
    triples = ox.parse(
        path=str(path),
        format=FORMATS[path.suffix],
        base_iri=manifests.file_iri(path),
        rename_blank_nodes=True,  # files share labels like _:a; graphs must not share nodes
    )
    for triple in triples:
        yield ox.Quad(triple.subject, triple.predicate, triple.object, graph)


def version_quad(version: str) -> ox.Quad:
    """The dataset version hairkg records (in its meta graph, which the suites never see)."""
    return ox.Quad(
        VERSION_SUBJECT, VERSION_PREDICATE, ox.Literal(version), ox.NamedNode(META_GRAPH)
    )


def build_w3c_dataset(target: Path) -> int:
    """The suites' data loaded into a fresh Oxigraph directory ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    nquads = target.parent / "w3c.nq"
    count = write_w3c_nquads(nquads)
    load_file(target, nquads)
    return count


def write_w3c_nquads(nquads: Path) -> int:
    """Every data file of the suites as a named graph, and a dataset version, as N-Quads."""
    graphs: dict[str, Path] = {}
    for test in manifests.query_tests():
        for iri in test.data_files:
            graphs[iri] = manifests.iri_path(iri)
    for test in manifests.protocol_tests():
        for name, iri in test.graph_data.items():
            graphs[name] = manifests.iri_path(iri)
    quads = [quad for name, path in sorted(graphs.items()) for quad in _quads(path, name)]
    quads.append(version_quad("w3c"))  # a store that holds no version is not ready (/healthz)
    ox.serialize(quads, output=str(nquads), format=ox.RdfFormat.N_QUADS)
    return len(graphs)


@pytest.fixture(scope="session")
def w3c_server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("w3c")
    build_w3c_dataset(data_dir / "oxigraph")
    # Update tests write with a token; the suites' data is not a hairkg KB, so the write
    # gate runs without its validation step (see docs/sparql.md).
    server = start_server(
        data_dir,
        env={
            "HAIRKG_TOKENS": f"w3c:{W3C_TOKEN}:write",
            "HAIRKG_WRITE_VALIDATION": "off",
            "HAIRKG_DEFAULT_GRAPH_WRITES": "allow",
        },
    )
    yield server
    server.stop()
