"""Issue 17, parts 2 and 3, over HTTP in process on a real store: deprecated terms keep
resolving and hand their articles to their successor, merging a term into another, and the
editors' picks of an article's related content. Every write goes through the gate, is
recorded and can be reverted; every refused write leaves the store as it was.

The app here is this module's own (the shared ``app_server`` is read-only): writes change it.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest
from conftest import release_app
from helpers import wait_until

TOKENS = "alice:alice-secret:write,reader:reader-secret:read"
ALICE = {"Authorization": "Bearer alice-secret"}
READER = {"Authorization": "Bearer reader-secret"}
KB = "https://w3id.org/hairkg/id/"
SERVICE_GRAPHS = {"https://w3id.org/hairkg/graph/meta", "https://w3id.org/hairkg/graph/history"}
ARTICLE = "microneedling-for-hair-loss"
EDITORS = "chosen by the editors"

SOURCE = {
    "id": "source-curation-worked-example",
    "types": ["hk:SourceDocument"],
    "label": "curation: a worked example page",
    "attributes": {
        "schema:url": ["https://hairclinic.example/curation-worked-example"],
        "dcterms:publisher": ["hairkg editors (worked example)"],
    },
}
# A duplicate of microneedling, as an editor might add it by mistake (a worked example: its
# claim cites no study).
DUPLICATE = {
    "id": "scalp-needle-stimulation",
    "types": ["hk:Procedure"],
    "label": "scalp needle stimulation",
    "definition": "A procedure that pricks the skin with fine needles so that it heals with "
    "new collagen.",
    "definitionSource": ["hairkg editors (worked example; no identifier confirmed)"],
    "synonyms": [{"text": "needle scalp therapy", "scope": "exact"}],
    "xrefs": ["EXAMPLE:0000001"],
    "relations": {"hk:treats": ["alopecia-areata"]},
    "claims": [
        {
            "predicate": "hk:treats",
            "object": "alopecia-areata",
            "statedIn": ["source-curation-worked-example"],
            "evidenceLevel": "evidence-level-no-study-cited",
            "certainty": "very low",
            "note": "A worked example: no study.",
        }
    ],
}
TAGGED = {
    "id": "scalp-needle-stimulation-for-thinning-hair",
    "url": "https://hairclinic.example/scalp-needle-stimulation-for-thinning-hair",
    "title": "Scalp Needle Stimulation for Thinning Hair",
    "about": ["scalp-needle-stimulation"],
}


@pytest.fixture(scope="module")
def app(tmp_path_factory, release_dir):
    """A writable app of this module's own, in process, on a real Oxigraph with the release."""
    with release_app(tmp_path_factory.mktemp("curation"), release_dir, tokens=TOKENS) as (app, _):
        yield app.test_client()


def call(client, method, path, body=None, headers=None):
    response = client.open(
        path,
        method=method,
        data=None if body is None else json.dumps(body),
        headers={**(headers or {}), **({"Content-Type": "application/json"} if body else {})},
    )
    return response.status_code, response.headers, response.get_data(as_text=True)


def get_json(client, path, headers=None):
    status, response_headers, body = call(client, "GET", path, headers=headers)
    return status, response_headers, json.loads(body) if body else None


def select(client, query):
    status, _, body = call(client, "GET", "/sparql?" + urllib.parse.urlencode({"query": query}))
    assert status == 200, body
    return json.loads(body)["results"]["bindings"]


def ask(client, query) -> bool:
    status, _, body = call(client, "GET", "/sparql?" + urllib.parse.urlencode({"query": query}))
    assert status == 200, body
    return json.loads(body)["boolean"]


def dump(client) -> set:
    rows = select(client, "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    return {
        (r["g"]["value"], json.dumps(r["s"]), r["p"]["value"], json.dumps(r["o"], sort_keys=True))
        for r in rows
        if r["g"]["value"] not in SERVICE_GRAPHS
    }


def history_total(client) -> int:
    return get_json(client, "/api/v1/history?limit=1")[2]["total"]


def related(client, article=ARTICLE):
    status, _, body = get_json(client, f"/api/v1/articles/{article}/related?limit=10")
    assert status == 200, body
    return body["items"]


