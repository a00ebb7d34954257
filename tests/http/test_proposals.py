"""Proposals and review (issue 17 part 1) through the app in process on a real Oxigraph: submit
(202, live graph unchanged), list and show with term diffs, approve (the change recorded with
the proposal and its author), reject, conflicts (409), validation failures (422), scopes (401,
403) and bad input. Concurrent approvals on a real server: tests/system/test_proposal_races.py."""

from __future__ import annotations

import json

import pytest
from conftest import release_app

pytestmark = pytest.mark.slow  # dealt first under xdist (tests/conftest.py)

KB_GRAPH = "https://w3id.org/hairkg/graph/kb"
META_GRAPH = "https://w3id.org/hairkg/graph/meta"
PREFIXES = (
    "PREFIX kb: <https://w3id.org/hairkg/id/> PREFIX hk: <https://w3id.org/hairkg/ontology#> "
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
)
TOKENS = (
    "alice:alice-secret:propose,bob:bob-secret:review,carol:carol-secret:write,"
    "dora:dora-secret:propose+review,erin:erin-secret:read"
)
ALICE = {"Authorization": "Bearer alice-secret"}
BOB = {"Authorization": "Bearer bob-secret"}
CAROL = {"Authorization": "Bearer carol-secret"}
DORA = {"Authorization": "Bearer dora-secret"}
ERIN = {"Authorization": "Bearer erin-secret"}


def entity(identifier: str, label: str) -> dict:
    return {
        "id": identifier,
        "types": ["hk:HairLossDisorder"],
        "label": label,
        "definition": f"A hair loss disorder used as a worked example ({label}).",
        "definitionSource": ["hairkg editors (worked example; no identifier confirmed)"],
        "relations": {"skos:broader": ["alopecia"]},
    }


@pytest.fixture(scope="module")
def app(tmp_path_factory, release_dir):
    """A writable app of this module's own, in process, on a real Oxigraph with the release."""
    with release_app(tmp_path_factory.mktemp("proposals"), release_dir, tokens=TOKENS) as (
        application,
        store,
    ):
        application.config["store"] = store
        yield application


@pytest.fixture
def client(app):
    return app.test_client()


def ask(app, pattern: str) -> bool:
    return app.config["store"].ask(f"{PREFIXES} ASK {{ GRAPH <{KB_GRAPH}> {{ {pattern} }} }}")


def propose(client, body, headers=ALICE):
    response = client.post("/api/v1/proposals", json=body, headers=headers)
    return response.status_code, response.get_json()


def test_a_proposal_is_validated_and_stored_without_changing_the_graph(app, client):
    version = client.get("/healthz").get_json()["datasetVersion"]
    status, body = propose(
        client, {"message": "a new condition", "entity": entity("worked-a", "worked example a")}
    )
    assert status == 202, body
    assert body["status"] == "open" and body["author"] == "alice"
    assert body["validation"]["passes"] is True, body["validation"]
    assert body["versionBefore"] == version
    assert not ask(app, "kb:worked-a ?p ?o")
    assert client.get("/healthz").get_json()["datasetVersion"] == version

    shown = client.get(f"/api/v1/proposals/{body['id']}")
    assert shown.status_code == 200
    proposal = shown.get_json()
    assert proposal["message"] == "a new condition"
    assert proposal["request"]["entity"]["id"] == "worked-a"
    assert [t["curie"] for t in proposal["diff"]["added"]] == ["kb:worked-a"]
    assert proposal["diff"]["added"][0]["label"] == "worked example a"
    assert '"worked example a"' in proposal["diff"]["text"]
    assert any("worked-a" in line for line in proposal["triplesAdded"])

    listed = client.get("/api/v1/proposals?status=open&author=alice").get_json()
    assert body["id"] in [p["id"] for p in listed["items"]]
    assert client.get("/api/v1/proposals?author=nobody").get_json()["total"] == 0


