"""The change feed in process (Flask's test client on a real Oxigraph holding the release):
its JSON pages, one change as JSON and as RDF Patch, a replay of the whole history as RDF
Patch onto the release (inferred graph and a revert included), a short event stream, the
per-process stream cap, and refusals of bad input. Real servers, several workers and live
streams are in tests/system/test_change_feed_stream.py."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from conftest import release_app
from helpers import wait_until
from rdflib.compare import isomorphic

from kb.feed.patch import PatchError, apply_rdf_patch, parse_rdf_patch
from kb.rdf import CONTENT_GRAPHS, to_rdflib

pytestmark = pytest.mark.slow  # dealt first under xdist (tests/conftest.py)

ALICE = {"Authorization": "Bearer alice-secret"}
KB = "https://w3id.org/hairkg/id/"
INFERRED = "https://w3id.org/hairkg/graph/inferred"
PROBLEM = "application/problem+json"
PATCH = {"Accept": "application/rdf-patch"}
STREAM = "text/event-stream"

# The worked examples of tests/http/test_editing.py (no identifiers or figures invented).
CONDITION = {
    "id": "folliculitis-decalvans",
    "types": ["hk:HairLossDisorder"],
    "label": "folliculitis decalvans",
    "definition": "A cicatricial alopecia in which inflammation of the hair follicles, with "
    "pustules, destroys them and leaves patches of permanent hair loss.",
    "definitionSource": ["hairkg editors (worked example; no identifier confirmed)"],
    # under cicatricial alopecia, itself under alopecia: the reasoner adds
    # skos:broaderTransitive alopecia to the inferred graph
    "relations": {"skos:broader": ["cicatricial-alopecia"]},
    "message": "add folliculitis decalvans",
}
ARTICLE = {
    "id": "folliculitis-decalvans-and-hair-loss",
    "url": "https://hairclinic.example/folliculitis-decalvans-and-hair-loss",
    "title": "Folliculitis Decalvans and Hair Loss",
    "about": ["folliculitis-decalvans"],
    "mentions": ["alopecia"],
    "message": "register an article",
}


@pytest.fixture(scope="module")
def feed(tmp_path_factory, release_dir):
    """A writable app of its own (full validation: the reasoner's output changes too) with
    four changes: a condition, an article, a comment on an existing article through SPARQL
    Update, and the revert of the article."""
    settings = {
        "tokens": "alice:alice-secret:write",
        "tokens_file": "",
        "rate_limit": False,
        "feed_max_streams": 1,
        "feed_max_stream_s": 1.0,
        "feed_heartbeat_s": 0.3,
    }
    with release_app(tmp_path_factory.mktemp("feed"), release_dir, **settings) as (app, store):
        client = app.test_client()
        answers = [
            client.post("/api/v1/edit/entities", json=CONDITION, headers=ALICE),
            client.post("/api/v1/edit/articles", json=ARTICLE, headers=ALICE),
            client.post(
                "/sparql",
                data="INSERT DATA { GRAPH <https://w3id.org/hairkg/graph/kb> { "
                f"<{KB}prp-for-hair-loss> <http://www.w3.org/2000/01/rdf-schema#comment> "
                '"reviewed for the change feed test"@en } }',
                headers={**ALICE, "Content-Type": "application/sparql-update"},
            ),
            client.post("/api/v1/history/2/revert", headers=ALICE),
        ]
        for answer in answers:
            assert answer.status_code in (200, 201, 204), answer.get_data(as_text=True)
        yield client, store


def get_json(client, path, headers=None):
    response = client.get(path, headers=headers or {})
    return response.status_code, response.headers, json.loads(response.get_data())


def test_json_pages_list_every_change_oldest_first_with_next_links(feed):
    client, _ = feed
    status, headers, page = get_json(client, "/api/v1/changes")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    assert headers["Cache-Control"] == "no-store"
    assert [item["number"] for item in page["items"]] == [1, 2, 3, 4]
    assert page["latest"] == 4 and "next" not in page

    first = page["items"][0]
    assert first["author"] == "alice" and first["message"] == "add folliculitis decalvans"
    assert first["added"] > 0 and first["removed"] == 0 and first["reverts"] is None
    assert first["href"] == "/api/v1/changes/1" and first["subjectsRecorded"] is True
    condition = {"id": "folliculitis-decalvans", "iri": KB + "folliculitis-decalvans"}
    assert condition in first["entities"]
    assert first["articles"] == []

    article = {
        "id": "folliculitis-decalvans-and-hair-loss",
        "iri": KB + "folliculitis-decalvans-and-hair-loss",
        "url": "https://hairclinic.example/folliculitis-decalvans-and-hair-loss",
    }
    assert page["items"][1]["articles"] == [article]
    assert [e["id"] for e in page["items"][1]["entities"]] == []
    # A SPARQL Update on an existing article names it, with its URL.
    assert [a["id"] for a in page["items"][2]["articles"]] == ["prp-for-hair-loss"]
    # The revert deleted the article: it is still named as the article it was.
    revert = page["items"][3]
    assert revert["reverts"] == 2 and revert["removed"] == page["items"][1]["added"]
    assert [a["iri"] for a in revert["articles"]] == [article["iri"]]

    status, _, page = get_json(client, "/api/v1/changes?since=1&limit=2")
    assert [item["number"] for item in page["items"]] == [2, 3]
    assert page["next"] == "/api/v1/changes?since=3&limit=2"
    status, _, page = get_json(client, page["next"])
    assert [item["number"] for item in page["items"]] == [4] and "next" not in page
    status, _, page = get_json(client, "/api/v1/changes?since=4")
    assert status == 200 and page["items"] == [] and page["latest"] == 4


def test_one_change_as_json_and_as_rdf_patch(feed):
    client, _ = feed
    status, headers, event = get_json(client, "/api/v1/changes/2")
    assert status == 200 and event["number"] == 2 and headers["Vary"] == "Accept"

    response = client.get("/api/v1/changes/2", headers=PATCH)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/rdf-patch")
    lines = response.get_data(as_text=True).splitlines()
    assert lines[:3] == [
        "H id <https://w3id.org/hairkg/change/2> .",
        "H prev <https://w3id.org/hairkg/change/1> .",
        "TX .",
    ]
    assert lines[-1] == "TC ."
    rows = [line for line in lines if line[:2] in ("A ", "D ")]
    assert len([r for r in rows if r.startswith("A ")]) >= event["added"]
    assert any(f"<{KB}folliculitis-decalvans-and-hair-loss>" in r for r in rows)
    assert all(r.rstrip().endswith("> .") for r in rows)  # every row names its graph


def test_replaying_every_patch_on_the_release_gives_the_live_graph(feed, release_dir):
    """Change 0 is the release as loaded; patches 1..4 in order must give exactly the live
    content graphs, the reasoner's inferred graph and the revert included."""
    client, store = feed
    replica = ox.Store()
    replica.load((release_dir / "release.nq").read_bytes(), format=ox.RdfFormat.N_QUADS)
    inferred_rows = 0
    for number in range(1, 5):
        response = client.get(f"/api/v1/changes/{number}", headers=PATCH)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        inferred_rows += sum(1 for line in text.splitlines() if f"<{INFERRED}> ." in line)
        assert "_:" not in text  # these changes are ground: the comparison below is exact
        apply_rdf_patch(replica, text)
    assert inferred_rows > 0, "the patches never touched the inferred graph"

    live, replayed = store.dump(), list(replica)
    assert ground(replayed) - ground(live) == set() and ground(live) - ground(replayed) == set()
    for name in CONTENT_GRAPHS:  # OWL restrictions: blank nodes, labelled anew by each load
        assert isomorphic(blank_graph(replayed, name), blank_graph(live, name)), name
    assert any(q.subject.value == KB + "folliculitis-decalvans" for q in replayed)


def has_blank(quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def ground(quads) -> set:
    return {q for q in quads if q.graph_name.value in CONTENT_GRAPHS and not has_blank(q)}


def blank_graph(quads, name: str):
    graph = rdflib.Graph()
    for q in quads:
        if q.graph_name.value == name and has_blank(q):
            graph.add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return graph


def test_a_short_stream_replays_after_last_event_id_with_retry_and_heartbeat(feed):
    client, _ = feed
    response = client.get(
        "/api/v1/changes", headers={"Accept": "text/event-stream", "Last-Event-ID": "2"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Length" not in response.headers
    text = response.get_data(as_text=True)  # the stream ends after feed_max_stream_s (1 s)
    response.close()  # as a WSGI server does: gives the stream's slot back
    assert text.startswith("retry: ")
    blocks = [b for b in text.split("\n\n") if b.startswith("id: ")]
    assert [b.splitlines()[0] for b in blocks] == ["id: 3", "id: 4"]
    assert blocks[0].splitlines()[1] == "event: change"
    data = json.loads(blocks[0].splitlines()[2].removeprefix("data: "))
    assert data["number"] == 3 and data["href"] == "/api/v1/changes/3"
    assert ": heartbeat" in text
    # since= is the cursor when there is no Last-Event-ID.
    with client.get("/api/v1/changes?since=3", headers={"Accept": "text/event-stream"}) as again:
        assert again.status_code == 200
        text = again.get_data(as_text=True)
    assert [b.splitlines()[0] for b in text.split("\n\n") if b.startswith("id: ")] == ["id: 4"]
    # Neither: from now on (nothing of the history is replayed).
    with client.get("/api/v1/changes", headers={"Accept": "text/event-stream"}) as live:
        assert live.status_code == 200
        assert "id: " not in live.get_data(as_text=True)


def test_streams_past_the_cap_get_503_until_one_is_closed(feed):
    client, _ = feed
    stream = {"Accept": "text/event-stream"}
    first = client.get("/api/v1/changes", headers=stream, buffered=False)
    assert first.status_code == 200
    refused = client.get("/api/v1/changes", headers=stream)
    assert refused.status_code == 503
    assert refused.headers["Content-Type"] == PROBLEM and int(refused.headers["Retry-After"]) >= 1
    assert "open change streams" in json.loads(refused.get_data())["detail"]
    # JSON pages are not streams: never refused by the cap.
    assert client.get("/api/v1/changes").status_code == 200
    first.close()  # what the server does when the client goes away (never iterated here)
    second = client.get("/api/v1/changes", headers=stream, buffered=False)
    assert second.status_code == 200
    second.close()


def test_a_stream_ends_when_its_process_is_told_to_stop(feed):
    """What gunicorn's SIGTERM does to a worker (api.server.worker sets STOPPING): the open
    stream ends at its next tick instead of holding the graceful shutdown for its life."""
    from api.feed.stream import EventStream, StreamSlots
    from kb.feed.watch import ChangeWatch
    from kb.settings import Settings

    _, store = feed
    slots, stop, seen = StreamSlots(1), threading.Event(), []
    assert slots.take()
    settings = Settings(feed_max_stream_s=600.0, feed_heartbeat_s=600.0)
    stream = EventStream(
        store, ChangeWatch(store, Path("/nonexistent")), settings, slots, 0, str, stop
    )
    reader = threading.Thread(target=lambda: seen.extend(stream), daemon=True)
    reader.start()
    wait_until(lambda: len(seen) == 5, 30, 0.1, "the replay of the four changes")
    assert reader.is_alive()  # live now: it would wait up to its 600 s life
    stop.set()
    reader.join(10)
    assert not reader.is_alive()
    stream.close()
    assert slots.take(), "the stream's slot was not given back"


def test_pages_on_other_origins_may_follow_the_feed(feed):
    """CORS: the stream is readable cross-origin, and a client that resumes with Last-Event-ID
    through fetch() passes its preflight."""
    client, _ = feed
    preflight = client.options(
        "/api/v1/changes",
        headers={
            "Origin": "https://cms.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "last-event-id",
        },
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "last-event-id" in preflight.headers["Access-Control-Allow-Headers"]
    page = client.get("/api/v1/changes", headers={"Origin": "https://cms.example"})
    assert page.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("path", "headers", "param"),
    [
        ("/api/v1/changes?since=-1", {}, "since"),
        ("/api/v1/changes?since=", {}, "since"),
        ("/api/v1/changes?since=abc", {}, "since"),
        ("/api/v1/changes?since=1.5", {"Accept": "text/event-stream"}, "since"),
        ("/api/v1/changes?limit=0", {}, "limit"),
        ("/api/v1/changes?limit=201", {}, "limit"),
        ("/api/v1/changes", {"Accept": STREAM, "Last-Event-ID": "x7"}, "Last-Event-ID"),
        ("/api/v1/changes", {"Accept": STREAM, "Last-Event-ID": "-3"}, "Last-Event-ID"),
    ],
)
def test_bad_cursors_and_limits_are_400_problems_naming_the_parameter(feed, path, headers, param):
    client, _ = feed
    status, response_headers, body = get_json(client, path, headers)
    assert status == 400 and response_headers["Content-Type"] == PROBLEM
    assert body["invalid-params"][0]["name"] == param


@pytest.mark.parametrize("headers", [{}, PATCH])
@pytest.mark.parametrize("path", ["/api/v1/changes/99", "/api/v1/changes/0", "/api/v1/changes/x"])
def test_unknown_changes_are_404_problems(feed, path, headers):
    client, _ = feed
    status, response_headers, body = get_json(client, path, headers)
    assert status == 404 and response_headers["Content-Type"] == PROBLEM
    assert body["status"] == 404


def test_the_patch_reader_names_the_line_of_a_bad_row():
    good = (
        "H id <https://w3id.org/hairkg/change/1> .\nTX .\n"
        "A <http://e/s> <http://e/p> <http://e/o> <http://e/g> .\nTC .\n"
    )
    patch = parse_rdf_patch(good)
    assert patch.headers["id"] == "https://w3id.org/hairkg/change/1" and len(patch.rows) == 1
    for text, line in (
        (good.replace("<http://e/o>", "<not an iri>"), 3),
        (good.replace("TC .\n", ""), 3),
        (good.replace("A <", "X <"), 3),
        ("TX .\nTC .\nH id <x> .\n", 3),
    ):
        with pytest.raises(PatchError) as caught:
            parse_rdf_patch(text)
        assert caught.value.line == line, (text, caught.value)
