"""Operator endpoints: ``POST /admin/reload`` swaps the store to the service's files.

The service validates its ontology and knowledge-base files (syntax, SHACL, quality,
HermiT), builds the release (asserted + inferred) and commits it through the write gate
(:func:`kb.writes.gate.load_release`): under the editors' write lock, the difference as one
SPARQL Update with its history record and the new dataset version. Readers see the old graph
or the new one, never a mix, and a reload that fails validation changes nothing (422 with the
findings). Needs a bearer token with the ``admin`` scope
(:func:`api.auth.require`). ``hairkg load --server URL --token T`` calls it.
"""

from __future__ import annotations

import threading

from flask import Blueprint, jsonify, request

from api.auth import AuthError, require
from api.errors import problem_response
from api.views.writes import auth_error_response, change_error_response, gate
from kb.files.sources import graph_iris, source_files
from kb.validation.release import dataset_quads
from kb.validation.validate import format_finding, validate
from kb.writes.files import load_release
from kb.writes.results import ChangeError, refused_without_reasoner

bp = Blueprint("admin", __name__)
_reload_lock = threading.Lock()  # one reload at a time in this process


@bp.post("/admin/reload")
def reload():
    try:
        token = require("admin")
    except AuthError as error:
        return auth_error_response(error)
    body = request.get_json(silent=True) or {}
    message = str(body.get("message") or "reload from files")[:500]
    if not _reload_lock.acquire(timeout=1):
        return problem_response(409, "a reload is already running")
    try:
        files = source_files()
        with refused_without_reasoner():  # 503 when the host's reasoner process is gone
            report = validate(files, reason=True)
        if not report.ok:
            findings = [{**f.to_dict(), "text": format_finding(f)} for f in report.errors]
            return problem_response(
                422,
                f"validation failed with {len(findings)} error(s); the store is unchanged",
                title="Validation failed",
                findings=findings,
            )
        quads = dataset_quads(report.dataset, report.inferred, graph_iris(files))
        result = load_release(gate(), quads, author=token.name, message=message)
        return jsonify(result.to_dict())
    except ChangeError as error:
        return change_error_response(error)
    finally:
        _reload_lock.release()
