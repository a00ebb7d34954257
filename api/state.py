"""The shared state of one app, registered by :func:`api.app.create_app`: the settings, the
store, the read indexes (built once, brought up to date when the dataset version changes).
Views reach it through these functions, never by importing the app."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from kb.read.indexes import IndexHolder, related_weights
from kb.read.snapshots import SnapshotFiles
from kb.settings import Settings
from kb.store.client import SparqlStore


def register(app: Flask, settings: Settings, store: SparqlStore) -> None:
    """Put the settings, the store and the index holder in ``app.extensions``."""
    app.extensions["hairkg.settings"] = settings
    app.extensions["hairkg.store"] = store
    app.extensions["hairkg.indexes"] = index_holder(settings, store)


def current_settings() -> Settings:
    return current_app.extensions["hairkg.settings"]


def current_store() -> SparqlStore:
    return current_app.extensions["hairkg.store"]


def current_index_holder() -> IndexHolder:
    return current_app.extensions["hairkg.indexes"]


def index_holder(settings: Settings, store: SparqlStore) -> IndexHolder:
    """The read indexes of this app: related-content weights from the settings, snapshots
    shared through the data dir when enabled."""
    weights = related_weights(settings)
    snapshots = None
    if getattr(settings, "index_snapshots", False) and getattr(settings, "data_dir", None):
        # The managed store lives in the data dir (its port changes between starts); a remote
        # store sharing a data dir with others is told apart by its URL.
        scope = "" if getattr(settings, "managed_store", False) else store.query_url
        snapshots = SnapshotFiles(Path(settings.data_dir) / "indexes", weights, scope)
    return IndexHolder(
        store,
        weights,
        check_interval_s=getattr(settings, "index_check_interval_s", 0.5),
        snapshots=snapshots,
        build_timeout_s=getattr(settings, "index_build_timeout_s", 600.0),
    )
