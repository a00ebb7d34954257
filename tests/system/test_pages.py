"""Issue 16 part 5, the pages a person uses, in a real headless Chromium on a real
`hairkg serve`: every page at 390 and 1280 px wide has the one site navigation, no sideways
scrolling of the page body and no serious or critical axe-core violations (axe-core from npm,
api/frontend, injected into the page); then one test per flaw the issue lists."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
from helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent.parent
AXE = ROOT / "api" / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
CORPUS = ROOT / "tests" / "suggest_corpus"

PAGES = {
    "home": "/",
    "query": "/sparql",
    "entity": "/id/microneedling",
    "article": "/id/microneedling-for-hair-loss",
    "ontology": "/ontology",
    "demo": "/demo",
    "suggest": "/editor/suggest",
    "api-docs": "/api/v1/docs",
    "proposals": "/editor/proposals",
    "releases": "/releases/",
    "entity-not-found": "/id/no-such-thing",
    "page-not-found": "/no/such/page",
}
WIDTHS = (390, 1280)
NAV_LINKS = {
    "/sparql",
    "/ontology",
    "/api/v1/docs",
    "/demo",
    "/editor/suggest",
    "/editor/proposals",
    "/releases/",
}

RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
  (r) => done(r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
                                        targets: v.nodes.map((n) => n.target.join(" "))}))),
  (e) => done([{id: "axe-error", impact: "critical", help: String(e), targets: []}]));
"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` in api/frontend (scripts/setup does)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pages(browser):
    """The session's browser, sized per test and reset to its own size afterwards."""
    browser.set_script_timeout(60)
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def open_page(browser, url: str, width: int, height: int = 900) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    browser.get(url)
    wait_until(lambda: browser.execute_script("return document.readyState") == "complete", 30)
    if "/sparql" in url:  # the editor is drawn by a deferred script
        wait_until(lambda: browser.execute_script("return !!document.querySelector('.CodeMirror')"))


def serious_violations(browser, axe_source: str) -> list[dict]:
    browser.execute_script(axe_source)
    found = browser.execute_async_script(RUN_AXE)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['impact']} {v['id']} ({v['help']}): {', '.join(v['targets'][:6])}" for v in violations
    )


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(PAGES))
def test_page_fits_has_the_navigation_and_passes_axe(pages, server, axe_source, name, width):
    open_page(pages, server.url + PAGES[name], width)
    scroll_width, inner_width = pages.execute_script(
        "return [document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"{name} at {width} px scrolls sideways: {scroll_width}"
    nav = pages.execute_script(
        "const nav = document.querySelector('header.site-header nav[aria-label=Main]');"
        "if (!nav) return null; const r = nav.getBoundingClientRect();"
        "return {visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right <= innerWidth,"
        "        links: [...nav.querySelectorAll('a')].map((a) => a.getAttribute('href'))};"
    )
    assert nav is not None, f"{name} has no site navigation"
    assert nav["visible"], f"{name} at {width} px: the navigation is not visible"
    assert set(nav["links"]) >= NAV_LINKS, nav
    violations = serious_violations(pages, axe_source)
    assert not violations, f"{name} at {width} px:\n{describe(violations)}"


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_query_results_page_fits_and_passes_axe(pages, server, axe_source, width):
    """A browser following a link to /sparql?query=…: the editor with the query run and
    YASR's result table (which brings controls of its own)."""
    query = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n" + (
        "SELECT ?s ?label WHERE { ?s rdfs:label ?label } LIMIT 20"
    )
    open_page(pages, server.url + "/sparql?query=" + urllib.parse.quote(query), width)
    wait_until(
        lambda: pages.execute_script(
            "return document.querySelectorAll('.yasr table.dataTable tbody tr').length"
        ),
        what="the result table",
    )
    assert pages.execute_script("return document.scrollingElement.scrollWidth <= innerWidth")
    violations = serious_violations(pages, axe_source)
    assert not violations, f"results at {width} px:\n{describe(violations)}"


