"""Editors' writes on a real server: a scripted editor session through the API, the gate
(invalid writes change nothing), ETag/If-Match, tokens, history and revert, LOAD/SERVICE
refusal, Graph Store Protocol, and crash safety (kill -9 during acknowledged writes).

Every test here starts its own server (the shared ``server`` fixture is read-only).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from conftest import server_fixture, start_server
from helpers import call as http_call
from helpers import processes_running, wait_until

TOKENS = "alice:alice-secret:write,bob:bob-secret:write,reader:reader-secret:read"
ALICE = {"Authorization": "Bearer alice-secret"}
BOB = {"Authorization": "Bearer bob-secret"}
READER = {"Authorization": "Bearer reader-secret"}
KB = "https://w3id.org/hairkg/id/"
KB_GRAPH = "https://w3id.org/hairkg/graph/kb"
SERVICE_GRAPHS = {
    "https://w3id.org/hairkg/graph/meta",
    "https://w3id.org/hairkg/graph/history",
}


def call(server, method, path, body=None, headers=None, content_type=None, timeout=120):
    return http_call(server.url, method, path, body, headers, content_type, timeout)


def update(server, text, headers=ALICE, message=None):
    headers = dict(headers)
    if message:
        headers["X-Change-Message"] = message
    return call(server, "POST", "/sparql", text, headers, "application/sparql-update")


def ask(server, query):
    status, _, body = call(
        server,
        "GET",
        "/sparql?" + urllib.parse.urlencode({"query": query}),
        headers={"Accept": "application/sparql-results+json"},
    )
    assert status == 200, body
    return json.loads(body)["boolean"]


def dump(server) -> set:
    """Every quad of the store except the service's own bookkeeping (version, history)."""
    status, _, body = call(
        server,
        "GET",
        "/sparql?"
        + urllib.parse.urlencode({"query": "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"}),
        headers={"Accept": "application/sparql-results+json"},
    )
    assert status == 200, body
    rows = json.loads(body)["results"]["bindings"]
    return {
        (r["g"]["value"], json.dumps(r["s"]), r["p"]["value"], json.dumps(r["o"], sort_keys=True))
        for r in rows
        if r["g"]["value"] not in SERVICE_GRAPHS
    }


def wait_for(predicate, timeout=30.0, interval=0.3):
    return wait_until(predicate, timeout, interval)


writable = server_fixture("writable", env={"HAIRKG_TOKENS": TOKENS, "HAIRKG_TOKENS_FILE": ""})


TELOGEN = {
    "id": "trichotillomania",
    "types": ["hk:HairLossDisorder"],
    "label": "trichotillomania",
    "definition": "A hair loss disorder in which a person repeatedly pulls out their own hair, "
    "leaving patches of broken hairs of different lengths.",
    "definitionSource": ["hairkg editors (worked example; no identifier confirmed)"],
    "synonyms": [{"text": "hair-pulling disorder", "scope": "exact"}],
    "relations": {"skos:broader": ["alopecia"]},
}
LLLT = {
    "id": "red-light-helmet-therapy",
    "types": ["hk:Treatment"],
    "label": "red light helmet therapy",
    "definition": "A treatment that exposes the scalp to red or near-infrared light from "
    "low-power lasers or light-emitting diodes to stimulate hair follicles.",
    "definitionSource": ["hairkg editors (worked example; no identifier confirmed)"],
    "synonyms": [
        {"text": "light helmet", "scope": "exact"},
        {"text": "photobiomodulation", "scope": "broad"},
    ],
    "relations": {
        "hk:treats": ["androgenetic-alopecia", "trichotillomania"],
        "hk:hasAdverseEffect": ["scalp-tenderness", "redness"],
    },
    # every clinical relation comes with its claim (docs/modelling.md)
    "claims": [
        {
            "predicate": predicate,
            "object": target,
            "statedIn": ["source-red-light-helmet-worked-example"],
            "evidenceLevel": "evidence-level-no-study-cited",
            "certainty": "very low",
            "note": "A worked example: no study.",
        }
        for predicate, targets in (
            ("hk:treats", ("androgenetic-alopecia", "trichotillomania")),
            ("hk:hasAdverseEffect", ("scalp-tenderness", "redness")),
        )
        for target in targets
    ],
}
SOURCE = {
    "id": "source-red-light-helmet-worked-example",
    "types": ["hk:SourceDocument"],
    "label": "red light helmet therapy: a worked example page",
    "attributes": {
        "schema:url": ["https://hairclinic.example/red-light-helmet-worked-example"],
        "dcterms:publisher": ["hairkg editors (worked example)"],
    },
}
TENDERNESS = {
    "id": "scalp-tenderness",
    "types": ["hk:AdverseEffect"],
    "label": "scalp tenderness",
    "definition": "An adverse effect in which the scalp feels sore or sensitive to touch.",
    "definitionSource": ["hairkg editors (worked example; no identifier confirmed)"],
}
ARTICLE = {
    "id": "red-light-helmet-therapy-for-hair-loss",
    "url": "https://hairclinic.example/red-light-helmet-therapy-for-hair-loss",
    "title": "Red Light Helmet Therapy for Hair Loss",
    "summary": "What laser caps and combs do for thinning hair, what the trials show and "
    "which side effects to expect.",
    "date": "2024-05-02",
    "about": ["red-light-helmet-therapy", "androgenetic-alopecia"],
    "mentions": ["trichotillomania", "scalp-tenderness", "redness", "topical-minoxidil"],
}


