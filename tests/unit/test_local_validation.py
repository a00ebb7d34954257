"""A scoped write (an article or an entity edit) is validated on its neighbourhood
(kb/local_validation.py), not on a copy of the whole graph: it must accept and reject what a
whole-graph validation accepts and rejects, and leave the same inferred graph."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from kb.rdf import INFERRED_GRAPH
from kb.store.managed import ManagedOxigraph
from kb.writes import documents as editor
from kb.writes.gate import Scope, gate_for
from kb.writes.results import ValidationFailed

pytestmark = pytest.mark.slow  # dealt first under xdist (tests/conftest.py)

KB = "https://w3id.org/hairkg/id/"
HK = "https://w3id.org/hairkg/ontology#"


@pytest.fixture
def stores(tmp_path, release_dir):
    """Two stores with the same release: one written through scopes, one on the whole graph."""
    servers, out = [], []
    for name in ("local", "whole"):
        server = ManagedOxigraph(tmp_path / name, timeout_cap_s=60)
        server.start()
        store = server.store(timeout_s=60)
        store.load_nquads((release_dir / "release.nq").read_bytes())
        store.update(store.set_version_update("seed"))
        servers.append(server)
        out.append((store, gate_for(store, tmp_path / f"{name}-lock", "full")))
    yield out
    for server in servers:
        server.stop()


def article_edit(document):
    s, quads = editor.article_quads(document)

    def edit(memory: ox.Store):
        memory.bulk_extend(quads)

    return s, edit


def apply_both(stores, make_edit, subjects, reads=()):
    """The same change through a scope and on the whole graph: (local result, whole result),
    each a CommitResult or the ValidationFailed raised."""
    results = []
    for (_store, gate), scoped in zip(stores, (True, False), strict=True):
        scope = Scope(frozenset(subjects), frozenset(reads)) if scoped else None
        try:
            results.append(gate.apply(make_edit(), author="test", message="m", scope=scope))
        except ValidationFailed as failed:
            results.append(failed)
    return results


def inferred(store) -> set[str]:
    return {
        f"{r['s']} {r['p']} {r['o']}"
        for r in store.select(
            f"SELECT ?s ?p ?o WHERE {{ GRAPH <{INFERRED_GRAPH}> {{ ?s ?p ?o }} }}"
        )
    }


def errors(result) -> set[tuple[str, str | None]]:
    return {(f.rule, f.node) for f in result.report.errors}


ARTICLE = {
    "id": "local-validation-article",
    "url": "https://hairclinic.example/local-validation",
    "title": "Local validation of a new article",
    "date": "2025-03-04",
    "about": ["androgenetic-alopecia"],
    "mentions": ["topical-minoxidil"],
}


def test_a_new_article_is_validated_locally_with_the_same_outcome(stores):
    s = KB + ARTICLE["id"]
    local, whole = apply_both(stores, lambda: article_edit(ARTICLE)[1], {s})
    assert local.validated == "local" and whole.validated == "full"
    assert local.report.ok and whole.report.ok
    assert set(local.added) == set(whole.added)
    # the same inferred graph as a whole-graph reasoner run
    assert inferred(stores[0][0]) == inferred(stores[1][0])
    # the history names only the article (the related index is updated in place)
    assert local.record.subjects == [s]


@pytest.mark.parametrize(
    "change",
    [
        {"about": ["no-such-concept"]},  # a dangling reference
        {"title": "Topical Minoxidil"},  # the label of another entity, other case
    ],
)
def test_what_the_whole_graph_rejects_is_rejected_locally(stores, change):
    document = {**ARTICLE, **change}
    s = KB + ARTICLE["id"]
    local, whole = apply_both(stores, lambda: article_edit(document)[1], {s})
    assert isinstance(whole, ValidationFailed), "the case must be an error"
    assert isinstance(local, ValidationFailed)
    assert errors(local) <= errors(whole)
    assert errors(local)


@pytest.mark.parametrize(
    "title",
    [
        "microneedling VS. topical MINOXIDIL",  # regex metacharacter '.', other case
        "How much does  microneedling cost?",  # '?' and a double space
        "Atrophic scarring (microneedling for hair loss)",  # parentheses
    ],
)
def test_a_label_equal_up_to_case_and_spaces_is_found_locally(stores, title):
    """The look-up of other nodes' labels is one case-insensitive REGEX: metacharacters in a
    title are matched literally and runs of spaces as any whitespace, as the quality report's
    duplicate rule compares them."""
    s = KB + ARTICLE["id"]
    local, whole = apply_both(stores, lambda: article_edit({**ARTICLE, "title": title})[1], {s})
    assert isinstance(whole, ValidationFailed) and isinstance(local, ValidationFailed)
    assert ("duplicate_label", s) in errors(whole)
    assert ("duplicate_label", s) in errors(local)


def test_a_title_with_metacharacters_and_no_twin_is_accepted(stores):
    document = {**ARTICLE, "title": r"Minoxidil 5% + (PRP) [2x]? a|b ^$ \d* {1}"}
    local, whole = apply_both(stores, lambda: article_edit(document)[1], {KB + ARTICLE["id"]})
    assert local.report.ok and whole.report.ok


def test_a_type_change_is_checked_on_the_nodes_that_reference_it(stores):
    """Retyping a condition breaks the treatments' hk:treats (sh:class): they are focus nodes
    of the local check although the change does not touch them."""
    s = ox.NamedNode(KB + "androgenetic-alopecia")

    def make_edit():
        def edit(memory: ox.Store):
            editor.patch_entity(memory, s, {"types": ["hk:Mechanism"]})

        return edit

    local, whole = apply_both(stores, make_edit, {s.value})
    assert isinstance(whole, ValidationFailed) and isinstance(local, ValidationFailed)
    assert errors(local) <= errors(whole)
    assert any(node and node != s.value for _rule, node in errors(local)), errors(local)


def test_an_entity_edit_with_removals_keeps_the_inferred_graph_equal(stores):
    s = ox.NamedNode(KB + "topical-minoxidil")

    def make_edit():
        def edit(memory: ox.Store):
            # the mechanisms go, and with them their claims (a supported claim's triple is
            # asserted, docs/modelling.md); the entity's other claims stay as they were
            claims = [
                claim
                for claim in editor.describe(memory, s)["claims"]
                if claim["predicate"] != "hk:actsThrough"
            ]
            editor.patch_entity(memory, s, {"relations": {"hk:actsThrough": []}, "claims": claims})

        return edit

    claims = {
        KB + f"claim-topical-minoxidil-acts-through-{m}"
        for m in ("anagen", "potassium-channel-opening", "vasodilation")
    }
    local, whole = apply_both(stores, make_edit, {s.value, *claims})
    assert not isinstance(local, ValidationFailed), local.report.to_text()
    assert not isinstance(whole, ValidationFailed), whole.report.to_text()
    assert local.validated == "local" and local.removed
    only_local = inferred(stores[0][0]) - inferred(stores[1][0])
    only_whole = inferred(stores[1][0]) - inferred(stores[0][0])
    assert (only_local, only_whole) == (set(), set())


def test_ontology_level_changes_are_validated_on_the_whole_graph(stores):
    _store, gate = stores[0]
    s = ox.NamedNode(KB + "telogen-effluvium-local")

    def edit(memory: ox.Store):
        memory.bulk_extend(
            editor.entity_quads(
                s,
                {
                    "id": "telogen-effluvium-local",
                    "types": ["hk:HairLossDisorder"],
                    "label": "telogen effluvium (local test)",
                    "definition": "A hair loss disorder used to test the write gate.",
                    "definitionSource": ["hairkg tests"],
                    "relations": {"skos:broader": ["alopecia"]},  # transitive
                },
            )
        )

    result = gate.apply(edit, author="test", message="m", scope=Scope(frozenset({s.value})))
    assert result.validated == "full"


def test_a_change_outside_the_scope_is_redone_on_the_whole_graph(stores):
    _store, gate = stores[0]
    _s, edit = article_edit(ARTICLE)
    result = gate.apply(edit, author="test", message="m", scope=Scope(frozenset({KB + "other"})))
    assert result.validated == "full" and result.record is not None
