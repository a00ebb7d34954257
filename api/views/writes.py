"""What every write face shares (SPARQL Update, the Graph Store, the editor API, reverts, the
suggestion page's save): the app's write gate, the change message, and the answers to a change
or a refusal."""

from __future__ import annotations

import pyoxigraph as ox
from flask import Response, current_app, request

from api.auth import AuthError
from api.errors import problem_response, text_error
from api.state import current_settings, current_store
from kb.validation.findings import short
from kb.writes.gate import WriteGate, gate_for
from kb.writes.results import ChangeError, CommitResult, ValidationFailed

MESSAGE_HEADER = "X-Change-Message"


MAX_MESSAGE = 2000


def gate() -> WriteGate:
    existing = current_app.extensions.get("hairkg.gate")
    if existing is None:
        settings = current_settings()
        existing = gate_for(
            current_store(),
            settings.data_dir,
            settings.write_validation,
            lock_timeout_s=settings.write_lock_timeout_s,
            lease_s=settings.write_lease_s,
            shared_store=not settings.managed_store,
            default_graph_writes=settings.default_graph_writes == "allow",
        )
        current_app.extensions["hairkg.gate"] = existing
    return existing


def change_message(body: dict | None = None) -> str:
    message = request.headers.get(MESSAGE_HEADER, "")
    if not message and isinstance(body, dict) and isinstance(body.get("message"), str):
        message = body["message"]
    return message.strip()[:MAX_MESSAGE]


def finding_json(finding) -> dict:
    node = finding.node
    return {
        "severity": finding.severity,
        "rule": finding.rule,
        "node": short_name(node) if node else None,
        "message": finding.message,
    }


def short_name(node: str) -> str:
    from rdflib import URIRef

    return short(URIRef(node)) if "://" in node else node


def relevant_warnings(result: CommitResult) -> list[dict]:
    """Warnings about what the change touched (the rest of the graph's are not news)."""
    if result.report is None:
        return []
    touched = set()
    for q in result.added + result.removed:
        for term in (q.subject, q.object):
            if isinstance(term, ox.NamedNode):
                touched.add(term.value)
    names = {short_name(t) for t in touched}
    out = []
    for f in result.report.warnings:
        if (f.node and f.node in touched) or any(n in f.message.split() for n in names):
            out.append(finding_json(f))
    return out


def change_summary(result: CommitResult) -> dict:
    record = result.record
    return {
        "change": record.id if record else None,
        "href": f"/api/v1/history/{record.id}" if record else None,
        "version": result.version,
        "added": len(result.added),
        "removed": len(result.removed),
        "warnings": relevant_warnings(result),
    }


def change_headers(response: Response, result: CommitResult) -> Response:
    if result.record is not None:
        response.headers["X-Hairkg-Change"] = result.record.id
    response.headers["X-Hairkg-Version"] = result.version
    return response


def change_error_response(error: ChangeError) -> Response:
    if isinstance(error, ValidationFailed):
        report = error.report
        findings = [finding_json(f) for f in report.errors]
        return problem_response(
            422,
            error.message,
            title="Validation failed",
            errors=findings,
            counts=report.counts(),
        )
    return problem_response(error.status, error.message, headers=error.headers, **error.extra)


def auth_error_response(error: AuthError, *, text: bool = False) -> Response:
    if text:
        return text_error(error.status, error.message, error.headers)
    return problem_response(error.status, error.message, headers=error.headers)
