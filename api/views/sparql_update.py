"""SPARQL 1.1 Update over POST /sparql (called from api.views.sparql): parameters, USING clauses,
and the change through the write gate."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Response, request

from api.auth import AuthError, require
from api.errors import store_error_plain, text_error
from api.state import current_settings
from api.views.writes import (
    auth_error_response,
    change_error_response,
    change_headers,
    change_message,
    change_summary,
    gate,
)
from kb.rdf import KB_GRAPH
from kb.store import guard as sparql_guard
from kb.store.checks import QueryRefused, check_service_calls
from kb.store.errors import StoreError
from kb.writes.results import ChangeError, ValidationFailed


class UpdateRequestError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def add_using_clauses(update: str, using: list[str], using_named: list[str]) -> str:
    """The protocol's ``using-graph-uri`` / ``using-named-graph-uri`` as USING clauses before
    the WHERE of every DELETE/INSERT operation. An update that has its own USING or WITH
    cannot take them (SPARQL 1.1 Protocol, 2.2.3)."""
    if not using and not using_named:
        return update
    tokens = sparql_guard.tokenize(update)
    if any(t.kind == "keyword" and t.text in ("USING", "WITH") for t in tokens):
        raise UpdateRequestError(
            400,
            "The update has its own USING or WITH clause, so the using-graph-uri / "
            "using-named-graph-uri parameters cannot be applied to it.",
        )
    clause = "".join(f" USING <{iri}>" for iri in using)
    clause += "".join(f" USING NAMED <{iri}>" for iri in using_named)
    for iri in [*using, *using_named]:
        try:
            ox.NamedNode(iri)
        except ValueError as error:
            raise UpdateRequestError(400, f"{iri!r} is not a valid graph IRI") from error
    depth, out, last = 0, [], 0
    previous = None
    for token in tokens:
        if token.kind == "punct" and token.text == "{":
            depth += 1
        elif token.kind == "punct" and token.text == "}":
            depth -= 1
        elif (
            token.kind == "keyword"
            and token.text == "WHERE"
            and depth == 0
            and not (previous and previous.kind == "keyword" and previous.text == "DELETE")
        ):
            out.append(update[last : token.offset])
            out.append(clause + " ")
            last = token.offset
        previous = token
    out.append(update[last:])
    return "".join(out)


def sparql_update_response(params: dict, base: str) -> Response:
    """Answers an update request to /sparql (plain-text errors, like the query side)."""
    if request.method != "POST":
        return text_error(405, "SPARQL Update requests must be sent with POST.", {"Allow": "POST"})
    try:
        token = require("write")
    except AuthError as error:
        return auth_error_response(error, text=True)
    try:
        update, using, using_named = _update_parameters(params)
        text = vetted_update(update, using, using_named, base)
    except UpdateRequestError as error:
        return text_error(error.status, error.message, error.headers)

    try:
        result = gate().apply(update_edit(text, base), author=token.name, message=change_message())
    except ValidationFailed as error:
        return change_error_response(error)
    except ChangeError as error:
        return text_error(error.status, error.message, error.headers)
    except StoreError as error:
        return store_error_plain(error)
    summary = change_summary(result)
    if result.record is None:
        body = "Update accepted: it changed nothing.\n"
        if not any(
            t.kind == "keyword" and t.text in ("GRAPH", "WITH", "USING")
            for t in sparql_guard.tokenize(text)
        ):
            body += (
                "Note: the update names no graph. In updates the default graph is the store's "
                "own (empty) default graph, not the union that queries see: name the "
                f"knowledge base with WITH <{KB_GRAPH}> or GRAPH <{KB_GRAPH}> {{ ... }}.\n"
            )
    else:
        body = (
            f"Update accepted as change {result.record.id}: {summary['added']} triple(s) added, "
            f"{summary['removed']} removed.\n"
        )
    return change_headers(Response(body, 200, mimetype="text/plain"), result)


def vetted_update(update: str, using: list[str], using_named: list[str], base: str) -> str:
    """The update text to run, after the refusals every update meets (its shape, LOAD and
    SERVICE outside the allow-lists) and with the protocol's USING clauses added; raises
    UpdateRequestError. Shared by POST /sparql and proposals (api.views.editorial)."""
    if not update.strip():
        raise UpdateRequestError(400, "The update is empty.")
    limit = current_settings().max_query_length
    if len(update) > limit:
        raise UpdateRequestError(
            413, f"The update is {len(update)} characters long; the limit is {limit}."
        )
    settings = current_settings()
    violation = sparql_guard.shape_violation(update, "update")
    if violation:  # the write gate runs it in this process: a stack overflow ends it
        raise UpdateRequestError(400, f"The update is refused: {violation}.")
    refused = sparql_guard.refused_targets(
        sparql_guard.load_targets(update, base), settings.load_allowlist
    )
    if refused:
        named = ", ".join(t.written or "(nothing)" for t in refused)
        raise UpdateRequestError(
            403,
            f"LOAD of {named} is refused: this server loads only allow-listed documents "
            f"({', '.join(settings.load_allowlist) or 'none is allowed'}).",
        )
    try:
        check_service_calls(update, base, settings.service_allowlist)
    except QueryRefused as refused:
        raise UpdateRequestError(refused.status, refused.message) from None
    return add_using_clauses(update, using, using_named)


def update_edit(text: str, base: str):
    """The write gate's edit that runs ``text`` (vetted) on its in-memory copy."""

    def edit(store: ox.Store) -> None:
        try:
            store.update(text, base_iri=base)
        except SyntaxError as error:
            raise ChangeError(f"SPARQL Update syntax error: {error}") from error
        except OSError as error:
            raise ChangeError(f"the update could not be run: {error}", status=502) from error
        except ValueError as error:
            raise ChangeError(f"the update could not be run: {error}") from error
        except RuntimeError as error:  # e.g. DROP (not SILENT) of a graph that does not exist
            raise ChangeError(f"the update failed: {error}", status=404) from error

    return edit


def _update_parameters(params: dict) -> tuple[str, list[str], list[str]]:
    if request.method != "POST":
        raise UpdateRequestError(
            405, "SPARQL Update requests must be sent with POST.", {"Allow": "POST"}
        )
    if params.get("query"):
        raise UpdateRequestError(400, "Send either a query or an update, not both.")
    if params.get("_direct_update"):
        if "update" in params:
            raise UpdateRequestError(
                400, "A direct update (application/sparql-update) cannot also have 'update'."
            )
        try:
            update = request.get_data(cache=True).decode("utf-8")
        except UnicodeDecodeError as error:
            raise UpdateRequestError(400, "The update is not valid UTF-8.") from error
    else:
        updates = params.get("update", [])
        if len(updates) != 1:
            raise UpdateRequestError(
                400, f"The 'update' parameter was given {len(updates)} times; send exactly one."
            )
        update = updates[0]
    return update, params.get("using-graph-uri", []), params.get("using-named-graph-uri", [])
