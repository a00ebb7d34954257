"""The concept graph in its memory-mapped form (kb.read.columnar.graph): written once as columns
and mapped read-only, it answers every look-up and public method exactly like the in-memory
``EntityGraph`` for every entity, and the descriptions built on it (the JSON card, the model the
Linked Data page renders, the typed views, search entries, the suggester's concepts) are equal;
on the seed release, on a generated graph of thousands of concepts and on a small graph of
edge cases. Its article titles take refreshes (upserts, removals) as an overlay, and a snapshot
written from the mapped graph with its overlay maps back equal."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import release_engine

from kb.read.building.parts import search_entries
from kb.read.columnar.files import open_directory, write_directory
from kb.read.columnar.graph import MappedEntityGraph
from kb.read.columnar.graph_columns import graph_arrays
from kb.read.description.build import describe
from kb.read.description.card import claim_json, entity_card
from kb.read.entities import ARTICLE, RDF_TYPE, EntityGraph, Lit, graph_term
from kb.read.loading import load_articles, load_entity_triples
from kb.read.successors import is_deprecated, live_successors, successor
from kb.read.views import adverse_effects_of, mechanisms_of, treatments_for
from kb.suggest.concepts import concepts_from_graph

REPO = Path(__file__).resolve().parents[2]
KB = "https://w3id.org/hairkg/id/"
HK = "https://w3id.org/hairkg/ontology#"
OWL = "http://www.w3.org/2002/07/owl#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
NOWHERE = [KB + "no-such-entity", "https://elsewhere.example/x", "_:nobody", ""]


def mapped(tmp_path: Path, graph, name: str = "graph") -> MappedEntityGraph:
    """``graph`` written as columns into a snapshot directory and mapped back."""
    write_directory(tmp_path / name, graph_arrays(graph), {}, {}, fmt=1)
    opened = open_directory(tmp_path / name, fmt=1)
    assert opened is not None
    assert all(not a.flags.writeable for a in opened.arrays.values())  # mapped read-only
    return MappedEntityGraph(opened.arrays)


def nodes_of(graph: EntityGraph) -> list[str]:
    """Every IRI and blank node the graph names (subjects, predicates, objects)."""
    found = dict.fromkeys(graph.spo)
    for props in graph.spo.values():
        found |= dict.fromkeys(props)
        for values in props.values():
            found |= dict.fromkeys(v for v in values if isinstance(v, str))
    found |= dict.fromkeys(graph.incoming)
    found |= dict.fromkeys(graph.article_titles)
    return list(found)


def assert_same_storage(memory: EntityGraph, columns: MappedEntityGraph) -> None:
    """The storage's own part: spo, incoming, primary_of, labels, article titles."""
    assert list(columns.spo) == list(memory.spo)  # subjects in the same order
    assert len(columns.spo) == len(memory.spo)
    walked = list(columns.spo.items())
    assert [s for s, _p in walked] == list(memory.spo)
    for (subject, props), expected in zip(walked, memory.spo.values(), strict=True):
        assert list(props.items()) == list(expected.items()), subject  # predicate order too
    assert list(columns.spo.values()) == list(memory.spo.values())
    assert dict(columns.incoming.items()) == memory.incoming
    assert len(columns.incoming) == len(memory.incoming)
    assert list(columns.primary_of.items()) == list(memory.primary_of.items())
    assert dict(columns.article_titles) == memory.article_titles
    assert len(columns.article_titles) == len(memory.article_titles)
    for node in nodes_of(memory) + NOWHERE:
        expected = memory.spo.get(node)
        got = columns.spo.get(node)
        assert (got is None, node in columns.spo) == (expected is None, node in memory.spo)
        if expected is not None:
            assert list(got.items()) == list(expected.items()), node
            assert columns.spo[node] == expected
        assert columns.incoming.get(node, []) == memory.incoming.get(node, []), node
        assert (node in columns.incoming) == (node in memory.incoming)
        assert columns.own_label(node) == memory.own_label(node), node
        assert (node in columns.article_titles) == (node in memory.article_titles)
        assert columns.article_titles.get(node) == memory.article_titles.get(node)
    with pytest.raises(KeyError):
        columns.spo[NOWHERE[0]]
    with pytest.raises(KeyError):
        columns.incoming[NOWHERE[0]]