def test_editor_session(writable):
    """Add a condition, a treatment with its adverse effects and an article; see them in
    SPARQL, in the entity API, in related content and in the history."""
    for document, message in (
        (TELOGEN, "add trichotillomania"),
        (TENDERNESS, "add scalp tenderness"),
        (SOURCE, "add a source document"),
        (LLLT, "add red light helmet therapy"),
    ):
        status, headers, body = call(
            writable, "POST", "/api/v1/edit/entities", {**document, "message": message}, ALICE
        )
        assert status == 201, body
        answer = json.loads(body)
        assert answer["change"] and answer["entity"]["label"] == document["label"]
        assert headers["ETag"] and headers["X-Hairkg-Change"] == answer["change"]
    status, _, body = call(writable, "POST", "/api/v1/edit/articles", ARTICLE, ALICE)
    assert status == 201, body

    # SPARQL sees the new triples at once (the endpoint reads the store).
    assert ask(
        writable,
        "PREFIX hk: <https://w3id.org/hairkg/ontology#> PREFIX kb: <https://w3id.org/hairkg/id/> "
        "ASK { kb:red-light-helmet-therapy hk:treats kb:trichotillomania ; "
        "hk:hasAdverseEffect kb:scalp-tenderness . "
        "kb:red-light-helmet-therapy-for-hair-loss hk:about kb:red-light-helmet-therapy }",
    )
    # ...and the reasoner's output was recomputed: LLLT treats a hair loss disorder.
    assert ask(
        writable,
        "PREFIX hk: <https://w3id.org/hairkg/ontology#> PREFIX kb: <https://w3id.org/hairkg/id/> "
        "ASK { GRAPH <https://w3id.org/hairkg/graph/inferred> "
        "{ kb:red-light-helmet-therapy a hk:HairLossTreatment } }",
    )

    # The entity API and related content (indexes refresh when the version changes).
    def card():
        status, _, body = call(writable, "GET", "/api/v1/entities/red-light-helmet-therapy")
        return json.loads(body) if status == 200 else None

    lllt = wait_for(card)
    assert lllt["label"] == "red light helmet therapy"
    linked = json.dumps(lllt["relations"])
    assert "scalp-tenderness" in linked and "trichotillomania" in linked

    def effects():
        status, _, body = call(
            writable, "GET", "/api/v1/treatments/red-light-helmet-therapy/adverse-effects"
        )
        return json.loads(body) if status == 200 else None

    assert "scalp-tenderness" in json.dumps(wait_for(effects))

    def related():
        url = urllib.parse.quote(ARTICLE["url"], safe="")
        status, _, body = call(writable, "GET", f"/api/v1/related?url={url}")
        return json.loads(body) if status == 200 else None

    assert wait_for(related)["items"], "the new article has related articles"

    def trichotillomania_search():
        status, _, body = call(writable, "GET", "/api/v1/search?q=trichotil")
        return status == 200 and "trichotillomania" in body.decode()

    wait_for(trichotillomania_search)

    status, _, body = call(writable, "GET", "/api/v1/history?limit=10")
    history = json.loads(body)
    messages = [item["message"] for item in history["items"]]
    assert "add red light helmet therapy" in messages and "add trichotillomania" in messages
    assert {item["author"] for item in history["items"]} == {"alice"}


