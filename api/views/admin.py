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

from kb.store.errors import StoreError

bp = Blueprint("admin", __name__)
_reload_lock = threading.Lock()  # one reload at a time in this process


def _require_admin():
    from api.auth import AuthError, require

    try:
        return require("admin"), None
    except AuthError as error:
        response = jsonify(error=error.message)
        response.status_code = error.status
        for key, value in error.headers.items():
            response.headers[key] = value
        return None, response


@bp.post("/admin/reload")
def reload():
    token, refusal = _require_admin()
    if refusal is not None:
        return refusal
    from api.views.writes import gate
    from kb.files.sources import graph_iris, source_files
    from kb.validation.release import dataset_quads
    from kb.validation.validate import format_finding, validate
    from kb.writes.files import load_release
    from kb.writes.results import ChangeError

    body = request.get_json(silent=True) or {}
    message = str(body.get("message") or "reload from files")[:500]
    if not _reload_lock.acquire(timeout=1):
        return jsonify(error="a reload is already running"), 409
    try:
        files = source_files()
        report = validate(files, reason=True)
        if not report.ok:
            findings = [{**f.to_dict(), "text": format_finding(f)} for f in report.errors]
            return jsonify(
                error=f"validation failed with {len(findings)} error(s); the store is unchanged",
                findings=findings,
            ), 422
        quads = dataset_quads(report.dataset, report.inferred, graph_iris(files))
        result = load_release(gate(), quads, author=token.name, message=message)
        return jsonify(result.to_dict())
    except ChangeError as error:
        return jsonify(error=error.message), error.status
    except StoreError as error:
        return jsonify(error=str(error)), error.status
    finally:
        _reload_lock.release()
