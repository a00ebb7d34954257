"""The query UI in a real headless Chromium, and the example menu behind it.

The browser test loads /sparql like a person would, picks a competency question from the
menu, runs it and waits for YASR's result rows; the expected rows are the same query's
answer fetched through the protocol. It also checks that the page made no request to any
other origin (the editor must work without internet access) and keeps screenshots of the
query page and of an entity page in /tmp for a person to look at.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from helpers import fetch

from api.views.query_ui import QUERIES_DIR, load_examples, question_of, with_prefixes
from kb.rdf import KB, PREFIXES

SCREENSHOT_DIR = Path(os.environ.get("HAIRKG_SCREENSHOT_DIR", "/tmp"))


@pytest.fixture(scope="module")
def base_url(request) -> str:
    """The shared test server; HAIRKG_TEST_URL points the tests at another running one."""
    if os.environ.get("HAIRKG_TEST_URL"):
        return os.environ["HAIRKG_TEST_URL"].rstrip("/")
    return request.getfixturevalue("server").url


def run_select(base_url: str, query: str) -> dict:
    body = urllib.parse.urlencode({"query": query}).encode()
    request = urllib.request.Request(
        base_url + "/sparql",
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/sparql-results+json",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


# -- the example menu (no browser) ------------------------------------------------------------


def test_question_is_read_from_the_header_comment():
    text = "# CQ3: which treatments act\n# through Wnt signalling?\n# Expected: x\nSELECT * {}"
    assert question_of(text, "cq3") == "Which treatments act through Wnt signalling?"
    text = "# Competency question 7 - What does a session cost?\nSELECT * {}"
    assert question_of(text, "cq7") == "What does a session cost?"
    assert question_of("# Costs per session.\n\nSELECT * {}", "x") == "Costs per session."
    assert question_of("SELECT * {}", "what-it-costs") == "what it costs"
    text = "# Articles\n#\n# Question: Which articles are about PRP? More text.\nASK {}"
    assert question_of(text, "x") == "Which articles are about PRP?"


def test_examples_get_prefix_declarations_for_what_they_use():
    query = '# about hk:\nSELECT ?x WHERE { ?x a hk:Drug ; rdfs:label "a kb:b" . }'
    completed = with_prefixes(query)
    assert completed.startswith("# about hk:\nPREFIX hk: <")
    assert f"PREFIX rdfs: <{PREFIXES['rdfs']}>" in completed
    assert "PREFIX kb:" not in completed  # only inside a string
    declared = "PREFIX hk: <https://example.org/>\nSELECT * { ?x a hk:Drug }"
    assert with_prefixes(declared) == declared


def test_the_menu_lists_every_competency_question():
    files = sorted(QUERIES_DIR.glob("*.rq"))
    if not files:
        pytest.skip("kb/queries/*.rq not present")
    examples = load_examples()
    assert [e.id for e in examples] == [f.stem for f in files]
    for example in examples:
        assert example.title and example.title != example.id.replace("-", " "), example.id
        assert "SELECT" in example.query.upper() or "ASK" in example.query.upper()


def test_query_page_is_served_with_local_assets_only(base_url):
    for path in ("/sparql", "/query"):
        status, headers, body = fetch(base_url + path, {"Accept": "text/html"})
        assert status == 200, path
        assert headers["Content-Type"].startswith("text/html")
        page = body.decode()
        assert "/static/vendor/yasgui/yasgui.min.js" in page
        assert "/static/vendor/yasgui/yasgui.min.css" in page
        assert "cdn" not in page.lower()
        for attribute in ('src="http', "src='http", 'href="http'):
            assert attribute not in page, f"{path} loads something from another origin"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
    for asset in ("/static/vendor/yasgui/yasgui.min.js", "/static/vendor/yasgui/yasgui.min.css"):
        status, _, body = fetch(base_url + asset)
        assert status == 200 and len(body) > 10_000, asset
    status, _, body = fetch(base_url + "/query/prefixes.json")
    assert status == 200 and json.loads(body) == PREFIXES


# -- the browser ------------------------------------------------------------------------------

# Installed before any page script runs: records script errors, failed element loads and
# Content-Security-Policy violations, which the page would otherwise only print.
WATCH_ERRORS = """
window.__hairkgErrors = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__hairkgErrors.push('CSP ' + e.violatedDirective + ' ' + e.blockedURI);
});
window.addEventListener('error', function (e) {
  var t = e.target;
  window.__hairkgErrors.push(t && t !== window ? 'load ' + (t.src || t.href) : String(e.message));
}, true);
window.addEventListener('unhandledrejection', function (e) {
  window.__hairkgErrors.push('promise ' + String(e.reason));
});
"""


def watch_errors(browser) -> None:
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": WATCH_ERRORS})


def page_errors(browser) -> list[str]:
    return browser.execute_script("return window.__hairkgErrors || []")


def pick_example(base_url: str):
    """The Wnt question (the issue's first example) or else the first example with rows,
    with the rows the protocol gives for it."""
    examples = sorted(load_examples(), key=lambda e: "wnt" not in e.id)
    for example in examples:
        try:
            result = run_select(base_url, example.query)
        except urllib.error.HTTPError:
            continue
        rows = result.get("results", {}).get("bindings", [])
        if rows:
            return example, rows
    pytest.skip("no example query returns rows")


def shown_values(binding: dict) -> set[str]:
    """How YASR's table can show a term: a literal's text, an IRI as prefix:local or IRI."""
    values = set()
    for term in binding.values():
        if term["type"] == "uri":
            iri = term["value"]
            values.add(iri)
            for name, namespace in PREFIXES.items():
                if iri.startswith(namespace):
                    values.add(f"{name}:{iri[len(namespace) :]}")
        else:
            values.add(term["value"])
    return values


@pytest.mark.browser
def test_run_an_example_query_in_a_real_browser(browser, base_url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    if not QUERIES_DIR.is_dir() or not list(QUERIES_DIR.glob("*.rq")):
        pytest.skip("kb/queries/*.rq not present")
    example, rows = pick_example(base_url)

    watch_errors(browser)
    browser.get(base_url + "/sparql")
    wait = WebDriverWait(browser, 30)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".yasqe .CodeMirror")))
    # The endpoint is this service and the editor starts with the graph's prefixes.
    tab_endpoint = browser.execute_script("return window.hairkgYasgui.getTab().getEndpoint()")
    assert tab_endpoint == base_url + "/sparql"
    button = wait.until(
        ec.element_to_be_clickable(
            (By.CSS_SELECTOR, f'button.example[data-example="{example.id}"]')
        )
    )
    assert button.text.strip() == example.title
    button.click()
    loaded = browser.execute_script("return window.hairkgYasgui.getTab().getQuery()")
    assert loaded == example.query

    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    wait.until(
        lambda b: (
            b.find_elements(By.CSS_SELECTOR, ".yasr table.dataTable tbody tr td")
            or b.find_elements(By.CSS_SELECTOR, ".yasr .errorResult")
        )
    )
    assert not browser.find_elements(By.CSS_SELECTOR, ".yasr .errorResult"), browser.find_element(
        By.CSS_SELECTOR, ".yasr"
    ).text
    table = browser.find_element(By.CSS_SELECTOR, ".yasr table.dataTable")
    table_text = table.text
    assert any(value in table_text for value in shown_values(rows[0])), (
        f"none of {shown_values(rows[0])} in {table_text[:500]}"
    )
    if "wnt" in example.id:
        assert "microneedling" in table_text  # the article's answer
    shown_rows = browser.find_elements(By.CSS_SELECTOR, ".yasr table.dataTable tbody tr")
    assert len(shown_rows) == min(len(rows), 50) or len(shown_rows) >= 10

    # Nothing was fetched from another origin (prefix.cc, LOV, CDNs, fonts).
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    foreign = [r for r in resources if not r.startswith(base_url)]
    assert not foreign, foreign
    assert page_errors(browser) == []
    browser.save_screenshot(str(SCREENSHOT_DIR / "hairkg-query-ui.png"))

    # An IRI of this graph in the results opens its page here, not at w3id.org.
    links = browser.find_elements(By.CSS_SELECTOR, ".yasr a.iri")
    local = [a for a in links if (a.get_dom_attribute("href") or "").startswith(str(KB))]
    if local:
        main_window = browser.current_window_handle
        local[0].click()
        wait.until(lambda b: len(b.window_handles) > 1)
        browser.switch_to.window(browser.window_handles[-1])
        try:
            wait.until(lambda b: b.current_url.startswith(base_url + "/id/"))
            assert browser.find_element(By.CSS_SELECTOR, "h1").text.strip()
        finally:
            browser.close()
            browser.switch_to.window(main_window)


@pytest.mark.browser
def test_entity_page_renders_in_a_real_browser(browser, base_url):
    from selenium.webdriver.common.by import By

    status, _, _ = fetch(base_url + "/id/microneedling", {"Accept": "text/turtle"})
    if status != 200:
        pytest.skip("no microneedling entity")
    watch_errors(browser)
    browser.get(f"{base_url}/id/microneedling")
    heading = browser.find_element(By.CSS_SELECTOR, "h1")
    assert heading.text.strip().startswith("microneedling")
    svg = browser.find_element(By.CSS_SELECTOR, "figure.picture svg")
    assert svg.size["width"] > 300 and svg.size["height"] > 100
    links = svg.find_elements(By.CSS_SELECTOR, "a")
    assert links, "the neighbourhood picture links to the neighbours"
    assert browser.find_elements(By.CSS_SELECTOR, "table.relations a[href^='/id/']")
    assert page_errors(browser) == []  # script errors and Content-Security-Policy violations
    browser.save_screenshot(str(SCREENSHOT_DIR / "hairkg-entity.png"))
    # Following a node of the picture opens that entity's page.
    target = links[0].get_dom_attribute("href")
    assert target.startswith("/id/")
    browser.get(base_url + target)
    assert browser.find_element(By.CSS_SELECTOR, "h1").text.strip()