def test_invalid_write_is_rejected_and_changes_nothing(writable):
    before = dump(writable)
    # A treatment without a definition, pointing to an entity that does not exist.
    status, headers, body = call(
        writable,
        "POST",
        "/api/v1/edit/entities",
        {
            "id": "magic-comb",
            "types": ["hk:Treatment"],
            "label": "magic comb",
            "relations": {"hk:treats": ["no-such-condition"]},
        },
        ALICE,
    )
    assert status == 422, body
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    rules = {(e["rule"], e["node"]) for e in problem["errors"]}
    assert ("dangling_reference", "kb:no-such-condition") in rules
    assert any(rule.startswith("shacl:") and node == "kb:magic-comb" for rule, node in rules)
    assert all(e["message"] for e in problem["errors"])

    # The same through SPARQL Update: a class disjointness violation found by HermiT.
    status, _, body = update(
        writable,
        "PREFIX hk: <https://w3id.org/hairkg/ontology#> PREFIX kb: <https://w3id.org/hairkg/id/> "
        "INSERT DATA { GRAPH <https://w3id.org/hairkg/graph/kb> "
        "{ kb:topical-minoxidil a hk:CosmeticOption } }",
    )
    assert status == 422, body
    assert dump(writable) == before


def test_conflicting_edit_gets_412(writable):
    status, headers, body = call(
        writable,
        "POST",
        "/api/v1/edit/entities",
        {
            "id": "scalp-itching",
            "types": ["hk:AdverseEffect"],
            "label": "scalp itching",
            "definition": "An adverse effect in which the scalp itches.",
            "definitionSource": ["HP:0000989"],
        },
        ALICE,
    )
    assert status == 201, body
    status, headers, body = call(writable, "GET", "/api/v1/edit/entities/scalp-itching")
    assert status == 200
    etag = headers["ETag"]
    # Alice and Bob both read it; Alice writes first, Bob's edit on the old ETag is refused.
    status, headers, body = call(
        writable,
        "PATCH",
        "/api/v1/edit/entities/scalp-itching",
        {"synonyms": ["itchy scalp"]},
        {**ALICE, "If-Match": etag},
    )
    assert status == 200, body
    new_etag = headers["ETag"]
    assert new_etag != etag
    status, _, body = call(
        writable,
        "PATCH",
        "/api/v1/edit/entities/scalp-itching",
        {"definition": "An adverse effect in which the skin of the scalp itches."},
        {**BOB, "If-Match": etag},
    )
    assert status == 412, body
    status, _, body = call(writable, "GET", "/api/v1/edit/entities/scalp-itching")
    assert json.loads(body)["synonyms"] == [{"text": "itchy scalp", "scope": "exact"}]
    assert "skin of the scalp" not in body.decode()
    # With the current ETag Bob's edit goes through.
    status, _, body = call(
        writable,
        "PATCH",
        "/api/v1/edit/entities/scalp-itching",
        {"definition": "An adverse effect in which the skin of the scalp itches."},
        {**BOB, "If-Match": new_etag},
    )
    assert status == 200, body


def test_tokens(writable):
    text = "INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }"
    status, headers, _ = update(writable, text, headers={})
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    status, headers, _ = update(writable, text, headers={"Authorization": "Bearer wrong"})
    assert status == 401 and 'error="invalid_token"' in headers["WWW-Authenticate"]
    status, _, _ = update(writable, text, headers=READER)
    assert status == 403
    status, _, _ = call(writable, "POST", "/api/v1/edit/entities", TELOGEN, READER)
    assert status == 403
    status, _, _ = call(writable, "POST", "/api/v1/edit/entities", TELOGEN, {})
    assert status == 401
    status, _, _ = call(writable, "PUT", "/store?graph=http://example.org/g", "<a:b> <a:c> <a:d> .")
    assert status == 401
    # reads stay open
    assert call(writable, "GET", "/api/v1/history")[0] == 200
    assert writable.log().count("alice-secret") == 0


def test_load_and_service_refused(writable):
    status, _, body = update(writable, "LOAD <http://169.254.169.254/latest/meta-data/>")
    assert status == 403 and b"LOAD" in body
    status, _, body = update(
        writable,
        "INSERT { ?s ?p ?o } WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
    )
    assert status == 403 and b"SERVICE" in body


def test_malformed_and_oversized(writable):
    status, _, body = call(
        writable,
        "PUT",
        "/store?graph=https://w3id.org/hairkg/graph/scratch",
        "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b .\n",
        ALICE,
        "text/turtle",
    )
    assert status == 400 and b"line 3" in body.lower(), body
    big = b"<http://example.org/a> <http://example.org/b> " + b'"' + b"x" * (3 << 20) + b'" .'
    status, _, _ = call(
        writable, "POST", "/store?graph=http://example.org/big", big, ALICE, "application/n-triples"
    )
    assert status == 413
    status, _, body = update(writable, "INSERT DATA { <a:b> <a:c> ")
    assert status == 400


