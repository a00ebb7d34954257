"""The one entity description model (kb.read.description) on the real seed release.

The JSON card reads the indexes' in-memory graph, the Linked Data page the entity's
neighbourhood read from the store; both go through ``describe``, and must describe every entity
alike. The expected facts come from the Turtle sources, not from the builder.
"""

from __future__ import annotations

import pytest
from conftest import release_engine
from rdflib import RDF, URIRef

from kb.files.sources import load_asserted
from kb.rdf import HK, KB, KB_GRAPH, OBOINOWL, SKOS
from kb.read.description.build import describe
from kb.read.description.card import entity_card
from kb.read.description.model import EntityDescription, Ref
from kb.read.description.neighbourhood import read_neighbourhood
from kb.read.entities import ARTICLE, EntityGraph
from kb.read.loading import load_entity_triples


@pytest.fixture(scope="module")
def store(tmp_path_factory, release_dir):
    with release_engine(tmp_path_factory.mktemp("description"), release_dir) as (_engine, store):
        yield store


@pytest.fixture(scope="module")
def index_graph(store) -> EntityGraph:
    """The graph the read indexes hold (every non-article statement)."""
    return EntityGraph(load_entity_triples(store))


@pytest.fixture(scope="module")
def kb_graph():
    return load_asserted().graph(URIRef(str(KB_GRAPH)))


def from_store(store, iri: str) -> EntityDescription:
    found = read_neighbourhood(store, iri)
    assert found is not None, iri
    graph, inferred = found
    return describe(graph, iri, inferred)


def shape(description: EntityDescription) -> dict:
    """What both sources must agree on (IRIs and values, in order)."""

    def value(v):
        return v.iri if isinstance(v, Ref) else (v.value, v.language, v.datatype)

    return {
        "label": description.label,
        "type": description.type_name,
        "types": [t.cls.iri for t in description.types],
        "definitions": [value(d) for d in description.definitions],
        "comments": [value(c) for c in description.comments],
        "synonyms": [(s.text, s.language, s.scopes) for s in description.synonyms],
        "xrefs": [(x.text, x.url, x.names, x.kinds) for x in description.xrefs],
        "attributes": [(a.property.iri, value(a.value)) for a in description.attributes],
        "relations": [(r.property.iri, r.direction, r.other.iri) for r in description.relations],
        "claims": [(c.ref.iri, c.role, c.status_name) for c in description.claims],
        "claim corrections": [[x.ref.iri for x in c.corrections] for c in description.claims],
        "corrections": [c.ref.iri for c in description.corrections],
        "deprecated": (description.deprecated, description.successor),
    }


def test_the_index_graph_and_the_store_describe_every_entity_alike(store, index_graph, kb_graph):
    subjects = sorted(
        str(s)
        for s in set(kb_graph.subjects())
        if str(s).startswith(str(KB)) and (s, RDF.type, URIRef(ARTICLE)) not in kb_graph
    )
    assert len(subjects) > 100
    differ = []
    for iri in subjects:
        if shape(describe(index_graph, iri)) != shape(from_store(store, iri)):
            differ.append(iri)
    assert not differ, differ[:10]


def test_statements_only_the_reasoner_made_are_marked_inferred(store, kb_graph):
    iri = str(KB["microneedling"])
    description = from_store(store, iri)
    types = {t.cls.iri: t.inferred for t in description.types}
    for cls in kb_graph.objects(URIRef(iri), RDF.type):
        if str(cls).startswith(str(HK)):
            assert types[str(cls)] is False, cls  # asserted in the kb file
    assert types[str(HK.Treatment)] is True  # a superclass: not stated in the file
    # The in-memory graph does not know which graph holds a statement: nothing is marked.
    assert not any(t.inferred for t in describe(EntityGraph([]), iri).types)


def test_a_link_and_its_inverse_are_shown_once(store):
    description = from_store(store, str(KB["microneedling"]))
    links = {(r.property.iri, r.direction, r.other.iri) for r in description.relations}
    aga = str(KB["androgenetic-alopecia"])
    assert (str(HK.treats), "outgoing", aga) in links
    assert (str(HK.treatedBy), "incoming", aga) not in links
    # every article tagging it, once, in its own section
    tags = [(r.property.iri, r.other.iri) for r in description.tagged_by]
    assert (str(HK.about), str(KB["microneedling-for-hair-loss"])) in tags
    assert len(tags) == len(set(tags))
    assert all(r.other.type == "Article" for r in description.tagged_by)