def ensure(client, path, document):
    status, _, body = call(client, "POST", path, document, ALICE)
    assert status in (201, 409), body


# -- editors' picks ------------------------------------------------------------------------


def index_holder(client):
    from api.state import current_index_holder

    with client.application.app_context():
        return current_index_holder()


def test_picks_come_first_blocked_never_shown_and_revert(app):
    before = [i["id"] for i in related(app)]
    indexes = index_holder(app).get()
    generation = indexes.generation
    assert "prp-for-hair-loss" in before and len(before) >= 3, before
    last = before[-1]
    picks = {"pinned": [last], "blocked": ["prp-for-hair-loss"], "message": "editors' picks"}
    status, headers, body = call(
        app, "PUT", f"/api/v1/edit/articles/{ARTICLE}/related", picks, ALICE
    )
    assert status == 200, body
    answer = json.loads(body)
    assert answer["picks"] == {
        "article": ARTICLE,
        "pinned": [last],
        "blocked": ["prp-for-hair-loss"],
    }
    change = answer["change"]
    assert headers["X-Hairkg-Change"] == change

    status, _, current = get_json(app, f"/api/v1/edit/articles/{ARTICLE}/related")
    assert status == 200 and current == answer["picks"]
    # stored as RDF: a pick node of the article with its rank, and a block link
    assert ask(
        app,
        "PREFIX hk: <https://w3id.org/hairkg/ontology#> ASK { "
        f"<{KB}{ARTICLE}> hk:hasEditorsPick <{KB}{ARTICLE}#pick-1> . "
        f"<{KB}{ARTICLE}#pick-1> hk:pickedArticle <{KB}{last}> ; hk:pickRank 1 . "
        f"<{KB}{ARTICLE}> hk:blockedRelated <{KB}prp-for-hair-loss> }}",
    )

    def picked():
        items = related(app)
        return items if items and items[0]["id"] == last else None

    items = wait_until(picked, 30, what="the pinned article first in the related answer")
    # brought up to date in place from the change history (the pick nodes count as the
    # article), not rebuilt
    assert index_holder(app).get() is indexes and indexes.generation > generation
    assert items[0]["reasons"] == [EDITORS] and items[0]["pinned"] is True
    assert items[0]["score"] is None
    ids = [i["id"] for i in items]
    assert "prp-for-hair-loss" not in ids
    assert ids.count(last) == 1
    assert [i for i in ids if i not in (last,)] == [
        i for i in before if i not in (last, "prp-for-hair-loss")
    ]
    assert all(i["pinned"] is False and i["score"] > 0 for i in items[1:])
    # the same by URL (the widget's request)
    status, _, by_url = get_json(
        app,
        "/api/v1/related?"
        + urllib.parse.urlencode({"url": items[0]["url"].replace(last, ARTICLE)}),
    )
    assert status == 200 and by_url["items"][0]["id"] == last

    record = get_json(app, f"/api/v1/history/{change}")[2]
    assert record["message"] == "editors' picks"
    status, _, body = call(app, "POST", f"/api/v1/history/{change}/revert", None, ALICE)
    assert status == 200, body
    wait_until(lambda: [i["id"] for i in related(app)] == before, 30, what="the picks reverted")
    assert get_json(app, f"/api/v1/edit/articles/{ARTICLE}/related")[2]["pinned"] == []


@pytest.mark.parametrize(
    ("path_id", "body", "status", "field"),
    [
        ("no-such-article", {"pinned": []}, 404, None),
        (ARTICLE, {"pinned": ["no-such-article"]}, 422, "pinned"),
        (ARTICLE, {"blocked": ["alopecia"]}, 422, "blocked"),  # a concept, not an article
        (
            ARTICLE,
            {"pinned": ["prp-for-hair-loss"], "blocked": ["prp-for-hair-loss"]},
            422,
            "blocked",
        ),
        (ARTICLE, {"pinned": [ARTICLE]}, 422, "pinned"),
        (ARTICLE, {"blocked": [ARTICLE]}, 422, "blocked"),
        (ARTICLE, {"pinned": ["prp-for-hair-loss", "prp-for-hair-loss"]}, 422, "pinned"),
        (ARTICLE, {"pinned": "prp-for-hair-loss"}, 422, "pinned"),
        (ARTICLE, {"pinned": [], "ordered": True}, 422, "ordered"),
        (ARTICLE, {"pinned": ["Not An Id"]}, 422, "pinned"),
    ],
)
def test_bad_picks_are_refused_and_store_nothing(app, path_id, body, status, field):
    before = history_total(app)
    got, headers, text = call(app, "PUT", f"/api/v1/edit/articles/{path_id}/related", body, ALICE)
    assert got == status, text
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(text)
    if field:
        assert problem["invalid-params"][0]["name"] == field, problem
    assert history_total(app) == before