def test_service_graphs_cannot_be_written(writable):
    status, _, _ = update(
        writable,
        "INSERT DATA { GRAPH <https://w3id.org/hairkg/graph/inferred> "
        "{ <http://example.org/x> a <http://example.org/Y> } }",
    )
    assert status == 403


def test_graph_store_protocol(writable):
    graph = "https://w3id.org/hairkg/graph/scratch-notes"
    path = "/store?graph=" + urllib.parse.quote(graph, safe="")
    turtle = (
        "@prefix kb: <https://w3id.org/hairkg/id/> .\n"
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        'kb:alopecia skos:editorialNote "reviewed in 2026"@en .\n'
    )
    assert call(writable, "GET", path)[0] == 404
    status, headers, body = call(writable, "PUT", path, turtle, ALICE, "text/turtle")
    assert status == 201, body
    assert headers["X-Hairkg-Change"]
    status, headers, body = call(writable, "GET", path, headers={"Accept": "text/turtle"})
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    assert b"reviewed in 2026" in body
    status, _, _ = call(writable, "PUT", path, turtle, ALICE, "text/turtle")
    assert status == 204
    assert call(writable, "DELETE", path, headers=ALICE)[0] == 204
    assert call(writable, "GET", path)[0] == 404
    assert call(writable, "DELETE", path, headers=ALICE)[0] == 404


def ensure(server, document):
    status, _, body = call(server, "POST", "/api/v1/edit/entities", document, ALICE)
    assert status in (201, 409), body


def test_deprecation_keeps_the_iri_and_points_to_the_replacement(writable):
    for document in (TELOGEN, TENDERNESS, SOURCE, LLLT):
        ensure(writable, document)
    doc = {
        "id": "hair-thinning-laser",
        "types": ["hk:Treatment"],
        "label": "hair thinning laser",
        "definition": "A treatment that shines laser light at thinning hair to regrow it.",
        "definitionSource": ["hairkg editors (worked example; no identifier confirmed)"],
        "relations": {"hk:treats": ["androgenetic-alopecia"]},
        "claims": [
            {
                "predicate": "hk:treats",
                "object": "androgenetic-alopecia",
                "statedIn": ["source-red-light-helmet-worked-example"],
                "evidenceLevel": "evidence-level-no-study-cited",
                "certainty": "very low",
                "note": "A worked example: no study.",
            }
        ],
    }
    status, _, body = call(writable, "POST", "/api/v1/edit/entities", doc, ALICE)
    assert status == 201, body
    status, _, body = call(
        writable,
        "POST",
        "/api/v1/edit/entities/hair-thinning-laser/deprecate",
        {"replacedBy": "red-light-helmet-therapy", "reason": "duplicate of LLLT"},
        ALICE,
    )
    assert status == 200, body
    entity = json.loads(body)["entity"]
    assert entity["deprecated"] is True
    assert entity["replacedBy"] == "kb:red-light-helmet-therapy"
    assert entity["label"] == "obsolete hair thinning laser"

    def card():
        status, _, body = call(writable, "GET", "/api/v1/entities/hair-thinning-laser")
        data = json.loads(body) if status == 200 else {}
        return data if data.get("deprecated") else None

    data = wait_for(card)
    assert data["replacedBy"]["iri"] == KB + "red-light-helmet-therapy"
    status, _, _ = writable.get("/id/hair-thinning-laser", {"Accept": "text/turtle"})
    assert status == 200

    # Using the deprecated term is allowed, with a warning.
    status, _, body = call(
        writable,
        "PATCH",
        "/api/v1/edit/entities/scalp-tenderness",
        {"relations": {"skos:related": ["hair-thinning-laser"]}},
        ALICE,
    )
    assert status == 200, body
    warnings = json.loads(body)["warnings"]
    assert any(w["rule"] == "deprecated_reference" for w in warnings), warnings


