"""The JSON API's documentation page, drawn from its OpenAPI document.

Rendered on the server in the site's layout (``api_docs.html`` extends ``base.html``, so the
page has the shared navigation) with no JavaScript. The document's descriptions are
CommonMark, rendered by markdown-it-py with raw HTML switched off, so a description can
format text but never inject markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import json, render_template
from markdown_it import MarkdownIt
from markupsafe import Markup

from api.openapi.document import openapi_document

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})

WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})


def markdown(text: str | None) -> Markup:
    """CommonMark as safe HTML (raw HTML in the text is escaped, not passed through)."""
    return Markup(_markdown.render(text or ""))


def inline_markdown(text: str | None) -> Markup:
    """One line of CommonMark (code spans, emphasis, links) without a wrapping paragraph."""
    return Markup(_markdown.renderInline(text or ""))


@dataclass
class Operation:
    anchor: str
    method: str
    path: str
    summary: Markup
    description: Markup
    access: str  # what the endpoint does to the graph and what it needs
    parameters: list[dict]
    body_types: list[str]
    responses: list[tuple[str, Markup]]


def _access(method: str, op: dict) -> str:
    if op.get("security"):
        return "Writes: needs a bearer token with the write scope"
    if method in WRITE_METHODS:
        return "Computes an answer; stores nothing; no token needed"
    return "Read-only; no token needed"


def operations(doc: dict) -> list[Operation]:
    out = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            parameters = [
                {
                    "name": p["name"],
                    "in": p["in"],
                    "required": bool(p.get("required")),
                    "schema": json.dumps(p.get("schema", {})),
                    "description": inline_markdown(p.get("description")),
                }
                for p in op.get("parameters", [])
            ]
            out.append(
                Operation(
                    anchor=op["operationId"],
                    method=method.upper(),
                    path=path,
                    summary=inline_markdown(op.get("summary")),
                    description=markdown(op.get("description")),
                    access=_access(method, op),
                    parameters=parameters,
                    body_types=sorted(op.get("requestBody", {}).get("content", {})),
                    responses=[
                        (code, inline_markdown(r.get("description")))
                        for code, r in op.get("responses", {}).items()
                    ],
                )
            )
    return out


def docs_html() -> str:
    """The reference page: the API's description, then one section per operation."""
    doc = openapi_document()
    return render_template(
        "api_docs.html",
        info=doc["info"],
        description=markdown(doc["info"].get("description")),
        operations=operations(doc),
        nav="api",
    )
