"""Search engines find the pages (issue 18 part 4): every entity and article page embeds
schema.org JSON-LD whose every type and property is a schema.org term; /sitemap.xml (a
sitemap index past its page size) lists every page with lastmod from the change history;
robots.txt points to it. In process (Flask's test client on a real store)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from helpers import wait_until

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
KB = "https://w3id.org/hairkg/id/"
LD_SCRIPT = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)

# The schema.org terms the pages may use, each checked by hand against https://schema.org/
# (version 28): types, then properties. A term the ontology aligns to that is not here fails
# the test below, so an invented or misspelt term cannot reach the pages unnoticed.
SCHEMA_TYPES = {
    "Thing", "MedicalEntity", "MedicalCondition", "Drug", "MedicalDevice", "MedicalStudy",
    "MedicalProcedure", "TherapeuticProcedure", "MedicalTherapy", "MedicalWebPage", "WebPage",
    "WebPageElement", "Substance", "MedicalRiskFactor", "MedicalRiskScore", "Claim",
    "PriceSpecification", "Person", "Organization",
}  # fmt: skip
SCHEMA_PROPERTIES = {
    "name", "description", "alternateName", "sameAs", "url", "about", "mentions", "author",
    "reviewedBy", "lastReviewed", "datePublished", "dateModified", "adverseOutcome",
    "possibleTreatment", "riskFactor", "evidenceLevel", "minPrice", "maxPrice", "priceCurrency",
}  # fmt: skip
JSON_LD_KEYWORDS = {"@context", "@id", "@type"}


def json_ld_of(server, path: str) -> dict:
    status, headers, body = server.get(path, {"Accept": "text/html"})
    assert status == 200, (path, status)
    assert headers["Content-Type"].startswith("text/html")
    found = LD_SCRIPT.findall(body.decode("utf-8"))
    assert len(found) == 1, path
    return json.loads(found[0])


def unknown_terms(node) -> set[str]:
    """Every type or property in ``node`` (recursively) that is not a vetted schema.org term."""
    bad: set[str] = set()
    if isinstance(node, list):
        for item in node:
            bad |= unknown_terms(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@type":
                types = value if isinstance(value, list) else [value]
                bad |= {f"type {t}" for t in types if t not in SCHEMA_TYPES}
            elif key not in JSON_LD_KEYWORDS and key not in SCHEMA_PROPERTIES:
                bad.add(f"property {key}")
            if key != "@context":
                bad |= unknown_terms(value)
    return bad


def types_of(data: dict) -> set[str]:
    value = data["@type"]
    return set(value if isinstance(value, list) else [value])


def sitemap_urls(server, path: str = "/sitemap.xml") -> list[tuple[str, str | None]]:
    status, headers, body = server.get(path)
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/xml")
    root = ET.fromstring(body)
    assert root.tag == f"{SITEMAP}urlset", root.tag
    return [
        (url.findtext(f"{SITEMAP}loc"), url.findtext(f"{SITEMAP}lastmod"))
        for url in root.findall(f"{SITEMAP}url")
    ]


def robots_sitemap(server) -> str:
    status, headers, body = server.get("/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    lines = [line for line in body.decode().splitlines() if line.startswith("Sitemap:")]
    assert len(lines) == 1, body
    return lines[0].removeprefix("Sitemap:").strip()


def test_robots_points_to_a_sitemap_of_every_entity_and_article_page(app_server):
    sitemap = robots_sitemap(app_server)
    assert urlsplit(sitemap).path == "/sitemap.xml"
    urls = sitemap_urls(app_server, urlsplit(sitemap).path)
    paths = [urlsplit(loc).path for loc, _lastmod in urls]
    assert len(paths) == len(set(paths)) > 100
    assert all(p.startswith("/id/") for p in paths)
    for name in ("microneedling-for-hair-loss", "prp-for-hair-loss", "androgenetic-alopecia"):
        assert f"/id/{name}" in paths
    # every entity and article the API serves is listed
    status, _, body = app_server.get("/api/v1/articles?limit=100")
    assert status == 200
    for article in json.loads(body)["items"]:
        assert f"/id/{article['id']}" in paths
    # the shipped data was loaded, not changed through hairkg: no history, no lastmod
    assert all(lastmod is None for _loc, lastmod in urls)


def test_every_listed_page_answers_200_with_schema_org_json_ld(app_server):
    failures = []
    for loc, _lastmod in sitemap_urls(app_server):
        path = urlsplit(loc).path
        data = json_ld_of(app_server, path)
        if (
            data["@id"] != KB + path.removeprefix("/id/")
            or data["@context"] != "https://schema.org"
        ):
            failures.append(f"{path}: {data['@id']}")
        bad = unknown_terms(data)
        if bad:
            failures.append(f"{path}: not schema.org: {sorted(bad)}")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize(
    ("name", "schema_type"),
    [
        ("androgenetic-alopecia", "MedicalCondition"),  # hk:HairLossDisorder < hk:Condition
        ("oral-finasteride", "Drug"),
        ("microneedling", "TherapeuticProcedure"),  # a schema:MedicalProcedure
        ("at-home-dermaroller", "MedicalDevice"),
        ("fertig-2018", "MedicalStudy"),
        ("microneedling-for-hair-loss", "MedicalWebPage"),
    ],
)
def test_types_follow_the_ontology_alignment(app_server, name, schema_type):
    status, _, _ = app_server.get(f"/id/{name}", {"Accept": "text/html"})
    if status == 404:
        pytest.fail(f"/id/{name} is not in the shipped data: pick another example")
    data = json_ld_of(app_server, f"/id/{name}")
    assert schema_type in types_of(data), data["@type"]
    assert data["name"] and not unknown_terms(data)


def test_an_article_page_names_what_it_is_about(app_server):
    data = json_ld_of(app_server, "/id/microneedling-for-hair-loss")
    assert data["name"] == "Microneedling for Hair Loss"
    assert data["url"] == "https://hairclinic.example/microneedling-for-hair-loss"
    about = {a["@id"]: a.get("name") for a in data["about"]}
    assert about[KB + "microneedling"] == "microneedling"
    assert "reviewedBy" not in data and "lastReviewed" not in data  # none recorded: not guessed
    condition = json_ld_of(app_server, "/id/androgenetic-alopecia")
    assert any(t["@id"] == KB + "topical-minoxidil" for t in condition["possibleTreatment"])


def test_json_ld_cannot_end_its_script_element():
    from api.render.schema_org import script_json

    text = script_json({"name": "</script><script>alert(1)</script> & more"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text)["name"] == "</script><script>alert(1)</script> & more"


def test_past_its_page_size_the_sitemap_is_an_index_of_pages(app_server):
    app = app_server.client.application
    everything = sitemap_urls(app_server)
    app.config["SITEMAP_PAGE_SIZE"] = 50
    try:
        status, _, body = app_server.get("/sitemap.xml")
        assert status == 200
        root = ET.fromstring(body)
        assert root.tag == f"{SITEMAP}sitemapindex"
        pages = [urlsplit(s.findtext(f"{SITEMAP}loc")).path for s in root]
        assert len(pages) == -(-len(everything) // 50) >= 2
        listed = []
        for page in pages:
            urls = sitemap_urls(app_server, page)
            assert 1 <= len(urls) <= 50
            listed += urls
        assert listed == everything
        assert app_server.get(f"/sitemap-{len(pages) + 1}.xml")[0] == 404
        assert app_server.get("/sitemap-0.xml")[0] == 404
    finally:
        app.config.pop("SITEMAP_PAGE_SIZE")
    assert ET.fromstring(app_server.get("/sitemap.xml")[2]).tag == f"{SITEMAP}urlset"


@pytest.fixture(scope="module")
def writable_app(tmp_path_factory, release_dir):
    from conftest import InProcessServer, release_app

    data_dir = tmp_path_factory.mktemp("findability")
    settings = {"tokens": "alice:alice-secret:write", "write_validation": "shapes"}
    with release_app(data_dir, release_dir, **settings) as (app, _store):
        yield InProcessServer(app.test_client())


def test_a_reviewed_article_shows_its_review_and_lastmod_and_is_found_by_title(writable_app):
    document = {
        "url": "https://hairclinic.example/scalp-care-after-microneedling",
        "title": "Scalp Care After Microneedling Sessions",
        "about": ["microneedling"],
        "reviewedBy": ["Dr A. Reviewer"],
        "lastReviewed": "2024-06-01",
    }
    response = writable_app.client.post(
        "/api/v1/edit/articles",
        json=document,
        headers={"Authorization": "Bearer alice-secret"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    name = response.get_json()["entity"]["id"]

    data = json_ld_of(writable_app, f"/id/{name}")
    assert "MedicalWebPage" in types_of(data)
    assert data["reviewedBy"] == "Dr A. Reviewer" and data["lastReviewed"] == "2024-06-01"
    assert not unknown_terms(data)

    def listed():
        return dict(sitemap_urls(writable_app)).get(f"{writable_app.url}/id/{name}")

    lastmod = wait_until(listed, timeout_s=30, what="the new article in the sitemap")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", lastmod)
    status, _, body = writable_app.get("/api/v1/history?limit=1")
    assert status == 200, body
    assert json.loads(body)["items"][0]["time"] == lastmod

    def found():
        status, _, body = writable_app.get(
            "/api/v1/search?q=scalp%20care%20after%20microneedlng&type=Article"
        )
        items = json.loads(body)["items"] if status == 200 else []
        return items and items[0]["id"] == name and items[0]

    hit = wait_until(found, timeout_s=30, what="the new article found by its title")
    assert hit["match"] == "fuzzy" and hit["url"] == document["url"]
