"""The embeddable widget in real headless Chromium, on a page served from another origin with
hostile CSS: it shows the expected related articles, accessibly, without leaking globals or
styles, and the page survives the service going away."""

from __future__ import annotations

import http.server
import json
import re
import threading

import pytest
from conftest import start_server
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from kb.store.managed import free_port

pytestmark = pytest.mark.browser

SEED_URL = "https://hairclinic.example/microneedling-for-hair-loss"
EXPECTED_TITLES = [
    "PRP for Hair Loss",
    "Side Effects of Finasteride for Hair Loss",
    "The Best Hair Extensions for Thinning Hair",
]
SCREENSHOT = "/tmp/hairkg-widget.png"

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A publisher's article</title>
<script>
(function () {
  var root = document.documentElement;
  root.setAttribute("data-before", JSON.stringify(Object.getOwnPropertyNames(window)));
  function note(message) {
    root.setAttribute("data-errors", (root.getAttribute("data-errors") || "") + "|" + message);
  }
  window.addEventListener("error", function (e) { note(e.message); });
  window.addEventListener("unhandledrejection", function (e) { note(String(e.reason)); });
  // The widget's globals, measured when it reports its state (before the test driver runs
  // scripts of its own in the page, which add names such as ret_nodes).
  new MutationObserver(function () {
    if (root.hasAttribute("data-new-globals")) return;
    var before = JSON.parse(root.getAttribute("data-before"));
    var added = Object.getOwnPropertyNames(window).filter(function (n) {
      return before.indexOf(n) < 0;
    });
    root.setAttribute("data-new-globals", JSON.stringify(added));
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ["data-state"] });
})();
</script>
<style>
  * { color: red !important; display: inline; font-family: serif; }
  li { display: none }
  nav, section, h2, a { border: 5px dashed lime; font-size: 40px; }
  html, body, main, p { display: block; }