def test_synonym_scopes_come_from_the_obo_properties(store, kb_graph):
    iri = URIRef(str(KB["microneedling"]))
    description = from_store(store, str(iri))
    scopes = {s.text: s.scopes for s in description.synonyms}
    narrow = {str(x) for x in kb_graph.objects(iri, OBOINOWL.hasNarrowSynonym)}
    alternative = {str(x) for x in kb_graph.objects(iri, SKOS.altLabel)}
    assert "dermarolling" in narrow & alternative
    assert scopes["dermarolling"] == ["narrow"]  # the SKOS mirror does not make it exact
    scoped = {
        str(x)
        for p in (
            OBOINOWL.hasExactSynonym,
            OBOINOWL.hasNarrowSynonym,
            OBOINOWL.hasBroadSynonym,
            OBOINOWL.hasRelatedSynonym,
        )
        for x in kb_graph.objects(iri, p)
    }
    for text in alternative - scoped:
        assert scopes[text] == ["exact"], text
    assert [s.text.casefold() for s in description.synonyms] == sorted(
        s.text.casefold() for s in description.synonyms
    )


def test_claims_carry_status_sources_and_only_their_own_corrections(store, kb_graph):
    correction = URIRef(str(KB["correction-minoxidil-does-not-reduce-dht"]))
    corrected = next(kb_graph.objects(correction, HK.corrects))
    subject = next(kb_graph.objects(corrected, RDF.subject))
    description = from_store(store, str(subject))
    claim = next(c for c in description.claims if c.ref.iri == str(corrected))
    assert claim.status_name == "Corrected"
    assert [c.ref.iri for c in claim.corrections] == [str(correction)]
    assert claim.values(str(HK.statedIn))
    assert str(correction) in [c.ref.iri for c in description.corrections]
    # the claim it puts in place, and a claim stated in it, are not corrected by it
    stated_in_it = [c for c in kb_graph.subjects(HK.statedIn, correction)]
    stated_in_it += list(kb_graph.objects(correction, HK.replacementClaim))
    assert stated_in_it
    for other in stated_in_it:
        about = next(kb_graph.objects(other, RDF.subject))
        found = next(c for c in from_store(store, str(about)).claims if c.ref.iri == str(other))
        assert str(correction) not in [c.ref.iri for c in found.corrections]


def test_the_card_is_the_description_as_json(index_graph):
    iri = str(KB["microneedling"])
    description = describe(index_graph, iri)
    card = entity_card(index_graph, iri, (3, 4))
    assert card["label"] == description.label and card["type"] == description.type_name
    assert [t["iri"] for t in card["types"]] == [t.cls.iri for t in description.types]
    assert card["definition"] == description.definitions[0].value
    assert {(s["text"], s["scope"]) for s in card["synonyms"]} == {
        (s.text, scope) for s in description.synonyms for scope in s.scopes
    }
    items = [
        (
            g["property"]["iri"],
            g["direction"],
            i["object" if g["direction"] == "outgoing" else "subject"]["iri"],
        )
        for g in card["relations"]
        for i in g["items"]
    ]
    assert items == [(r.property.iri, r.direction, r.other.iri) for r in description.relations]
    assert [c["iri"] for c in card["sources"]] == [c.ref.iri for c in description.claims]
    assert card["articles"] == {
        "about": 3,
        "mentions": 4,
        "href": "/api/v1/entities/microneedling/articles",
    }


def test_unknown_entities_and_hostile_iris(store):
    assert read_neighbourhood(store, str(KB["no-such-entity-anywhere"])) is None
    with pytest.raises(ValueError):
        read_neighbourhood(store, str(KB) + "x> ?p ?o } #")


def test_a_correction_citing_a_study_is_a_relation_of_the_study(store, kb_graph):
    cited = [
        (correction, study)
        for correction in kb_graph.subjects(RDF.type, HK.Correction)
        for study in kb_graph.objects(correction, HK.supportedBy)
        if (None, HK.corrects, study) not in kb_graph
    ]
    assert cited, "the seed records corrections supported by studies"
    correction, study = cited[0]
    description = from_store(store, str(study))
    assert str(correction) not in [c.ref.iri for c in description.corrections]
    links = {(r.property.iri, r.direction, r.other.iri) for r in description.relations}
    assert (str(HK.supportedBy), "incoming", str(correction)) in links
