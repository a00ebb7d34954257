"""Editorial curation over HTTP (issue 17, parts 2 and 3): merging a term into another
(``POST /api/v1/edit/entities/{id}/merge-into/{target}``) and the editors' picks of an
article's related content (``GET``/``PUT /api/v1/edit/articles/{id}/related``). Writes go
through the write gate like every other editor write (``api.views.editing``), with its errors."""
