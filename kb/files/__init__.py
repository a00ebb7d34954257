"""The knowledge base as files: reading the Turtle sources (file:line errors), the canonical
Turtle writer, which file each subject belongs in, TSV templates, term diffs, and the
in-memory graph of the local files for ``hairkg query`` and ``export``."""