def test_revert_restores_the_exact_previous_graph(writable):
    before = dump(writable)
    status, _, body = update(
        writable,
        "PREFIX kb: <https://w3id.org/hairkg/id/> "
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "PREFIX obo: <http://purl.obolibrary.org/obo/> "
        "WITH <https://w3id.org/hairkg/graph/kb> "
        "DELETE { kb:redness obo:IAO_0000115 ?d } "
        'INSERT { kb:redness skos:scopeNote "Usually fades within a day."@en ; '
        'obo:IAO_0000115 "An adverse effect in which the skin reddens."@en } '
        "WHERE { kb:redness obo:IAO_0000115 ?d }",
        message="reword redness",
    )
    assert status == 200, body
    change = json.loads(call(writable, "GET", "/api/v1/history?limit=1")[2])["items"][0]
    assert change["message"] == "reword redness" and change["removed"] > 0
    assert dump(writable) != before
    status, _, body = call(writable, "POST", f"/api/v1/history/{change['id']}/revert", None, ALICE)
    assert status == 200, body
    reverted = json.loads(body)
    assert dump(writable) == before
    record = json.loads(call(writable, "GET", f"/api/v1/history/{reverted['change']}")[2])
    assert record["reverts"] == change["id"]
    assert record["added"] == change["removed"] and record["removed"] == change["added"]


@pytest.mark.slow
def test_kill_9_during_acknowledged_writes_loses_nothing(tmp_path, release_dir):
    """Acknowledged writes survive ``kill -9`` of the server (gunicorn master and, through
    PDEATHSIG, the managed Oxigraph); the store opens cleanly on restart."""
    data_dir = tmp_path / "crash"
    env = {"HAIRKG_TOKENS": TOKENS, "HAIRKG_WRITE_VALIDATION": "shapes"}
    server = start_server(data_dir, release_dir=release_dir, env=env)
    acknowledged: list[int] = []
    stop = threading.Event()

    def writer():
        n = 0
        while not stop.is_set():
            n += 1
            try:
                status, _, _ = update(
                    server,
                    "PREFIX kb: <https://w3id.org/hairkg/id/> "
                    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
                    f"INSERT DATA {{ GRAPH <{KB_GRAPH}> "
                    f'{{ kb:alopecia skos:editorialNote "crash test note {n}"@en }} }}',
                )
            except OSError:
                return
            if status == 200:
                acknowledged.append(n)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    wait_for(lambda: len(acknowledged) >= 5, timeout=120, interval=0.05)
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait()
    stop.set()
    thread.join(timeout=30)
    # The managed Oxigraph dies with its parent (PDEATHSIG); wait until it is gone.
    location = f"--location {data_dir / 'oxigraph'}"
    wait_until(lambda: not processes_running(location), 30, what="the managed Oxigraph to exit")
    restarted = start_server(data_dir, env=env)
    try:
        status, _, body = call(
            restarted,
            "GET",
            "/sparql?"
            + urllib.parse.urlencode(
                {
                    "query": "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
                    "SELECT ?n WHERE { ?a skos:editorialNote ?n FILTER STRSTARTS(?n, 'crash') }"
                }
            ),
            headers={"Accept": "application/sparql-results+json"},
        )
        assert status == 200
        notes = {b["n"]["value"] for b in json.loads(body)["results"]["bindings"]}
        missing = [n for n in acknowledged if f"crash test note {n}" not in notes]
        assert not missing, f"acknowledged writes lost: {missing}"
        history = json.loads(call(restarted, "GET", "/api/v1/history?limit=1")[2])
        assert history["total"] >= len(acknowledged)
        # and the store takes writes again
        status, _, body = update(
            restarted, "INSERT DATA { GRAPH <urn:x-test:after-crash> { <a:b> <a:c> <a:d> } }"
        )
        assert status == 200, body
    finally:
        restarted.stop()