def test_approval_applies_the_change_and_records_who_proposed_it(app, client):
    _, body = propose(client, {"message": "m", "entity": entity("worked-b", "worked example b")})
    path = f"/api/v1/proposals/{body['id']}/approve"
    assert client.post(path).status_code == 401
    assert client.post(path, headers=ALICE).status_code == 403  # propose scope only
    assert client.post(path, headers=ERIN).status_code == 403
    assert not ask(app, "kb:worked-b ?p ?o")

    approved = client.post(path, headers=BOB)
    assert approved.status_code == 200, approved.get_json()
    answer = approved.get_json()
    assert answer["status"] == "approved" and answer["change"]
    assert ask(app, 'kb:worked-b skos:prefLabel "worked example b"@en')

    record = client.get(f"/api/v1/history/{answer['change']}").get_json()
    assert record["author"] == "bob"
    assert record["proposal"] == body["id"] and record["proposedBy"] == "alice"
    shown = client.get(f"/api/v1/proposals/{body['id']}").get_json()
    assert shown["status"] == "approved" and shown["decidedBy"] == "bob"
    assert shown["change"] == answer["change"]

    again = client.post(path, headers=BOB)
    assert again.status_code == 409
    assert again.headers["Content-Type"] == "application/problem+json"
    rejected = client.post(
        f"/api/v1/proposals/{body['id']}/reject", json={"reason": "late"}, headers=BOB
    )
    assert rejected.status_code == 409


def test_nobody_approves_their_own_proposal(client):
    _, body = propose(client, {"entity": entity("worked-c", "worked example c")}, DORA)
    own = client.post(f"/api/v1/proposals/{body['id']}/approve", headers=DORA)
    assert own.status_code == 403
    assert "own proposal" in own.get_json()["detail"]
    assert client.post(f"/api/v1/proposals/{body['id']}/approve", headers=CAROL).status_code == 200


def test_rejection_needs_a_reason_and_closes_the_proposal(app, client):
    _, body = propose(client, {"entity": entity("worked-d", "worked example d")})
    path = f"/api/v1/proposals/{body['id']}/reject"
    assert client.post(path, json={}, headers=BOB).status_code == 400
    assert client.post(path, json={"reason": " "}, headers=BOB).status_code == 400
    assert client.post(path, data="reason", headers=BOB).status_code == 415
    assert client.post(path, json={"reason": "no"}, headers=ALICE).status_code == 403
    done = client.post(path, json={"reason": "not a real condition"}, headers=BOB)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "rejected"
    shown = client.get(f"/api/v1/proposals/{body['id']}").get_json()
    assert (shown["status"], shown["decidedBy"], shown["reason"]) == (
        "rejected",
        "bob",
        "not a real condition",
    )
    assert client.post(f"/api/v1/proposals/{body['id']}/approve", headers=BOB).status_code == 409
    assert not ask(app, "kb:worked-d ?p ?o")
    listed = client.get("/api/v1/proposals?status=rejected").get_json()
    assert [p["id"] for p in listed["items"]] == [body["id"]]


def test_a_proposal_that_no_longer_applies_cleanly_gets_409(app, client):
    _, first = propose(client, {"entity": entity("worked-e", "worked example e")})
    _, second = propose(client, {"entity": entity("worked-e", "worked example e, again")})
    assert first["validation"]["passes"] and second["validation"]["passes"]
    assert client.post(f"/api/v1/proposals/{first['id']}/approve", headers=BOB).status_code == 200
    version = client.get("/healthz").get_json()["datasetVersion"]
    late = client.post(f"/api/v1/proposals/{second['id']}/approve", headers=BOB)
    assert late.status_code == 409, late.get_json()
    assert "no longer applies cleanly" in late.get_json()["detail"]
    assert client.get("/healthz").get_json()["datasetVersion"] == version
    assert not ask(app, 'kb:worked-e skos:prefLabel "worked example e, again"@en')
    assert client.get(f"/api/v1/proposals/{second['id']}").get_json()["status"] == "open"


def test_an_update_proposal_that_fails_validation_is_stored_with_its_report(app, client):
    update = (
        f"{PREFIXES} INSERT DATA {{ GRAPH <{KB_GRAPH}> {{ kb:topical-minoxidil a "
        "hk:CosmeticOption } }"
    )
    status, body = propose(client, {"message": "disjoint", "update": update})
    assert status == 202, body
    assert body["validation"]["passes"] is False
    assert body["validation"]["report"]["errors"]
    assert body["kind"] == "update"
    approved = client.post(f"/api/v1/proposals/{body['id']}/approve", headers=BOB)
    assert approved.status_code == 422
    assert approved.get_json()["errors"]
    assert not ask(app, "kb:topical-minoxidil a hk:CosmeticOption")