def test_picks_need_a_write_token(app):
    path = f"/api/v1/edit/articles/{ARTICLE}/related"
    assert call(app, "PUT", path, {"pinned": []})[0] == 401
    assert call(app, "PUT", path, {"pinned": []}, READER)[0] == 403
    assert get_json(app, "/api/v1/edit/articles/no-such-article/related")[0] == 404
    assert get_json(app, "/api/v1/edit/articles/alopecia/related")[0] == 404  # not an article


# -- deprecation and merging ---------------------------------------------------------------


def test_merge_moves_content_deprecates_the_source_and_reverts(app):
    ensure(app, "/api/v1/edit/entities", SOURCE)
    ensure(app, "/api/v1/edit/entities", DUPLICATE)
    ensure(app, "/api/v1/edit/articles", TAGGED)
    before = dump(app)
    status, _, body = call(
        app,
        "POST",
        "/api/v1/edit/entities/scalp-needle-stimulation/merge-into/microneedling",
        None,
        ALICE,
    )
    assert status == 200, body
    answer = json.loads(body)
    assert answer["moved"]["references"] == 2  # the article's tag and the claim's subject
    synonyms = {(s["text"], s["scope"]) for s in answer["entity"]["synonyms"]}
    assert ("scalp needle stimulation", "exact") in synonyms
    assert ("needle scalp therapy", "exact") in synonyms
    assert "EXAMPLE:0000001" in answer["entity"]["xrefs"]

    prefixes = (
        "PREFIX hk: <https://w3id.org/hairkg/ontology#> PREFIX kb: <https://w3id.org/hairkg/id/> "
        "PREFIX dcterms: <http://purl.org/dc/terms/> "
        "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> "
        "PREFIX owl: <http://www.w3.org/2002/07/owl#> "
    )
    assert ask(
        app,
        prefixes
        + "ASK { kb:scalp-needle-stimulation-for-thinning-hair hk:about kb:microneedling . "
        "kb:scalp-needle-stimulation owl:deprecated true ; "
        "dcterms:isReplacedBy kb:microneedling . "
        "kb:microneedling hk:treats kb:alopecia-areata . "
        "?claim rdf:subject kb:microneedling ; rdf:predicate hk:treats ; "
        "rdf:object kb:alopecia-areata ; hk:statedIn kb:source-curation-worked-example }",
    )
    assert not ask(
        app,
        prefixes + "ASK { GRAPH <https://w3id.org/hairkg/graph/kb> { "
        "{ ?s ?p kb:scalp-needle-stimulation FILTER (?p != dcterms:isReplacedBy) } UNION "
        "{ kb:scalp-needle-stimulation hk:treats ?o } } }",
    )

    # the retired term still resolves, says so and links its successor
    def card():
        status, headers, data = get_json(app, "/api/v1/entities/scalp-needle-stimulation")
        return (headers, data) if status == 200 and data.get("deprecated") else None

    card_headers, data = wait_until(card, 30, what="the card of the merged term")
    assert data["replacedBy"]["iri"] == KB + "microneedling"
    assert card_headers["Link"] == f'<{KB}microneedling>; rel="successor-version"'
    status, page_headers, page = call(
        app, "GET", "/id/scalp-needle-stimulation", headers={"Accept": "text/html"}
    )
    assert status == 200
    assert page_headers["Link"] == f'<{KB}microneedling>; rel="successor-version"'
    assert 'rel="successor-version" href="/id/microneedling"' in page and "deprecated" in page
    status, ttl_headers, _ = call(app, "GET", "/id/scalp-needle-stimulation.ttl")
    assert status == 200 and "successor-version" in ttl_headers["Link"]
    status, live_headers, _ = call(app, "GET", "/id/microneedling.ttl")
    assert status == 200 and "Link" not in live_headers

    record = get_json(app, f"/api/v1/history/{answer['change']}")[2]
    assert "merge scalp-needle-stimulation into microneedling" in record["message"]
    status, _, body = call(app, "POST", f"/api/v1/history/{answer['change']}/revert", None, ALICE)
    assert status == 200, body
    assert dump(app) == before