def answers(graph, node: str) -> dict:
    """Every public method of a ``ConceptGraph`` asked about ``node``."""
    out = {
        "has": graph.has(node),
        "label": graph.label(node),
        "definition": graph.definition(node),
        "direct_types": graph.direct_types(node),
        "superclasses": graph.superclasses(node),
        "all_types": graph.all_types(node),
        "primary_type": graph.primary_type(node),
        "is_class": graph.is_class(node),
        "synonyms": graph.synonyms(node),
        "ref": graph.ref(node),
        "deprecated": is_deprecated(graph, node),
        "successor": successor(graph, node),
    }
    props = graph.spo.get(node, {})
    out["values"] = {p: graph.values(node, p) for p in [*props, RDF_TYPE, RDFS_LABEL]}
    out["value_json"] = [graph.value_json(v) for vs in props.values() for v in vs]
    out["mirrored"] = [
        graph.mirrored(node, p, v) for p, vs in props.items() for v in vs if isinstance(v, str)
    ]
    out["is_a"] = [graph.is_a(node, cls) for cls in (HK + "Treatment", HK + "Condition", ARTICLE)]
    return out


def descriptions(graph, node: str) -> dict:
    """What the JSON card, the Linked Data page and the typed views are built from."""
    out = {"model": describe(graph, node), "card": entity_card(graph, node, (1, 2))}
    if graph.is_a(node, HK + "Claim"):
        out["claim"] = claim_json(graph, node)
    for view in (treatments_for, adverse_effects_of, mechanisms_of):
        out[view.__name__] = view(graph, node)
    return out


def assert_same_answers(
    memory: EntityGraph, columns: MappedEntityGraph, described_sample: int | None = None
) -> None:
    """Every look-up and method for every node; the descriptions of every entity (or of a
    sample of them, for the larger graphs)."""
    assert_same_storage(memory, columns)
    assert list(columns.entities()) == list(memory.entities())
    predicates = {p for props in memory.spo.values() for p in props}
    for prop in sorted(predicates) + NOWHERE:
        assert columns.subjects_with(prop) == memory.subjects_with(prop), prop
    for node in nodes_of(memory) + NOWHERE:
        assert answers(columns, node) == answers(memory, node), node
    described = [e for e in memory.entities() if not e.startswith("_:")]
    if described_sample is not None:
        described = random.Random(5).sample(described, described_sample)
    for entity in described:
        assert descriptions(columns, entity) == descriptions(memory, entity), entity
    assert search_entries(columns) == search_entries(memory)
    assert live_successors(columns) == live_successors(memory)
    assert concepts_from_graph(columns) == concepts_from_graph(memory)


# -- the seed release -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def release_graph(tmp_path_factory, release_dir) -> EntityGraph:
    """The graph the read indexes hold for the seed release, with its articles' titles."""
    location = tmp_path_factory.mktemp("graph-release")
    with release_engine(location, release_dir) as (_engine, store):
        titles = {a.iri: a.title for a in load_articles(store)}
        return EntityGraph(load_entity_triples(store), article_titles=titles)


def test_the_seed_release_mapped_answers_like_the_in_memory_graph(tmp_path, release_graph):
    assert len(release_graph.spo) > 300 and release_graph.primary_of
    assert release_graph.article_titles
    blank = [s for s in release_graph.spo if s.startswith("_:")]
    assert blank, "the release has blank nodes (restrictions, reified details)"
    assert_same_answers(release_graph, mapped(tmp_path, release_graph))


# -- a generated graph ----------------------------------------------------------------------


