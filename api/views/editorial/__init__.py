"""The editorial workflow over HTTP: proposals and their review (``proposals``: the JSON API under
``/api/v1/proposals`` and the reviewers' page ``/editor/proposals``) and dated releases
(``releases``: ``POST /api/v1/releases`` and the release files under ``/releases/``); merging
terms and the editors' picks of related content (``curation``)."""
