"""Curation edits that carry content along (issue 17, parts 2 and 3): merging a term into
another, which moves what points at it and deprecates it (``merge``), and the editors' picks of
an article's related content as RDF (``picks``). Both are edits the write gate runs."""
