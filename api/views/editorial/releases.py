"""Dated releases over HTTP: ``POST /api/v1/releases`` (scope ``admin``) makes one
(``kb.releases.dated``); ``/releases/`` lists them (HTML for browsers, JSON otherwise) and
``/releases/{version}/{file}`` serves their files, which never change: strong ETags (their
SHA-256) and ``Cache-Control: immutable``."""

from __future__ import annotations

from flask import Blueprint, Response, json, redirect, request, send_file

from api.auth import require
from api.errors import problem_response
from api.http import choose, html_page, open_to_every_origin, prefers_html
from api.state import current_settings, current_store
from api.views.editing import EDITOR_ERRORS, editor_error_response, json_body
from kb.releases.dated import (
    ReleaseError,
    create_release,
    manifest,
    release_file,
    versions,
)

bp = Blueprint("releases", __name__)
ONE_YEAR = 365 * 24 * 3600


def _release_error(error: ReleaseError) -> Response:
    return problem_response(error.status, str(error))


bp.register_error_handler(ReleaseError, _release_error)
for _error in EDITOR_ERRORS:
    bp.register_error_handler(_error, editor_error_response)


def _root():
    return current_settings().releases_path()


def _summary(body: dict) -> dict:
    href = f"/releases/{body['version']}/"
    return {
        "version": body["version"],
        "href": href,
        "issued": body["issued"],
        "datasetVersion": body["datasetVersion"],
        "previous": body["previous"],
        "quads": body["quads"],
        "changes": body["changes"],
        "files": [{**f, "href": href + f["name"]} for f in body["files"]],
    }


def _negotiated(json_body: dict, template: str, **context) -> Response:
    """HTML for browsers, JSON for programs, 406 when the client takes neither."""
    accept = request.headers.get("Accept")
    if prefers_html(accept):
        response = html_page(template, **context)
    elif choose(accept, ["application/json", "text/html"]) is None:
        response = problem_response(
            406, "this resource is offered as application/json and text/html"
        )
    elif choose(accept, ["application/json", "text/html"]) == "text/html":
        response = html_page(template, **context)
    else:
        response = Response(json.dumps(json_body), mimetype="application/json")
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "no-cache"
    return open_to_every_origin(response)


@bp.post("/api/v1/releases")
def make_release():
    token = require("admin")
    body = json_body() if request.get_data(cache=True) else {}
    version = body.get("version")
    if version is not None and not isinstance(version, str):
        raise ReleaseError("version must be a string such as 2026-12-04 or 2026-12-04.2")
    made = create_release(current_store(), _root(), version=version, author=token.name)
    response = Response(json.dumps(_summary(made)), 201, mimetype="application/json")
    response.headers["Location"] = f"/releases/{made['version']}/"
    return response


@bp.get("/releases")
def releases_redirect():
    return redirect("/releases/", code=301)


@bp.get("/releases/")
def list_releases():
    root = _root()
    items = [_summary(manifest(root, v)) for v in reversed(versions(root))]
    return _negotiated({"total": len(items), "items": items}, "releases.html", releases=items)


@bp.get("/releases/<version>")
def release_redirect(version: str):
    manifest(_root(), version)  # 404 for an unknown version
    return redirect(f"/releases/{version}/", code=301)


@bp.get("/releases/<version>/")
def show_release(version: str):
    item = _summary(manifest(_root(), version))
    changelog_path, _ = release_file(_root(), version, "changelog.md")
    changelog = changelog_path.read_text(encoding="utf-8")
    return _negotiated(item, "releases.html", releases=[item], changelog=changelog)


@bp.get("/releases/<version>/<name>")
def release_file_response(version: str, name: str):
    path, entry = release_file(_root(), version, name)
    response = send_file(
        path,
        mimetype=entry["mediaType"],
        etag=entry["sha256"],
        conditional=True,
        max_age=ONE_YEAR,
        download_name=f"hairkg-{version}-{name}",
    )
    response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    response.headers["Content-Disposition"] = f'inline; filename="hairkg-{version}-{name}"'
    return open_to_every_origin(response)
