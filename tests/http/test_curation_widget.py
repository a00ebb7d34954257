"""The editors' picks in the widget, in real headless Chromium on a real ``hairkg serve`` of
this module's own: the pinned article comes first with the reason "chosen by the editors", the
blocked one is not shown, the rest follows from the ranking."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from conftest import server_fixture
from helpers import call, wait_until
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.browser

ALICE = {"Authorization": "Bearer alice-secret"}
ARTICLE = "microneedling-for-hair-loss"
SEED_URL = "https://hairclinic.example/microneedling-for-hair-loss"

curated = server_fixture(
    "curated", env={"HAIRKG_TOKENS": "alice:alice-secret:write", "HAIRKG_TOKENS_FILE": ""}
)


def widget_items(browser, timeout=30) -> list[tuple[str, str]]:
    """(title, reasons shown) of each item the widget rendered."""

    def ready(driver):
        return driver.execute_script(
            "var h = document.querySelector('hairkg-related');"
            "return h && h.shadowRoot ? h.shadowRoot.querySelectorAll('li').length : 0;"
        )

    WebDriverWait(browser, timeout).until(ready)
    host = browser.find_element(By.CSS_SELECTOR, "hairkg-related")
    items = []
    for li in host.shadow_root.find_elements(By.CSS_SELECTOR, "li"):
        why = li.find_elements(By.CSS_SELECTOR, ".why")
        items.append((li.find_element(By.CSS_SELECTOR, "a").text, why[0].text if why else ""))
    return items


def test_the_widget_shows_the_editors_picks(browser, curated):
    picks = {
        "pinned": ["the-best-hair-extensions-for-thinning-hair"],
        "blocked": ["prp-for-hair-loss"],
    }
    status, _, body = call(
        curated.url, "PUT", f"/api/v1/edit/articles/{ARTICLE}/related", picks, ALICE
    )
    assert status == 200, body

    def first_pinned():
        status, _, body = call(
            curated.url, "GET", "/api/v1/related?" + urllib.parse.urlencode({"url": SEED_URL})
        )
        items = json.loads(body)["items"] if status == 200 else []
        return items and items[0]["pinned"]

    # every worker answers with the pin (a new connection each: the page's widget may ask
    # either worker, and one was once seen still on its index from before the write)
    wait_until(
        lambda: all(first_pinned() for _ in range(6)),
        30,
        what="the pinned article first in every worker's related answer",
    )
    browser.get(curated.url + "/demo?" + urllib.parse.urlencode({"article": SEED_URL}))
    items = widget_items(browser)
    assert items[0] == ("The Best Hair Extensions for Thinning Hair", "chosen by the editors")
    titles = [title for title, _why in items]
    assert "PRP for Hair Loss" not in titles
    assert "Side Effects of Finasteride for Hair Loss" in titles[1:]
    assert all(why and why != "chosen by the editors" for _title, why in items[1:])