# -- one test per flaw of issue 16 part 5 ----------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("how", ["first visit", "example loaded"])
def test_query_editor_folds_prefixes_and_shows_the_query_above_the_fold(pages, server, how, width):
    open_page(pages, server.url + "/sparql", width, 900 if width > 400 else 844)
    if how == "example loaded":
        pages.execute_script("document.querySelector('button.example').click()")
        wait_until(
            lambda: "SELECT" in pages.execute_script("return hairkgYasgui.getTab().getQuery()")
        )
        # The tab takes the example's long title: it shortens, the page does not widen.
        assert pages.execute_script("return document.scrollingElement.scrollWidth <= innerWidth")
    # The lines a person sees: inside the editor's scrolled view and inside the window.
    lines = pages.execute_script(
        "const view = document.querySelector('.CodeMirror-scroll').getBoundingClientRect();"
        "const fold = Math.min(view.bottom, window.innerHeight);"
        "return [...document.querySelectorAll('.CodeMirror-code > div')].map((line) => {"
        "  const r = line.getBoundingClientRect();"
        "  return {text: line.querySelector('pre').textContent, bottom: r.bottom, fold,"
        "          seen: r.height > 0 && r.top >= view.top - 1 && r.bottom <= fold + 1};"
        "});"
    )
    seen = [line for line in lines if line["seen"]]
    prefix_lines = [line for line in seen if line["text"].lstrip().startswith("PREFIX")]
    assert len(prefix_lines) <= 1, "the PREFIX lines are folded into one"
    query = [line for line in seen if line["text"].lstrip().startswith(("SELECT", "ASK"))]
    assert query, f"the query is below the fold: {[line['text'] for line in seen]}"


@pytest.mark.browser
def test_query_example_list_is_not_cut_off(pages, server):
    open_page(pages, server.url + "/sparql", 1280, 900)
    clipped = pages.execute_script(
        "const list = document.getElementById('example-list');"
        "const style = getComputedStyle(list);"
        "return {scrolls: list.scrollHeight > list.clientHeight + 1,"
        "        overflow: style.overflowY, count: list.children.length};"
    )
    assert clipped["count"] >= 5
    assert not clipped["scrolls"] and clipped["overflow"] == "visible", clipped


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_long_definition_source_iris_wrap_inside_their_column(pages, server, width):
    open_page(pages, server.url + "/id/microneedling", width)
    cells = pages.execute_script(
        "return [...document.querySelectorAll('dl.facts dd, table.relations td')].map((cell) => {"
        "  const box = cell.closest('dl, table').getBoundingClientRect();"
        "  const r = cell.getBoundingClientRect();"
        "  return {text: cell.innerText, right: r.right, limit: box.right,"
        "          overflow: cell.scrollWidth > cell.clientWidth + 1};"
        "});"
    )
    long_iris = [c for c in cells if "https://" in c["text"] and len(c["text"]) > 45]
    assert long_iris, "the page has a long definition-source IRI to check"
    spilled = [c for c in cells if c["right"] > c["limit"] + 1 or c["overflow"]]
    assert not spilled, spilled


@pytest.mark.browser
def test_ontology_diagram_labels_are_legible_and_do_not_overlap(pages, server):
    open_page(pages, server.url + "/ontology", 1280)
    labels = pages.execute_script(
        "return [...document.querySelectorAll('#class-links-diagram g.edge text')].map((t) => {"
        "  const r = t.getBoundingClientRect();"
        "  const loop = t.closest('g.edge').querySelector('title').textContent;"
        "  const [from, to] = loop.split('->');"
        "  return {text: t.textContent, self: from === to, size: r.height,"
        "          box: [r.left, r.top, r.right, r.bottom]};"
        "});"
    )
    assert len(labels) >= 20 and any(label["self"] for label in labels)
    small = [label for label in labels if label["size"] < 11]
    assert not small, f"labels under 11 px: {small[:5]}"

    def overlap(a, b) -> bool:
        (al, at, ar, ab), (bl, bt, br, bb) = a["box"], b["box"]
        return min(ar, br) - max(al, bl) > 1 and min(ab, bb) - max(at, bt) > 1

    loops = [label for label in labels if label["self"]]
    clashes = [
        (a["text"], b["text"]) for a in loops for b in labels if a is not b and overlap(a, b)
    ]
    assert not clashes, clashes


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_demo_embed_code_is_shown_whole(pages, server, width):
    open_page(pages, server.url + "/demo", width)
    code = pages.execute_script(
        "const pre = document.getElementById('embed-code');"
        "return {text: pre.innerText, cut: pre.scrollWidth > pre.clientWidth + 1,"
        "        right: pre.getBoundingClientRect().right, width: innerWidth};"
    )
    assert code["text"].startswith("<script src=") and code["text"].endswith("</script>")
    assert "/widget.js" in code["text"] and 'data-article="https://' in code["text"]
    assert not code["cut"] and code["right"] <= code["width"], code


