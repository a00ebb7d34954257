"""Proposals on a real `hairkg serve` (two workers): concurrent approvals of two conflicting
proposals (one wins, the other gets 409, nothing half-applied) and the reviewers' page
/editor/proposals in headless Chromium (token typed into the page, approve and reject)."""

from __future__ import annotations

import json
import threading
import urllib.parse

import pytest
from conftest import server_fixture
from helpers import call

pytestmark = pytest.mark.slow  # dealt first under xdist (tests/conftest.py)

TOKENS = "alice:alice-secret:propose,bob:bob-secret:review,carol:carol-secret:review"
ALICE = {"Authorization": "Bearer alice-secret"}
KB_GRAPH = "https://w3id.org/hairkg/graph/kb"

reviewed = server_fixture(
    "proposal-review", env={"HAIRKG_TOKENS": TOKENS, "HAIRKG_TOKENS_FILE": ""}
)


def entity(identifier: str, label: str) -> dict:
    return {
        "id": identifier,
        "types": ["hk:HairLossDisorder"],
        "label": label,
        "definition": f"A hair loss disorder used as a worked example ({label}).",
        "definitionSource": ["hairkg editors (worked example; no identifier confirmed)"],
        "relations": {"skos:broader": ["alopecia"]},
    }


def propose(server, document, message="worked example") -> dict:
    status, _, body = call(
        server.url,
        "POST",
        "/api/v1/proposals",
        {"message": message, "entity": document},
        ALICE,
        timeout=180,  # validated with the reasoner: slow on a loaded machine
    )
    assert status == 202, body
    return json.loads(body)


def labels_of(server, identifier: str) -> list[str]:
    query = (
        f"SELECT ?l WHERE {{ GRAPH <{KB_GRAPH}> {{ <https://w3id.org/hairkg/id/{identifier}> "
        "<http://www.w3.org/2004/02/skos/core#prefLabel> ?l } }"
    )
    status, _, body = call(
        server.url,
        "GET",
        "/sparql?" + urllib.parse.urlencode({"query": query}),
        headers={"Accept": "application/sparql-results+json"},
    )
    assert status == 200, body
    return sorted(r["l"]["value"] for r in json.loads(body)["results"]["bindings"])


def test_concurrent_approvals_of_conflicting_proposals(reviewed):
    first = propose(reviewed, entity("race-condition-x", "race example one"))
    second = propose(reviewed, entity("race-condition-x", "race example two"))
    assert first["validation"]["passes"] and second["validation"]["passes"]
    answers: dict[str, tuple[int, dict]] = {}
    start = threading.Barrier(2)

    def approve(proposal, reviewer):
        start.wait(timeout=30)
        status, _, body = call(
            reviewed.url,
            "POST",
            f"/api/v1/proposals/{proposal['id']}/approve",
            headers={"Authorization": f"Bearer {reviewer}-secret"},
            timeout=400,  # validation of a write on a loaded machine
        )
        answers[proposal["id"]] = (status, json.loads(body))

    threads = [
        threading.Thread(target=approve, args=(first, "bob")),
        threading.Thread(target=approve, args=(second, "carol")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=500)
    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [200, 409], answers
    winner = next(pid for pid, (status, _) in answers.items() if status == 200)
    loser = next(pid for pid, (status, _) in answers.items() if status == 409)
    expected = "race example one" if winner == first["id"] else "race example two"
    assert labels_of(reviewed, "race-condition-x") == [expected]  # nothing of the loser
    _, _, body = call(reviewed.url, "GET", f"/api/v1/proposals/{loser}")
    assert json.loads(body)["status"] == "open"
    _, _, body = call(reviewed.url, "GET", "/api/v1/history?limit=50")
    named = [c for c in json.loads(body)["items"] if c["proposal"] in (winner, loser)]
    assert [c["proposal"] for c in named] == [winner]


@pytest.mark.browser
def test_the_reviewers_page_approves_and_rejects(browser, reviewed):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    kept = propose(reviewed, entity("page-example-kept", "page example kept"), "keep me")
    dropped = propose(reviewed, entity("page-example-dropped", "page example dropped"), "drop me")
    browser.get(reviewed.url + "/editor/proposals")
    wait = WebDriverWait(browser, 120)  # an approval is validated like any write

    def card(proposal):
        return wait.until(
            ec.presence_of_element_located(
                (By.CSS_SELECTOR, f"li.proposal[data-id='{proposal['id']}']")
            )
        )

    kept_card = card(kept)
    assert "page example kept" in kept_card.find_element(By.CSS_SELECTOR, "pre.diff").text
    assert "keep me" in kept_card.text and "passes validation" in kept_card.text

    # Without a token the service refuses, and the page says so.
    kept_card.find_element(By.CSS_SELECTOR, "button.approve").click()
    status = kept_card.find_element(By.CSS_SELECTOR, "p.status")
    wait.until(lambda _: "401" in status.text)

    token = browser.find_element(By.ID, "review-token")
    token.send_keys("bob-secret")
    kept_card.find_element(By.CSS_SELECTOR, "button.approve").click()
    wait.until(lambda _: "approved as change" in status.text)
    assert labels_of(reviewed, "page-example-kept") == ["page example kept"]

    dropped_card = card(dropped)
    dropped_card.find_element(By.CSS_SELECTOR, "input.reason").send_keys("not needed")
    dropped_card.find_element(By.CSS_SELECTOR, "button.reject").click()
    dropped_status = dropped_card.find_element(By.CSS_SELECTOR, "p.status")
    wait.until(lambda _: "rejected" in dropped_status.text)
    _, _, body = call(reviewed.url, "GET", f"/api/v1/proposals/{dropped['id']}")
    assert (json.loads(body)["status"], json.loads(body)["reason"]) == ("rejected", "not needed")

    # The token is kept in this tab's session storage, never in the address.
    assert "bob-secret" not in browser.current_url
    assert browser.execute_script("return sessionStorage.getItem('hairkg.reviewToken')") == (
        "bob-secret"
    )
    browser.refresh()
    wait.until(
        lambda _: browser.find_element(By.ID, "review-token").get_attribute("value") == "bob-secret"
    )
    # Decided proposals are no longer listed as open.
    wait.until(
        lambda _: (
            "open proposal" in browser.find_element(By.ID, "proposals-status").text
            or "No open" in browser.find_element(By.ID, "proposals-status").text
        )
    )
    listed = [
        e.get_attribute("data-id") for e in browser.find_elements(By.CSS_SELECTOR, "li.proposal")
    ]
    assert kept["id"] not in listed and dropped["id"] not in listed