def test_an_update_without_a_graph_is_refused_with_a_hint(writable):
    """In updates the default graph is the store's own (empty) one, not the knowledge base:
    a write there would be seen by queries (the union) but loaded back by nothing."""
    note = 'kb:alopecia skos:editorialNote "default graph note"@en'
    prefixes = (
        "PREFIX kb: <https://w3id.org/hairkg/id/>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    )
    status, _, body = update(writable, prefixes + f"INSERT DATA {{ {note} }}")
    assert status == 400, body
    assert f"GRAPH <{KB_GRAPH}>".encode() in body and b"Nothing was written" in body
    assert not ask(writable, prefixes + f"ASK {{ {note} }}")
    # the Graph Store Protocol's default graph likewise
    status, _, body = call(
        writable,
        "PUT",
        "/store?default",
        "<http://example.org/a> <http://example.org/b> <http://example.org/c> .",
        ALICE,
        "application/n-triples",
    )
    assert status == 400 and b"?graph=" in body
    # an update that reads the default graph and so matches nothing says why
    status, _, body = update(
        writable,
        prefixes + "DELETE { kb:alopecia skos:altLabel ?l } WHERE { kb:alopecia skos:altLabel ?l }",
    )
    assert status == 200 and b"changed nothing" in body and f"WITH <{KB_GRAPH}>".encode() in body
    # named, it works
    status, _, body = update(
        writable, prefixes + f"INSERT DATA {{ GRAPH <{KB_GRAPH}> {{ {note} }} }}"
    )
    assert status == 200, body
    assert ask(writable, prefixes + f"ASK {{ GRAPH <{KB_GRAPH}> {{ {note} }} }}")
    update(writable, prefixes + f"DELETE DATA {{ GRAPH <{KB_GRAPH}> {{ {note} }} }}")


def _preflight(client, path, origin, method="POST"):
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_cors_preflight_allows_authorization_only_from_listed_write_origins():
    """Cross-origin browser writes need Authorization in the preflight: granted only to the
    origins in HAIRKG_CORS_WRITE_ORIGINS (none by default), never to others."""
    from api.app import create_app
    from kb.settings import Settings
    from kb.store.client import SparqlStore

    store = SparqlStore.for_server("http://127.0.0.1:9")  # preflights never reach the store
    editor_origin = "https://editor.example"
    writes = [
        ("/sparql", "POST"),
        ("/store?graph=https://w3id.org/hairkg/graph/kb", "PUT"),
        ("/api/v1/edit/entities", "POST"),
        ("/api/v1/edit/entities/alopecia", "PATCH"),
        ("/api/v1/history/1/revert", "POST"),
    ]
    default = create_app(Settings(tokens="alice:alice-secret:write"), store).test_client()
    listed = create_app(
        Settings(tokens="alice:alice-secret:write", cors_write_origins=(editor_origin,)), store
    ).test_client()
    for path, method in writes:
        for client, origin in (
            (default, editor_origin),
            (listed, "https://elsewhere.example"),
        ):
            answer = _preflight(client, path, origin, method)
            allowed = answer.headers.get("Access-Control-Allow-Headers", "").lower()
            assert "authorization" not in allowed, (path, origin)
        answer = _preflight(listed, path, editor_origin, method)
        assert answer.status_code == 204, path
        assert answer.headers["Access-Control-Allow-Origin"] == editor_origin
        assert "authorization" in answer.headers["Access-Control-Allow-Headers"].lower()
        assert method in answer.headers["Access-Control-Allow-Methods"]
        assert "Origin" in answer.headers["Vary"]
    # the write's answer (here a 401) is readable by the listed origin's page
    answer = listed.post("/api/v1/edit/entities", json={}, headers={"Origin": editor_origin})
    assert answer.status_code == 401
    assert answer.headers["Access-Control-Allow-Origin"] == editor_origin
    assert "X-Hairkg-Change" in answer.headers["Access-Control-Expose-Headers"]


def test_a_registered_url_is_refused_again_with_or_without_a_trailing_slash(writable):
    """The article write reads only the URLs that could be the same (index look-ups)."""
    existing = "https://hairclinic.example/microneedling-for-hair-loss"
    for url in (existing, existing + "/"):
        document = {
            "url": url,
            "title": f"A second registration of {url}",
            "about": ["microneedling"],
        }
        status, _, body = call(writable, "POST", "/api/v1/edit/articles", document, ALICE)
        assert status == 409, body
        assert b"already registered" in body


def test_a_list_of_read_origins_answers_the_listed_origin_only():
    """cors_origins may list several origins: a listed Origin is answered with itself (one
    origin, as browsers require), another gets no CORS headers. It used to get the raw list."""
    from api.app import create_app
    from kb.settings import Settings
    from kb.store.client import SparqlStore

    store = SparqlStore.for_server("http://127.0.0.1:9")  # the docs never reach the store
    listed = "https://a.example,https://b.example"
    client = create_app(Settings(cors_origins=listed), store).test_client()
    for path in ("/api/v1/openapi.json", "/sparql"):
        answer = client.options(path, headers={"Origin": "https://b.example"})
        assert answer.headers.get("Access-Control-Allow-Origin") == "https://b.example", path
        assert "Origin" in answer.headers["Vary"]
        answer = client.options(path, headers={"Origin": "https://c.example"})
        assert "Access-Control-Allow-Origin" not in answer.headers, path
    anyone = create_app(Settings(), store).test_client()
    answer = anyone.get("/api/v1/openapi.json", headers={"Origin": "https://c.example"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
