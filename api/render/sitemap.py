"""The sitemap (sitemaps.org protocol 0.9) of the pages search engines should index: every
entity page and article page under ``/id/``, with ``lastmod`` from the change history.

Past ``page_size`` URLs (50,000, the protocol's limit) ``/sitemap.xml`` is a sitemap index of
``/sitemap-{n}.xml`` pages. The list is computed once per dataset version (and index
generation) and kept: a request only slices and writes XML.
"""

from __future__ import annotations

import threading
from xml.sax.saxutils import escape

from kb.rdf import KB
from kb.read.indexes import Indexes
from kb.store.client import SparqlStore
from kb.writes.history import last_modified

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000

_lock = threading.Lock()
_cache: dict[tuple, list[tuple[str, str | None]]] = {}


def sitemap_entries(indexes: Indexes, store: SparqlStore) -> list[tuple[str, str | None]]:
    """(page name under /id/, lastmod or None) for every entity and article, sorted."""
    key = (indexes.version, indexes.generation, id(indexes))
    with _lock:
        if key in _cache:
            return _cache[key]
    base = str(KB)
    iris = {iri for iri in indexes.graph.entities() if iri.startswith(base)}
    iris.update(iri for iri in indexes.articles if iri.startswith(base))
    changed, unrecorded = last_modified(store)
    entries = []
    for iri in sorted(iris):
        times = [t for t in (changed.get(iri), unrecorded) if t]
        entries.append((iri[len(base) :], max(times) if times else None))
    with _lock:
        _cache.clear()
        _cache[key] = entries
    return entries


def urlset(root: str, entries: list[tuple[str, str | None]]) -> str:
    """A ``<urlset>`` of the pages ``root + 'id/' + name``."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<urlset xmlns="{SITEMAP_NS}">']
    for name, lastmod in entries:
        lines.append(f"<url><loc>{escape(root + 'id/' + name)}</loc>")
        if lastmod:
            lines.append(f"<lastmod>{escape(lastmod)}</lastmod>")
        lines.append("</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def sitemap_index(root: str, entries: list[tuple[str, str | None]], page_size: int) -> str:
    """A ``<sitemapindex>`` of ``/sitemap-{n}.xml``, each with its newest ``lastmod``."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<sitemapindex xmlns="{SITEMAP_NS}">']
    for number, start in enumerate(range(0, len(entries), page_size), start=1):
        lines.append(f"<sitemap><loc>{escape(f'{root}sitemap-{number}.xml')}</loc>")
        times = [t for _name, t in entries[start : start + page_size] if t]
        if times:
            lines.append(f"<lastmod>{escape(max(times))}</lastmod>")
        lines.append("</sitemap>")
    lines.append("</sitemapindex>")
    return "\n".join(lines) + "\n"


def robots_txt(root: str) -> str:
    return f"User-agent: *\nDisallow:\n\nSitemap: {root}sitemap.xml\n"