</style></head>
<body><main>
<h1>Microneedling for Hair Loss</h1>
<p class="probe">Publisher text stays as the publisher styled it.</p>
<p><a id="before" href="#top">a link of the host page</a></p>
<ul id="host-list"><li>host item</li></ul>
<script src="__API__/widget.js" data-article="__ARTICLE__" data-limit="5" async></script>
<p class="probe" id="after">More publisher text after the widget.</p>
</main></body></html>
"""


class _HostPage:
    """A tiny http.server on another loopback port, serving one host page."""

    def __init__(self, api_url: str):
        page = HOST_PAGE.replace("__API__", api_url).replace("__ARTICLE__", SEED_URL).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        # "localhost" vs the API's "127.0.0.1": a different origin (and port).
        self.url = f"http://localhost:{self.port}/article"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def widget_links(browser, timeout=20):
    def ready(driver):
        return driver.execute_script(
            "var h = document.querySelector('hairkg-related');"
            "return h && h.shadowRoot ? h.shadowRoot.querySelectorAll('a').length : 0;"
        )

    WebDriverWait(browser, timeout).until(ready)
    host = browser.find_element(By.CSS_SELECTOR, "hairkg-related")
    return host, host.shadow_root.find_elements(By.CSS_SELECTOR, "a")


def page_errors(browser) -> list[str]:
    raw = browser.execute_script("return document.documentElement.getAttribute('data-errors')")
    return [e for e in (raw or "").split("|") if e]


# Names that ChromeDriver/Selenium themselves put on window when they run scripts in the page
# (e.g. while polling for the widget): not the widget's. The widget documents no global at all.
DRIVER_GLOBALS = re.compile(
    r"^(ret_nodes|\w*FunctionSymbol|\$?cdc_\w*|__webdriver\w*|__selenium\w*)$"
)


def new_globals(browser) -> list[str]:
    """Names the page's window gained between its first script and the widget's first state
    change (when the widget has run: fetched, rendered or given up)."""
    recorded = browser.execute_script(
        "return document.documentElement.getAttribute('data-new-globals')"
    )
    assert recorded is not None, "the widget never reported a state"
    return [n for n in json.loads(recorded) if not DRIVER_GLOBALS.match(n)]


def globals_now(browser) -> list[str]:
    names = browser.execute_script(
        "var before = JSON.parse(document.documentElement.getAttribute('data-before'));"
        "return Object.getOwnPropertyNames(window).filter(function (n) {"
        "  return before.indexOf(n) < 0; });"
    )
    return [n for n in names if not DRIVER_GLOBALS.match(n)]


def test_widget_on_a_foreign_page(browser, server):
    host_page = _HostPage(server.url)
    try:
        browser.get(host_page.url)
        host, links = widget_links(browser)

        # the expected related articles, in order, with their reasons
        assert [a.text for a in links] == EXPECTED_TITLES
        assert links[0].get_attribute("href") == "https://hairclinic.example/prp-for-hair-loss"
        reasons = host.shadow_root.find_elements(By.CSS_SELECTOR, ".why")
        assert "platelet-rich plasma" in reasons[0].text

        # an accessible, named landmark
        nav = host.shadow_root.find_element(By.CSS_SELECTOR, "nav")
        assert nav.accessible_name == "Related articles"
        assert nav.get_attribute("aria-labelledby")

        # keyboard: Tab from the host page's link reaches each widget link in order
        browser.find_element(By.ID, "before").send_keys("")
        browser.execute_script("document.getElementById('before').focus()")
        focused = []
        for _ in EXPECTED_TITLES:
            browser.switch_to.active_element.send_keys(Keys.TAB)
            focused.append(
                browser.execute_script(
                    "var h = document.activeElement;"
                    "return h && h.shadowRoot && h.shadowRoot.activeElement"
                    "  ? h.shadowRoot.activeElement.textContent : null;"
                )
            )
        assert focused == EXPECTED_TITLES

        # the host's hostile CSS did not break the box...
        styles = browser.execute_script(
            "var h = document.querySelector('hairkg-related'), r = h.shadowRoot;"
            "var li = r.querySelector('li'), a = r.querySelector('a');"
            "var nav = r.querySelector('nav');"
            "var s = function (e) { return getComputedStyle(e); };"
            "return {host: s(h).display, li: s(li).display, a: s(a).color,"
            "        navBorder: s(nav).borderTopStyle, font: s(a).fontSize,"
            "        height: h.getBoundingClientRect().height};"
        )
        assert styles["host"] == "block"
        assert styles["li"] == "block"
        assert styles["a"] != "rgb(255, 0, 0)"
        assert styles["navBorder"] != "dashed"
        assert styles["font"] != "40px"
        assert styles["height"] > 50
        # ...and the box's CSS did not leak into the host page
        host_styles = browser.execute_script(
            "var s = function (q) { return getComputedStyle(document.querySelector(q)); };"
            "return {a: s('#before').color, a_border: s('#before').borderTopStyle,"
            "        li: s('#host-list li').display, p: s('#after').color};"
        )
        assert host_styles == {
            "a": "rgb(255, 0, 0)",
            "a_border": "dashed",
            "li": "none",
            "p": "rgb(255, 0, 0)",
        }

        # no globals, no errors
        assert new_globals(browser) == []
        assert page_errors(browser) == []
        browser.save_screenshot(SCREENSHOT)
    finally:
        host_page.close()


def test_custom_element_and_api_base_override(browser, server):
    host_page = _HostPage(server.url)
    try:
        browser.get(host_page.url)
        widget_links(browser)
        # a second box through the custom element, with a smaller limit
        browser.execute_script(
            "var e = document.createElement('hairkg-related');"
            "e.id = 'second'; e.setAttribute('article', arguments[0]);"
            "e.setAttribute('limit', '1'); document.querySelector('main').appendChild(e);",
            "https://hairclinic.example/prp-for-hair-loss",
        )
        WebDriverWait(browser, 20).until(
            lambda d: d.execute_script(
                "var e = document.getElementById('second');"
                "return e.shadowRoot && e.shadowRoot.querySelectorAll('a').length;"
            )
        )
        titles = browser.execute_script(
            "return Array.from(document.getElementById('second').shadowRoot"
            ".querySelectorAll('a')).map(function (a) { return a.textContent; });"
        )
        assert titles == ["Microneedling for Hair Loss"]
        # an unknown article: nothing rendered, nothing thrown
        browser.execute_script(
            "var e = document.createElement('hairkg-related'); e.id = 'unknown';"
            "e.setAttribute('article', 'https://nowhere.example/x');"
            "document.querySelector('main').appendChild(e);"
        )
        WebDriverWait(browser, 20).until(
            lambda d: (
                d.execute_script(
                    "return document.getElementById('unknown').getAttribute('data-state')"
                )
                == "empty"
            )
        )
        assert browser.execute_script("return document.getElementById('unknown').hidden") is True
        # an API that does not answer: nothing rendered, nothing thrown
        browser.execute_script(
            "var e = document.createElement('hairkg-related'); e.id = 'down';"
            "e.setAttribute('article', arguments[0]);"
            "e.setAttribute('api', 'http://127.0.0.1:' + arguments[1]);"
            "document.querySelector('main').appendChild(e);",
            SEED_URL,
            free_port(),
        )
        WebDriverWait(browser, 20).until(
            lambda d: (
                d.execute_script(
                    "return document.getElementById('down').getAttribute('data-state')"
                )
                == "unavailable"
            )
        )
        assert browser.execute_script("return document.getElementById('down').hidden") is True
        assert page_errors(browser) == []
        assert new_globals(browser) == []
    finally:
        host_page.close()


def test_host_page_survives_the_service_going_down(browser, release_dir, tmp_path):
    api = start_server(tmp_path / "widget-server", release_dir=release_dir)
    host_page = _HostPage(api.url)
    try:
        browser.get(host_page.url)
        _, links = widget_links(browser)
        assert [a.text for a in links] == EXPECTED_TITLES
        api.stop()
        # really down: no copy of widget.js or of the answer from the HTTP cache
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        browser.get(host_page.url)  # returns after the load event: the failed script included
        WebDriverWait(browser, 20).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        assert globals_now(browser) == []
        assert browser.find_element(By.CSS_SELECTOR, "h1").text == "Microneedling for Hair Loss"
        assert browser.find_element(By.ID, "after").is_displayed()
        assert page_errors(browser) == []
        hosts = browser.find_elements(By.CSS_SELECTOR, "hairkg-related")
        assert all(h.get_attribute("hidden") is not None for h in hosts)
    finally:
        browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
        api.stop()
        host_page.close()


def test_demo_page_shows_the_widget(browser, server):
    browser.get(server.url + "/demo")
    _, links = widget_links(browser)
    assert [a.text for a in links] == EXPECTED_TITLES
    assert json.loads(browser.execute_script("return JSON.stringify(document.title)")).startswith(
        "Widget demo"
    )