def test_an_update_proposal_shows_a_term_diff_and_applies(app, client):
    update = (
        f'{PREFIXES} INSERT DATA {{ GRAPH <{KB_GRAPH}> {{ kb:microneedling skos:altLabel "MN-'
        'worked-example"@en } }'
    )
    status, body = propose(client, {"message": "synonym", "update": update})
    assert status == 202, body
    assert body["validation"]["passes"] is True, body["validation"]
    changed = body["diff"]["changed"]
    assert [t["curie"] for t in changed] == ["kb:microneedling"]
    assert any("MN-worked-example" in a for a in changed[0]["addedAxioms"])
    # linked terms are named by their labels, as `hairkg diff` does
    update = (
        f"{PREFIXES} INSERT DATA {{ GRAPH <{KB_GRAPH}> {{ kb:microneedling skos:related "
        "kb:alopecia } }"
    )
    _, linked = propose(client, {"message": "related", "update": update})
    assert "+ skos:related kb:alopecia (alopecia)" in linked["diff"]["text"], linked["diff"]
    assert client.post(f"/api/v1/proposals/{body['id']}/approve", headers=BOB).status_code == 200
    assert ask(app, 'kb:microneedling skos:altLabel "MN-worked-example"@en')


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"message": "nothing"}, 400),
        ({"entity": entity("worked-f", "f"), "update": "INSERT DATA {}"}, 400),
        ({"entity": "not an object"}, 400),
        (
            {
                "entity": {
                    "id": "worked-g",
                    "label": "g",
                    "synonyms": [{"text": "x", "scope": "odd"}],
                }
            },
            400,
        ),
        ({"update": 42}, 400),
        ({"update": "   "}, 400),
        ({"update": "INSERT DATA { GRAPH <x:y> { <a:b> <c:d> "}, 400),
        ({"update": "LOAD <http://example.org/data.ttl>"}, 403),
        ({"update": f"INSERT DATA {{ GRAPH <{KB_GRAPH}> {{ }} }}"}, 422),
        (
            {"update": f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <a:b> <c:d> 1 }} }}"},
            403,
        ),
        ({"message": 5, "entity": entity("worked-h", "h")}, 400),
    ],
)
def test_bad_proposals_are_refused_and_nothing_is_stored(client, body, status):
    before = client.get("/api/v1/proposals").get_json()["total"]
    response = client.post("/api/v1/proposals", json=body, headers=ALICE)
    assert response.status_code == status, response.get_json()
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.get_json()["detail"]
    assert client.get("/api/v1/proposals").get_json()["total"] == before


def test_requests_without_the_right_token_or_shape(client):
    body = {"entity": entity("worked-i", "i")}
    assert client.post("/api/v1/proposals", json=body).status_code == 401
    assert client.post("/api/v1/proposals", json=body, headers=BOB).status_code == 403
    assert client.post("/api/v1/proposals", json=body, headers=ERIN).status_code == 403
    assert (
        client.post(
            "/api/v1/proposals", data="{", headers={**ALICE, "Content-Type": "application/json"}
        ).status_code
        == 400
    )
    assert client.post("/api/v1/proposals", json=[1], headers=ALICE).status_code == 400
    assert client.post("/api/v1/proposals", data="x", headers=ALICE).status_code == 415
    for path in (
        "/api/v1/proposals/0123456789ab",
        "/api/v1/proposals/nope",
        "/api/v1/proposals/%27",
    ):
        missing = client.get(path)
        assert missing.status_code == 404 and missing.get_json()["detail"]
    assert client.post("/api/v1/proposals/0123456789ab/approve", headers=BOB).status_code == 404
    assert (
        client.post(
            "/api/v1/proposals/0123456789ab/reject", json={"reason": "x"}, headers=BOB
        ).status_code
        == 404
    )
    for query in ("status=merged", "limit=0", "limit=x", "offset=-1"):
        assert client.get(f"/api/v1/proposals?{query}").status_code == 400


def test_the_list_is_paged(client):
    for n in range(3):
        propose(client, {"entity": entity(f"worked-page-{n}", f"worked page {n}")}, DORA)
    first = client.get("/api/v1/proposals?author=dora&limit=2").get_json()
    assert first["total"] >= 3 and len(first["items"]) == 2
    second = client.get(first["next"]).get_json()
    ids = [p["id"] for p in first["items"]] + [p["id"] for p in second["items"]]
    assert len(ids) == len(set(ids))
    assert json.loads(json.dumps(first))["items"][0]["diff"]["summary"]