def _generator():
    spec = importlib.util.spec_from_file_location(
        "generate_synthetic", REPO / "scripts" / "generate_synthetic.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def generated_graph(concepts: int, seed: int) -> EntityGraph:
    """The concepts, claims and ontology of ``scripts/generate_synthetic.py`` (its articles
    are not in the concept graph: a few hundred titles stand for them)."""
    generator = _generator()
    rng = random.Random(seed)
    lines = generator.ontology_lines()
    lines += generator.concept_lines(generator.make_concepts(concepts, rng), rng)
    quads = ox.parse(("\n".join(lines) + "\n").encode(), ox.RdfFormat.N_QUADS)
    triples = [(graph_term(q.subject), q.predicate.value, graph_term(q.object)) for q in quads]
    titles = {f"{KB}article-{i:07d}": f"Synthetic article {i}" for i in range(300)}
    return EntityGraph(triples, article_titles=titles)


def test_a_generated_graph_mapped_answers_like_the_in_memory_graph(tmp_path):
    memory = generated_graph(3000, seed=7)
    assert len(memory.spo) > 8000  # concepts and their claims
    assert_same_answers(memory, mapped(tmp_path, memory), described_sample=1000)


# -- edge cases -----------------------------------------------------------------------------


def test_edge_cases_blank_nodes_languages_datatypes_duplicates(tmp_path):
    a, b, prop, inverse = KB + "a", KB + "b", HK + "treats", HK + "treatedBy"
    triples = [
        (a, RDFS_LABEL, Lit("Å label", "fr")),
        (a, RDFS_LABEL, Lit("a label", "en")),
        (a, RDFS_LABEL, Lit("a label", "en")),  # a duplicate (two graphs): kept once
        (a, prop, b),
        (b, inverse, a),
        (prop, OWL + "inverseOf", inverse),
        (a, HK + "note", Lit(KB + "b")),  # a literal spelled like an IRI is not that IRI
        (a, HK + "count", Lit("3", "", "http://www.w3.org/2001/XMLSchema#integer")),
        (a, HK + "detail", "_:x1"),
        ("_:x1", HK + "dose", Lit("1 mg")),
        ("_:x1", HK + "unit", b),
        (b, RDFS_LABEL, Lit("")),  # an empty label is still a label
        (b, HK + "emoji", Lit("\U0001f9f4 \ud800", "")),  # astral and lone surrogate
    ]
    memory = EntityGraph(triples, article_titles={KB + "art": "A title"})
    assert_same_answers(memory, mapped(tmp_path, memory))
    empty = EntityGraph([])
    assert_same_answers(empty, mapped(tmp_path, empty, "empty"))


# -- article titles: the overlay ------------------------------------------------------------


def test_article_titles_take_upserts_and_removals_and_fold_into_a_new_snapshot(tmp_path):
    memory = generated_graph(200, seed=3)
    columns = mapped(tmp_path, memory)
    changes = [
        ("set", f"{KB}article-0000005", "Retitled"),
        ("set", f"{KB}article-new-1", "New article"),
        ("pop", f"{KB}article-0000007", None),
        ("pop", f"{KB}article-new-1", None),
        ("set", f"{KB}article-new-2", "Another"),
        ("pop", f"{KB}article-0000008", None),
        ("set", f"{KB}article-0000008", "Back again"),
        ("pop", f"{KB}never-an-article", None),
    ]
    for kind, iri, title in changes:  # what IndexHolder.refresh_articles does
        for graph in (memory, columns):
            if kind == "set":
                graph.article_titles[iri] = title
            else:
                graph.article_titles.pop(iri, None)
        assert dict(columns.article_titles) == memory.article_titles
        assert columns.label(iri) == memory.label(iri)
        assert columns.ref(iri) == memory.ref(iri)
    with pytest.raises(KeyError):
        del columns.article_titles[f"{KB}article-0000007"]
    assert columns.label(f"{KB}article-0000007") == "article-0000007"  # removed: humanised
    folded = mapped(tmp_path, columns, "folded")  # a new snapshot, written from the mapped one
    assert_same_storage(memory, folded)
    assert folded.article_titles._changed == {}  # the overlay is in the columns now
