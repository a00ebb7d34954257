"""The editors' tag-suggestion page in a real headless Chromium: paste an article, see the
suggestions highlighted in the text, reject one, save with a write token, and find the article
in related content."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import server_fixture
from helpers import get_json, wait_until

CORPUS = Path(__file__).parent.parent / "suggest_corpus"
TOKEN = "suggest-page-editor-token"
ARTICLE_URL = "https://hairclinic.example/alopecia-areata-causes-and-treatment"


writable_server = server_fixture(
    "suggest-page", env={"HAIRKG_TOKENS": f"page-editor:{TOKEN}:write"}
)


def get_until_found(url: str, timeout_s: float = 30):
    """GET ``url`` until it answers 200 within ``timeout_s``: (status, JSON)."""
    answer = []

    def found():
        answer[:] = get_json(url)
        return answer[0] == 200

    wait_until(found, timeout_s, 0.3, f"{url} answering 200 (last: {answer[:1]})")
    return tuple(answer)


def severe_console_errors(browser) -> list[str]:
    try:
        entries = browser.get_log("browser")
    except Exception:  # not every driver exposes the log
        return []
    return [e["message"] for e in entries if e.get("level") == "SEVERE"]


@pytest.mark.browser
def test_paste_suggest_accept_save_then_related(browser, writable_server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    base = writable_server.url
    text = (CORPUS / "alopecia-areata.md").read_text(encoding="utf-8")
    severe_console_errors(browser)  # the session browser's log so far: earlier modules' pages
    browser.get(base + "/editor/suggest")
    wait = WebDriverWait(browser, 30)
    area = wait.until(ec.presence_of_element_located((By.ID, "suggest-text")))
    # Paste: put the text in the textarea as a paste would, then fire the input event.
    browser.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        area,
        text,
    )
    browser.find_element(By.ID, "suggest-run").click()
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#highlighted mark[data-concept]"))

    # Suggestions are highlighted in the text, by role.
    marks = browser.find_elements(By.CSS_SELECTOR, "#highlighted mark[data-concept]")
    by_concept: dict[str, set[str]] = {}
    for mark in marks:
        by_concept.setdefault(mark.get_dom_attribute("data-concept"), set()).add(
            mark.get_dom_attribute("class")
        )
    assert by_concept["alopecia-areata"] == {"about"}
    assert by_concept["triamcinolone-acetonide"] == {"mentions"}
    assert "Alopecia areata" in {
        m.text for m in marks if m.get_dom_attribute("data-concept") == "alopecia-areata"
    }
    # The highlighted text is the pasted text, unchanged.
    shown = browser.find_element(By.ID, "highlighted").text
    assert "JAK inhibitors such as baricitinib" in shown
    # The title was found in the text and filled in.
    assert browser.find_element(By.ID, "suggest-title").get_property("value") == (
        "Alopecia Areata: Causes and Treatment"
    )

    # Reject one suggestion: its marks turn grey, it will not be saved.
    row = browser.find_element(By.CSS_SELECTOR, '#suggestions li[data-concept="scalp"]')
    row.find_element(By.CSS_SELECTOR, "input.accept").click()
    wait.until(
        lambda b: all(
            m.get_dom_attribute("class") == "rejected"
            for m in b.find_elements(By.CSS_SELECTOR, '#highlighted mark[data-concept="scalp"]')
        )
    )
    # Clicking a mark toggles too: reject and accept again the AGA mention.
    mark = browser.find_element(
        By.CSS_SELECTOR, '#highlighted mark[data-concept="androgenetic-alopecia"]'
    )
    mark.click()
    assert mark.get_dom_attribute("class") == "rejected"
    mark.click()
    assert mark.get_dom_attribute("class") == "mentions"

    # Save with a URL, a summary and the token.
    browser.find_element(By.ID, "suggest-url").send_keys(ARTICLE_URL)
    browser.find_element(By.ID, "suggest-summary").send_keys(
        "Patchy hair loss: why, and what helps."
    )
    browser.find_element(By.ID, "suggest-token").send_keys(TOKEN)
    save = browser.find_element(By.ID, "suggest-save")
    assert save.is_enabled()
    save.click()
    wait.until(lambda b: "Registered" in b.find_element(By.ID, "save-status").text)
    assert "error" not in browser.find_element(By.ID, "save-status").get_dom_attribute("class")
    browser.save_screenshot(str(tmp_path / "hairkg-suggest-page.png"))
    assert severe_console_errors(browser) == []

    # The article is registered with the confirmed tags and shows up in related content.
    quoted = urllib.parse.quote(ARTICLE_URL, safe="")
    status, related = get_until_found(f"{base}/api/v1/related?url={quoted}&limit=10")
    assert status == 200, "the saved article is not in related content"
    article_id = related["article"]["id"]
    # each worker follows the store on its own: ask until the one answering has (bounded)
    status, article = get_until_found(f"{base}/api/v1/articles/{article_id}")
    assert status == 200
    assert [c["id"] for c in article["about"]] == ["alopecia-areata"]
    mentioned = {c["id"] for c in article["mentions"]}
    assert "triamcinolone-acetonide" in mentioned and "androgenetic-alopecia" in mentioned
    assert "scalp" not in mentioned  # rejected in the page
    # ... and the seed article, which is about alopecia areata too, now lists it as related.
    # Each of the two workers refreshes its own index: ask until both have (bounded).
    seed = urllib.parse.quote("https://hairclinic.example/microneedling-for-hair-loss", safe="")

    def related_lists_the_article():
        status, seed_related = get_json(f"{base}/api/v1/related?url={seed}&limit=10")
        assert status == 200
        return ARTICLE_URL in {item["url"] for item in seed_related["items"]}

    wait_until(related_lists_the_article, 10, 0.2, "the new article in the seed's related")


@pytest.mark.browser
def test_save_without_token_shows_the_write_path_error(browser, writable_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(writable_server.url + "/editor/suggest")
    wait = WebDriverWait(browser, 30)
    area = wait.until(ec.presence_of_element_located((By.ID, "suggest-text")))
    area.send_keys("Finasteride lowers DHT in men with male-pattern hair loss.")
    browser.find_element(By.ID, "suggest-title").send_keys("Finasteride basics")
    browser.find_element(By.ID, "suggest-run").click()
    wait.until(lambda b: b.find_elements(By.CSS_SELECTOR, "#highlighted mark[data-concept]"))
    browser.find_element(By.ID, "suggest-url").send_keys("https://hairclinic.example/no-token")
    browser.find_element(By.ID, "suggest-save").click()
    wait.until(lambda b: "401" in b.find_element(By.ID, "save-status").text)
    assert "error" in browser.find_element(By.ID, "save-status").get_dom_attribute("class")
