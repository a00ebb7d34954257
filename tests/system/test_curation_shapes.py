"""The shapes of issue 17 (parts 2 and 3) on the shipped graph, through both checks a write can
get (the whole-graph validation and the neighbourhood check of scoped writes), in the style of
tests/system/test_trusted_knowledge.py, whose helpers this module uses:

- a deprecated term names a successor (``dcterms:isReplacedBy`` or ``obo:IAO_0100001``) or the
  reason it has none (``hk:deprecationReason``);
- a successor is not itself deprecated without a successor, and successors never loop;
- a deprecated treatment no longer has to say what it treats (its successor does);
- an editors' pick pins one existing article at one rank, of exactly one other article; an
  article is not pinned twice, nor both pinned and blocked; only articles are blocked.
"""

from __future__ import annotations

import pytest
from test_trusted_knowledge import (
    Case,
    change,
    insert,
    local_errors,
    naming,
    shipped,  # noqa: F401 - the module-scoped fixture, used by name
    whole_graph_errors,
)

pytestmark = pytest.mark.slow  # dealt first under xdist (tests/conftest.py)

PICK = "kb:microneedling-for-hair-loss"


def pick(rank: int, article: str, node: str | None = None, owner: str = PICK) -> str:
    node = node or f"<https://w3id.org/hairkg/id/microneedling-for-hair-loss#pick-{rank}>"
    return (
        f"{owner} hk:hasEditorsPick {node} . {node} a hk:EditorsPick , owl:NamedIndividual ; "
        f'rdfs:label "editors\' pick {rank} of {owner} {article}"@en ; '
        f"hk:pickedArticle {article} ; hk:pickRank {rank} . "
    )


def with_more_prefixes(update: str) -> str:
    return (
        "PREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "PREFIX obo: <http://purl.obolibrary.org/obo/>\n" + update
    )


CASES = [
    Case(
        "a deprecated term without a successor or a reason",
        insert("kb:at-home-dermaroller owl:deprecated true ."),
        "kb:at-home-dermaroller",
        "A deprecated term needs a successor (dcterms:isReplacedBy) or the reason",
    ),
    Case(
        "a successor deprecated without a successor",
        with_more_prefixes(
            insert(
                "kb:at-home-dermaroller owl:deprecated true ; "
                "dcterms:isReplacedBy kb:topical-minoxidil . "
                'kb:topical-minoxidil owl:deprecated true ; hk:deprecationReason "test"@en .'
            )
        ),
        "kb:at-home-dermaroller",
        "is itself deprecated without a successor",
    ),
    Case(
        "successors that loop",
        with_more_prefixes(
            insert(
                "kb:at-home-dermaroller owl:deprecated true ; "
                "dcterms:isReplacedBy kb:topical-minoxidil . "
                "kb:topical-minoxidil owl:deprecated true ; "
                "dcterms:isReplacedBy kb:at-home-dermaroller ."
            )
        ),
        "kb:topical-minoxidil",
        "leads back to it",
    ),
    Case(
        "an article pinned on its own related content",
        insert(pick(1, PICK)),
        "https://w3id.org/hairkg/id/microneedling-for-hair-loss#pick-1",
        "does not pin that article itself",
    ),
    Case(
        "an article pinned twice",
        insert(pick(1, "kb:prp-for-hair-loss") + pick(2, "kb:prp-for-hair-loss")),
        PICK,
        "is pinned twice",
    ),
    Case(
        "an article pinned and blocked",
        insert(
            pick(1, "kb:prp-for-hair-loss") + f"{PICK} hk:blockedRelated kb:prp-for-hair-loss ."
        ),
        PICK,
        "both pinned and blocked",
    ),
    Case(
        "a concept blocked as if it were an article",
        insert(f"{PICK} hk:blockedRelated kb:alopecia ."),
        PICK,
        "Only articles can be blocked",
    ),
    Case(
        "a pick of a concept",
        insert(pick(1, "kb:alopecia")),
        "https://w3id.org/hairkg/id/microneedling-for-hair-loss#pick-1",
        "pins exactly one article",
    ),
]


def _naming(errors, case: Case):
    """``naming`` of test_trusted_knowledge, for a node given as a full IRI too."""
    if case.node.startswith("https://"):
        return [e for e in errors if e.node == case.node and case.says in e.message]
    return naming(errors, case)


def _show(errors) -> str:
    return "\n".join(f"{e.node}: {e.message}" for e in errors)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_refused_by_the_whole_graph_check(shipped, case):  # noqa: F811
    _store, quads = shipped
    after, _added, _removed = change(quads, case.update)
    errors = whole_graph_errors(after)
    assert _naming(errors, case), _show(errors)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_refused_by_the_neighbourhood_check(shipped, case):  # noqa: F811
    store, quads = shipped
    _after, added, removed = change(quads, case.update)
    errors = local_errors(store, added, removed)
    assert _naming(errors, case), _show(errors)


ACCEPTED = {
    "deprecated with a reason": insert(
        'kb:at-home-dermaroller owl:deprecated true ; hk:deprecationReason "withdrawn"@en .'
    ),
    "a retired treatment with a live successor and no use of its own": with_more_prefixes(
        insert(
            "kb:retired-hair-tonic a hk:Treatment , owl:NamedIndividual ; "
            'rdfs:label "obsolete retired hair tonic"@en ; '
            'skos:prefLabel "obsolete retired hair tonic"@en ; '
            'obo:IAO_0000115 "A treatment retired in favour of topical minoxidil."@en ; '
            'obo:IAO_0000119 "hairkg editors (worked example)" ; '
            "owl:deprecated true ; dcterms:isReplacedBy kb:topical-minoxidil ."
        )
    ),
    "two picks and a block": insert(
        pick(1, "kb:prp-for-hair-loss")
        + pick(2, "kb:side-effects-of-finasteride-for-hair-loss")
        + f"{PICK} hk:blockedRelated kb:the-best-hair-extensions-for-thinning-hair ."
    ),
}


@pytest.mark.parametrize("update", ACCEPTED.values(), ids=list(ACCEPTED))
def test_valid_curation_passes_both_checks(shipped, update):  # noqa: F811
    store, quads = shipped
    after, added, removed = change(quads, update)
    whole = whole_graph_errors(after)
    assert whole == [], _show(whole)
    local = local_errors(store, added, removed)
    assert local == [], _show(local)
