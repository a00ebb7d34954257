"""The change feed: the history's records (``kb.writes.history``) as events that name the
entities and articles each change touched (``events``), as RDF Patch (``patch``: writing,
parsing and applying), and a cheap per-process watch for new changes (``watch``) that event
streams share. The HTTP faces are in ``api.feed``."""
