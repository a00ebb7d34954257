"""The JSON API's documentation page, drawn from its OpenAPI document."""

from __future__ import annotations

import html

from flask import json

from api.openapi.document import openapi_document


def docs_html() -> str:
    """A readable page generated from the OpenAPI document (no JavaScript needed)."""
    doc = openapi_document()
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{esc(doc['info']['title'])} - reference</title>",
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;color:#1b1b1b}code,pre{font-family:ui-monospace,monospace;"
        "background:#f3f3f3;padding:.1em .3em;border-radius:3px}section{border-top:1px solid "
        "#ddd;padding:.5rem 0}h2{font-size:1.15rem}.m{color:#fff;background:#1a6;padding:"
        ".1em .4em;border-radius:3px;font-size:.85em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}"
        "</style></head><body>",
        f"<h1>{esc(doc['info']['title'])}</h1><p>{esc(doc['info']['description'])}</p>",
        "<p>Machine-readable: <a href='/api/v1/openapi.json'>/api/v1/openapi.json</a> "
        "(OpenAPI 3.1). Guide: <code>docs/api.md</code>.</p><nav aria-label='Endpoints'><ul>",
    ]
    operations = [(p, m, op) for p, item in doc["paths"].items() for m, op in item.items()]
    for path, method, op in operations:
        parts.append(
            f"<li><a href='#{esc(op['operationId'])}'>{method.upper()} {esc(path)}</a></li>"
        )
    parts.append("</ul></nav><main>")
    for path, method, op in operations:
        parts.append(
            f"<section id='{esc(op['operationId'])}'><h2><span class='m'>{method.upper()}</span> "
            f"<code>{esc(path)}</code> — {esc(op['summary'])}</h2><p>{esc(op['description'])}</p>"
        )
        parts.append(
            "<table><tr><th>parameter</th><th>in</th><th>schema</th><th>description</th></tr>"
        )
        for p in op["parameters"]:
            required = " (required)" if p.get("required") else ""
            parts.append(
                f"<tr><td><code>{esc(p['name'])}</code>{required}</td><td>{esc(p['in'])}</td>"
                f"<td><code>{esc(json.dumps(p['schema']))}</code></td>"
                f"<td>{esc(p['description'])}</td></tr>"
            )
        parts.append("</table><p>Responses: ")
        parts.append(
            ", ".join(
                f"<code>{esc(code)}</code> {esc(r['description'])}"
                for code, r in op["responses"].items()
            )
        )
        parts.append("</p></section>")
    parts.append("</main></body></html>")
    return "".join(parts)
