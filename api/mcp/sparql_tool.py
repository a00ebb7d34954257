"""The ``sparql`` tool: a read query run with ``/sparql``'s checks (``kb.store.checks``: size,
shape, SERVICE, no updates), its time limit and its anonymous row cap, after one more check
agents need: every ``hk:`` and ``kb:`` term the query names must exist, else the answer names
the unknown ones with close matches (SPARQL itself would silently return nothing).

The prefixes of ``kb.rdf.PREFIXES`` are declared for the agent when its query uses them
undeclared (``api.views.query_ui.with_prefixes``, as the query editor's examples are). The
default graph is the store's union, as on ``/sparql``.
"""

from __future__ import annotations

import difflib
import json

from mcp.server.mcpserver.exceptions import ToolError

from api.errors import query_failure
from api.mcp.backend import Backend, suggestions
from api.render import sparql_results as results
from api.views.query_ui import with_prefixes
from kb.rdf import HK, KB, PREFIXES
from kb.read.entities import local_name
from kb.read.snapshots import Indexes
from kb.store import guard
from kb.store.checks import QueryRefused, check_query, named_iris
from kb.store.errors import StoreError

# Terms of the hk: namespace that the service writes outside the ontology (the VoID
# description's and the meta graph's dataset version).
SERVICE_TERMS = frozenset({str(HK.datasetVersion)})
READ_ONLY = (
    "sparql() runs SELECT, ASK, CONSTRUCT and DESCRIBE queries only; this is a SPARQL Update "
    "({keyword}). The knowledge graph is read-only here."
)


def sparql(backend: Backend, query: str, timeout: float | None = None) -> dict:
    settings, store = backend.settings, backend.store
    text = query or ""
    keyword = guard.update_keyword(text)
    if keyword:
        raise ToolError(READ_ONLY.format(keyword=keyword))
    if timeout is not None and not 0 < timeout <= settings.query_timeout_cap_s:
        raise ToolError(
            f"'timeout' must be more than 0 and at most {settings.query_timeout_cap_s:g} seconds."
        )
    endpoint = backend.base + "/sparql"
    declared = with_prefixes(text)
    added = declared != text
    try:
        checked = check_query(
            declared,
            max_length=settings.max_query_length,
            service_allowlist=settings.service_allowlist,
            base=endpoint,
        )
    except QueryRefused as refused:
        raise ToolError(refused.message) from refused
    indexes = backend.indexes()
    unknown = unknown_terms(indexes, declared, endpoint)
    if unknown:
        raise ToolError(
            "Unknown terms in the query: "
            + "; ".join(unknown)
            + ". schema() lists the classes and properties; search() finds entities."
        )
    limit = settings.effective_timeout(timeout)
    prefix = f"BASE <{endpoint}> "
    try:
        raw = store.query(
            prefix + declared,
            default_graphs=checked.default_graphs,
            named_graphs=checked.named_graphs,
            timeout_s=limit,
        )
    except StoreError as error:
        _, message, _ = query_failure(error, limit, settings.query_timeout_cap_s, len(prefix))
        if added and message.startswith("SPARQL syntax error"):
            message += " (line numbers count the PREFIX declarations added for you)"
        raise ToolError(message) from error
    return _answer(raw, checked.form, settings.anonymous_row_cap)


def _answer(raw, form: str | None, row_cap: int) -> dict:
    if raw.is_graph:
        chosen = results.format_for(results.GRAPH, "text/turtle")
        rendered = results.render(raw, chosen, prefixes=PREFIXES)
        return {
            "form": form or "CONSTRUCT",
            "turtle": rendered.body.decode("utf-8"),
            "note": "Cite the IRIs of the triples.",
        }
    chosen = results.format_for(results.SOLUTIONS, "application/sparql-results+json")
    rendered = results.render(raw, chosen, row_cap=row_cap)
    document = json.loads(rendered.body)
    if "boolean" in document:
        return {"form": "ASK", "boolean": document["boolean"]}
    answer = {
        "form": form or "SELECT",
        "vars": document["head"].get("vars", []),
        "rowCount": rendered.rows,
        "bindings": document["results"]["bindings"],
        "truncatedAt": rendered.truncated_at,
        "note": "Bindings as in SPARQL JSON results; cite the 'uri' values.",
    }
    if rendered.truncated_at is not None:
        answer["note"] += f" Cut at the row cap of {rendered.truncated_at}: add a LIMIT."
    return answer


def unknown_terms(indexes: Indexes, query: str, base: str) -> list[str]:
    """A message for each ``hk:`` or ``kb:`` term the query names that the graph lacks."""
    graph, articles = indexes.graph, indexes.articles
    messages: list[str] = []
    seen: set[str] = set()
    for written, iri in named_iris(query, base):
        if iri in seen:
            continue
        seen.add(iri)
        if iri.startswith(str(HK)) and not graph.has(iri) and iri not in SERVICE_TERMS:
            close = _close_ontology_terms(indexes, local_name(iri))
            hint = f" (close: {', '.join(close)})" if close else ""
            messages.append(f"{written} is not a class or property of the ontology{hint}")
        elif iri.startswith(str(KB)) and not (graph.has(iri) or iri in articles):
            hint = suggestions(indexes, iri[len(str(KB)) :], limit=3)
            messages.append(f"{written} is not an entity of the knowledge base.{hint}")
    return messages


def _close_ontology_terms(indexes: Indexes, name: str) -> list[str]:
    hk = str(HK)
    names = {iri[len(hk) :] for iri in indexes.graph.entities() if iri.startswith(hk)}
    by_fold = {n.casefold(): n for n in names}
    close = difflib.get_close_matches(name.casefold(), list(by_fold), n=4, cutoff=0.6)
    return [f"hk:{by_fold[c]}" for c in close]