def test_deprecated_terms_hand_their_articles_to_the_successor_and_leave_search(app):
    ensure(app, "/api/v1/edit/entities", SOURCE)
    ensure(app, "/api/v1/edit/entities", DUPLICATE)
    ensure(app, "/api/v1/edit/articles", TAGGED)

    def found(include):
        query = "/api/v1/search?q=scalp+needle+stimulation" + (
            "&includeDeprecated=true" if include else ""
        )
        status, _, body = get_json(app, query)
        assert status == 200, body
        return [h["id"] for h in body["items"]]

    wait_until(
        lambda: "scalp-needle-stimulation" in found(False), 30, what="the new term in search"
    )
    status, _, body = call(
        app,
        "POST",
        "/api/v1/edit/entities/scalp-needle-stimulation/deprecate",
        {"replacedBy": "microneedling", "reason": "a duplicate of microneedling"},
        ALICE,
    )
    assert status == 200, body
    wait_until(
        lambda: "scalp-needle-stimulation" not in found(False), 30, what="left out of search"
    )
    assert "scalp-needle-stimulation" in found(True)
    card = get_json(app, "/api/v1/entities/scalp-needle-stimulation")[2]
    assert card["deprecationReason"] == "a duplicate of microneedling"
    page = call(app, "GET", "/id/scalp-needle-stimulation", headers={"Accept": "text/html"})[2]
    assert "a duplicate of microneedling" in page
    assert get_json(app, "/api/v1/search?q=x&includeDeprecated=yes")[0] == 422

    def tagged_with_successor():
        status, _, body = get_json(
            app, "/api/v1/entities/microneedling/articles?role=about&limit=100"
        )
        return status == 200 and "scalp-needle-stimulation-for-thinning-hair" in [
            i["id"] for i in body["items"]
        ]

    wait_until(tagged_with_successor, 30, what="the article counted under the successor")
    reasons = [
        r for i in related(app, "scalp-needle-stimulation-for-thinning-hair") for r in i["reasons"]
    ]
    assert "both about microneedling" in reasons, reasons


def test_bad_merges_are_refused_and_store_nothing(app):
    ensure(app, "/api/v1/edit/entities", SOURCE)
    ensure(app, "/api/v1/edit/entities", DUPLICATE)
    status, _, body = call(
        app,
        "POST",
        "/api/v1/edit/entities/scalp-needle-stimulation/deprecate",
        {"replacedBy": "microneedling"},
        ALICE,
    )
    assert status == 200, body
    before = history_total(app)
    cases = [
        ("microneedling", "microneedling", 422, "itself"),
        ("no-such-term", "microneedling", 404, "no-such-term"),
        ("microneedling", "no-such-term", 404, "no-such-term"),
        ("at-home-dermaroller", "topical-minoxidil", 422, "incompatible types"),
        ("microneedling", "scalp-needle-stimulation", 409, "is deprecated"),
        ("scalp-needle-stimulation", "microneedling", 409, "deprecated already"),
        ("Bad-Id", "microneedling", 400, "entity id"),
    ]
    for source, target, status, words in cases:
        got, headers, text = call(
            app, "POST", f"/api/v1/edit/entities/{source}/merge-into/{target}", None, ALICE
        )
        assert got == status, (source, target, text)
        assert headers["Content-Type"] == "application/problem+json"
        assert words in json.loads(text)["detail"], text
    assert (
        call(
            app, "POST", "/api/v1/edit/entities/scalp-needle-stimulation/merge-into/microneedling"
        )[0]
        == 401
    )
    assert history_total(app) == before
