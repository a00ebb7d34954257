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

from rdflib import OWL, RDF, Graph, URIRef
from test_hardening_common import canary

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
