"""The ontology's HTML documentation at ``/ontology``: classes, properties, hierarchy,
definitions and two diagrams, rebuilt when the dataset version changes.

The page is hairkg's own generator (the ``ontology.html`` template over
:func:`api.views.ontology.load_ontology`), not pyLODE: it shares the site's layout, links
every instance to its entity page and keeps the strict Content-Security-Policy (pyLODE's
pages bring their own styles and scripts). The diagrams are drawn by Graphviz (``dot``,
Debian package ``graphviz``) on the server as inline SVG:

- the class hierarchy (``rdfs:subClassOf`` between hk: classes, arrows to the parent);
- how the main classes link: one arrow per hk: object property from its domain to its
  range (named classes and the members of union domains and ranges; of two inverse
  properties only the declaring one).

Both the diagrams and the whole page are cached per dataset version: a reload or an edit
changes the version, and the next request rebuilds them.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import threading
from collections.abc import Callable

from markupsafe import Markup

_lock = threading.Lock()
_cache: dict[str, object] = {}
_MAX_VERSIONS = 4
LINKS_RANKDIR = "LR"  # the links diagram reads left to right, from domain to range
# Label sizes in points; the SVG is shown at one CSS pixel per point and never shrunk to
# the page (its figure scrolls sideways instead), so a label is LABEL_SIZE px on screen.
LABEL_SIZE = 13


def per_version(key: str, version: str, build: Callable[[], object]) -> object:
    """``build()`` once per (key, dataset version); older versions are dropped."""
    slot = f"{key}\x1f{version}"
    with _lock:
        if slot in _cache:
            return _cache[slot]
    value = build()
    with _lock:
        _cache[slot] = value
        while len(_cache) > _MAX_VERSIONS * 2:
            _cache.pop(next(iter(_cache)))
    return value


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hierarchy_dot(ontology: dict) -> str:
    lines = [
        "digraph hierarchy {",
        '  graph [rankdir=BT, fontname="sans-serif", nodesep=0.15, ranksep=0.5];',
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", color="#5b7bb2", '
        f'fontname="sans-serif", fontsize={LABEL_SIZE}, height=0.3];',
        '  edge [color="#5b7bb2", arrowhead=empty];',
    ]
    classes = ontology["classes"]
    keys = {c.iri for c in classes}
    for c in classes:
        lines.append(
            f"  {_quote(c.local)} [label={_quote(c.label)}, URL={_quote('#' + c.local)}, "
            f"tooltip={_quote('hk:' + c.local)}];"
        )
    for c in classes:
        for p in c.parents:
            if p.key in keys:
                parent = p.key.rsplit("#", 1)[-1]
                lines.append(f"  {_quote(c.local)} -> {_quote(parent)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


UNION_MEMBERS = """
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?p ?side ?c WHERE {
  GRAPH <https://w3id.org/hairkg/graph/ontology> {
    { ?p rdfs:domain ?u BIND("domain" AS ?side) } UNION { ?p rdfs:range ?u BIND("range" AS ?side) }
    ?u owl:unionOf/rdf:rest*/rdf:first ?c
    FILTER(isBlank(?u) && isIRI(?c))
  }
}"""


def union_members(store) -> dict[tuple[str, str], list[str]]:
    """(property, "domain"|"range") → the classes of a union domain or range."""
    out: dict[tuple[str, str], list[str]] = {}
    for row in store.select(UNION_MEMBERS):
        out.setdefault((row["p"].value, row["side"].value), []).append(row["c"].value)
    return out


def links_dot(ontology: dict, unions: dict[tuple[str, str], list[str]] | None = None) -> str:
    classes = {c.iri: c for c in ontology["classes"]}
    properties = [p for p in ontology["properties"] if p.kind == "object property"]
    inverse_targets = {i.key for p in properties for i in p.inverse}
    unions = unions or {}
    edges = []
    for p in properties:
        if p.iri in inverse_targets:
            continue
        domains = [d.key for d in p.domain] + unions.get((p.iri, "domain"), [])
        ranges = [r.key for r in p.range] + unions.get((p.iri, "range"), [])
        for d in domains:
            for r in ranges:
                if d in classes and r in classes:
                    edges.append((classes[d].local, classes[r].local, p.label, p.local))
    used = sorted({e[0] for e in edges} | {e[1] for e in edges})
    lines = [
        "digraph links {",
        f'  graph [rankdir={LINKS_RANKDIR}, fontname="sans-serif", nodesep=0.25, ranksep=0.6];',
        '  node [shape=box, style="rounded,filled", fillcolor="#fdf1e1", color="#b2812f", '
        f'fontname="sans-serif", fontsize={LABEL_SIZE}, height=0.3];',
        '  edge [color="#7a7a7a", fontname="sans-serif", '
        f'fontsize={LABEL_SIZE}, fontcolor="#333333"];',
    ]
    labels = {c.local: c.label for c in classes.values()}
    for local in used:
        lines.append(
            f"  {_quote(local)} [label={_quote(labels[local])}, URL={_quote('#' + local)}];"
        )
    # One arrow per pair of classes naming every property between them, one per line: a
    # class with several self-loops gets one loop whose lines cannot overlap.
    between: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for d, r, label, local in sorted(edges):
        between.setdefault((d, r), []).append((label, local))
    for (d, r), names in between.items():
        rows = "".join(
            f'<tr><td href="#{html.escape(local)}" title="hk:{html.escape(local)}">'
            f"{html.escape(label)}</td></tr>"
            for label, local in names
        )
        lines.append(
            f"  {_quote(d)} -> {_quote(r)} "
            f'[label=<<table border="0" cellborder="0" cellpadding="1" cellspacing="0">'
            f"{rows}</table>>];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)
_COMMENTS = re.compile(r"<!--.*?-->", re.S)
_POINTS = re.compile(r'\b(width|height)="([0-9.]+)pt"')


def render_svg(dot_source: str, title: str, *, stagger: bool = False) -> Markup | None:
    """Graphviz's SVG for ``dot_source``, ready to inline; None when ``dot`` is missing.
    ``stagger``: spread a wide, flat graph over a few rows first (Graphviz ``unflatten``)."""
    dot = shutil.which("dot")
    if not dot:
        return None
    unflatten = shutil.which("unflatten")
    if stagger and unflatten:
        staggered = subprocess.run(
            [unflatten, "-f", "-l", "4", "-c", "5"],
            input=dot_source.encode(),
            capture_output=True,
            timeout=60,
            check=False,
        )
        if staggered.returncode == 0:
            dot_source = staggered.stdout.decode("utf-8")
    result = subprocess.run(
        [dot, "-Tsvg"], input=dot_source.encode(), capture_output=True, timeout=60, check=False
    )
    if result.returncode != 0:
        return None
    svg = _COMMENTS.sub("", _PROLOG.sub("", result.stdout.decode("utf-8"), count=1))
    svg = _POINTS.sub(r'\1="\2"', svg, count=2)  # one pixel per point (see LABEL_SIZE)
    svg = svg.replace("<svg ", f'<svg role="group" aria-label="{title}" class="diagram" ', 1)
    return Markup(svg)  # Graphviz output; every label went in quoted and escaped


def diagrams(version: str, ontology: dict, store=None) -> dict:
    def build() -> dict:
        unions = union_members(store) if store is not None else {}
        return {
            "hierarchy": render_svg(hierarchy_dot(ontology), "Class hierarchy", stagger=True),
            "links": render_svg(links_dot(ontology, unions), "How the main classes link"),
        }

    return per_version("diagrams", version, build)  # type: ignore[return-value]


__all__ = ["diagrams", "hierarchy_dot", "links_dot", "per_version", "render_svg"]