@pytest.mark.browser
def test_suggestion_page_before_the_first_run(pages, server):
    open_page(pages, server.url + "/editor/suggest", 1280)
    state = pages.execute_script(
        "const visible = (e) => !!e && e.getClientRects().length > 0;"
        "const boxes = [...document.querySelectorAll('.suggest-output *')].filter((e) =>"
        "  visible(e) && parseFloat(getComputedStyle(e).borderTopWidth) > 0"
        "  && !e.textContent.trim());"
        "const run = getComputedStyle(document.getElementById('suggest-run'));"
        "const defaults = document.createElement('button'); document.body.append(defaults);"
        "const plain = getComputedStyle(defaults).backgroundColor; defaults.remove();"
        "return {emptyBoxes: boxes.map((e) => e.id || e.className),"
        "        hint: visible(document.getElementById('suggest-placeholder')),"
        "        runBackground: run.backgroundColor, plainBackground: plain,"
        "        radius: parseFloat(run.borderTopLeftRadius)};"
    )
    assert state["emptyBoxes"] == [], state
    assert state["hint"], "a hint says what will appear"
    assert state["runBackground"] != state["plainBackground"] and state["radius"] > 0, state


@pytest.mark.browser
def test_suggestions_never_repeat_a_rationale_or_name_two_most_frequent(pages, server, axe_source):
    # This article's top count is a tie, and its main concept is named in the title.
    text = (CORPUS / "finasteride-male-pattern.txt").read_text(encoding="utf-8")
    open_page(pages, server.url + "/editor/suggest", 1280)
    pages.execute_script("document.getElementById('suggest-text').value = arguments[0];", text)
    pages.execute_script("document.getElementById('suggest-run').click()")
    wait_until(lambda: pages.execute_script("return document.querySelectorAll('.why').length"))
    whys = pages.execute_script(
        "return [...document.querySelectorAll('.why')].map(e => e.innerText)"
    )
    for why in whys:
        summary, _, rest = why.partition(" — ")
        reasons = rest.split("; ") if rest else []
        decided_by = summary.split(": ", 1)[-1]
        assert decided_by not in reasons, why
        assert len(set(reasons)) == len(reasons), why
    assert any(why.startswith("about: named in the title") for why in whys), whys
    page_text = pages.execute_script("return document.body.innerText")
    assert page_text.count("the most frequent concept") <= 1, whys
    assert "tied for most frequent" in page_text, whys
    # The page with its results: still fits and passes axe.
    assert pages.execute_script("return document.scrollingElement.scrollWidth <= innerWidth")
    violations = serious_violations(pages, axe_source)
    assert not violations, describe(violations)


@pytest.mark.browser
def test_api_docs_render_markdown_say_what_writes_and_link(pages, server):
    open_page(pages, server.url + "/api/v1/docs", 1280)
    page = pages.execute_script(
        "return {text: document.querySelector('main').innerText,"
        "  codes: document.querySelectorAll('main p code, main td code').length,"
        "  operations: [...document.querySelectorAll('section.operation')].map((s) => ({"
        "    method: s.querySelector('.method').textContent, text: s.innerText}))};"
    )
    assert "`" not in page["text"], "Markdown backticks are rendered as code"
    assert page["codes"] > 10
    writes = [op for op in page["operations"] if op["method"] in ("POST", "PUT", "PATCH")]
    assert len(writes) >= 5
    for op in writes:
        assert "Read-only" not in op["text"], op["text"][:200]
    assert "docs/" not in page["text"] and ".md" not in page["text"], "repository paths"
    links = pages.execute_script(
        "return [...document.querySelectorAll('main header a')].map((a) => a.getAttribute('href'))"
    )
    assert "/api/v1/openapi.json" in links and "/demo" in links


def test_error_pages_for_browsers_only(server):
    """A mistyped address in a browser gets a page with the navigation; a client that does
    not ask for HTML keeps the plain error."""
    status, headers, body = server.get("/no/such/page", {"Accept": "text/html"})
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert b'aria-label="Main"' in body
    status, headers, body = server.get("/no/such/page", {"Accept": "application/json"})
    assert status == 404 and b'aria-label="Main"' not in body
