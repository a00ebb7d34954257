"""Dated releases: immutable snapshots of the live graph written to the data dir (``dated``: the
release directory, its files, its changelog against the previous release, listing and reading).

Not to be confused with ``kb.validation.release``, the *release build* that ``hairkg build`` and
``hairkg load`` make from the files (``DATA_DIR/build``): that one is rebuilt at will and is what a
store is loaded from; a dated release is taken from the store and never rewritten."""
