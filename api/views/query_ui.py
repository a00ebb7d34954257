"""The query UI: YASGUI, served from this package, with the competency questions as examples.

``GET /sparql`` from a browser (no ``query`` parameter) renders ``query_page()``; so does
``GET /query``. The editor's JavaScript and CSS come from ``/static/vendor`` (copied from npm
by ``scripts/vendor_assets.py``), so the page works without internet access, and every
YASGUI feature that would call a remote service (LOV class/property completion, prefix.cc,
the public endpoint catalogue) is switched off in ``static/query.js``.

The example menu is read from ``kb/queries/*.rq``: each file starts with a comment block
stating the competency question it answers, which becomes the menu entry.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template, request, url_for

import kb
from api.http import secure_html
from api.state import current_settings
from kb.rdf import PREFIXES

bp = Blueprint("query_ui", __name__)

QUERIES_DIR = Path(kb.__file__).resolve().parent / "queries"
VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"

# YASGUI and CodeMirror set inline style attributes on the elements they build, so this page
# alone allows inline styles; scripts still come only from this origin.
QUERY_PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

DEFAULT_QUERY = """\
# Every kind of thing in the graph, with how many there are.
SELECT ?kind ?label (COUNT(?entity) AS ?entities)
WHERE {
  ?entity a ?kind .
  ?kind rdfs:label ?label .
  FILTER(STRSTARTS(STR(?kind), STR(hk:)))
}
GROUP BY ?kind ?label
ORDER BY DESC(?entities)
"""


@dataclass(frozen=True)
class Example:
    id: str  # file stem
    title: str  # the competency question
    query: str  # the query text, with PREFIX lines for every prefix it uses


_QUESTION_LEAD = re.compile(
    r"^(?:competency\s+question|question|cq)\s*[\w.-]*\s*[:.)\-–—]\s*", re.IGNORECASE
)
_PREFIX_DECL = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:", re.IGNORECASE | re.MULTILINE)


def question_of(text: str, fallback: str) -> str:
    """The competency question stated in the leading comment block of a query file."""
    comments = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            if comments:
                break
            continue
        if not stripped.startswith("#"):
            break
        comments.append(stripped.lstrip("#").strip())
    # Paragraphs of the comment block (blank comment lines separate them).
    paragraphs, current = [], []
    for line in comments:
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    # A paragraph introduced as the question wins; then the first sentence ending in "?".
    for paragraph in paragraphs:
        if _QUESTION_LEAD.match(paragraph):
            return _first_question(_QUESTION_LEAD.sub("", paragraph, count=1))
    for paragraph in paragraphs:
        if "?" in paragraph:
            return _first_question(paragraph)
    if paragraphs:
        return paragraphs[0]
    return fallback.replace("-", " ").replace("_", " ")


def _first_question(paragraph: str) -> str:
    end = paragraph.find("?")
    text = paragraph[: end + 1].strip() if end >= 0 else paragraph.strip()
    return text[:1].upper() + text[1:]


def with_prefixes(query: str) -> str:
    """The query with PREFIX declarations added for known prefixes it uses but does not
    declare (kept after its leading comments), so every example runs as loaded."""
    declared = {m.group(1) or "" for m in _PREFIX_DECL.finditer(query)}
    body = re.sub(r"<[^>\s]*>|\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|#[^\n]*", " ", query)
    missing = [
        name
        for name in PREFIXES
        if name not in declared and re.search(rf"(?<![\w:?$]){re.escape(name)}:", body)
    ]
    if not missing:
        return query
    lines = query.splitlines(keepends=True)
    head = 0
    while head < len(lines) and (not lines[head].strip() or lines[head].lstrip().startswith("#")):
        head += 1
    prologue = "".join(f"PREFIX {name}: <{PREFIXES[name]}>\n" for name in missing)
    return "".join(lines[:head]) + prologue + "".join(lines[head:])


_examples_lock = threading.Lock()
_examples_cache: tuple[tuple, list[Example]] | None = None


def load_examples(directory: Path | None = None) -> list[Example]:
    """The competency questions, in file-name order; re-read when a file changes."""
    global _examples_cache
    directory = directory or QUERIES_DIR
    files = sorted(directory.glob("*.rq")) if directory.is_dir() else []
    stamp = (str(directory), *((f.name, f.stat().st_mtime_ns, f.stat().st_size) for f in files))
    with _examples_lock:
        if _examples_cache is not None and _examples_cache[0] == stamp:
            return _examples_cache[1]
    examples = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        examples.append(Example(path.stem, question_of(text, path.stem), with_prefixes(text)))
    with _examples_lock:
        _examples_cache = (stamp, examples)
    return examples


def endpoint_url() -> str:
    base = current_settings().public_url or request.host_url
    return base.rstrip("/") + "/sparql"


def query_page(initial_query: str | None = None) -> Response:
    """The query editor page (HTML), for browsers that GET /sparql without a query; with
    ``initial_query`` (a browser following a link to ``/sparql?query=…``) the editor opens
    with that query and runs it, so the results show as a table."""
    examples = load_examples()
    config = {
        "endpoint": endpoint_url(),
        "prefixes": PREFIXES,
        "defaultQuery": with_prefixes(
            "".join(f"PREFIX {n}: <{i}>\n" for n, i in PREFIXES.items()) + "\n" + DEFAULT_QUERY
        ),
        "examples": [{"id": e.id, "title": e.title, "query": e.query} for e in examples],
        "prefixesUrl": url_for("query_ui.prefixes"),
        "initialQuery": initial_query,
    }
    html = render_template(
        "query.html",
        config=config,
        examples=examples,
        vendor_ready=(VENDOR_DIR / "yasgui" / "yasgui.min.js").is_file(),
        nav="query",
    )
    response = Response(html, mimetype="text/html")
    response.charset = "utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return secure_html(response, QUERY_PAGE_CSP)


@bp.get("/query/prefixes.json")
def prefixes():
    """The prefixes YASQE's prefix completer offers (it adds the PREFIX line when one is
    typed); served here instead of prefix.cc so that nothing is fetched from elsewhere."""
    response = jsonify(PREFIXES)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/query")
def query():
    """The same editor at a second, memorable address."""
    response = query_page()
    response.vary.add("Accept")
    return response
