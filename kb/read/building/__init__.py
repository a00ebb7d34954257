"""Full index builds in a short-lived child process: the worker sends what the build needs
(the store's endpoints and credentials, the weights, the snapshot directory) on the child's
stdin, the child (``python -m kb.read.building.child``, a new interpreter) reads the store,
builds the indexes, writes the shared snapshot and exits, so the build's memory goes back to
the system; the worker only maps the snapshot (:mod:`.parent`). Incremental updates stay in
the worker (``kb.read.indexes.IndexHolder.apply_changes``)."""
