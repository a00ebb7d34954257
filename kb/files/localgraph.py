"""An in-memory Oxigraph store of the local graph, for ``hairkg query`` and ``export``.

Loaded from the source files each time (plus HermiT's inferences unless asked not to);
queries see the union of the named graphs as their default graph.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox

from kb.files.sources import SourceFile
from kb.rdf import PREFIXES


def local_store(
    include_inferred: bool = True,
    sources: list[SourceFile] | None = None,
    *,
    progress: Callable[[str], None] | None = None,
) -> ox.Store:
    """A fresh in-memory store holding the asserted graphs (and the inferred graph)."""
    from kb.validation.release import release_quads

    store = ox.Store()
    store.extend(release_quads(include_inferred, sources, progress=progress))
    return store


def run_query(store: ox.Store, query: str) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
    """Run SPARQL with the hairkg prefixes predeclared and the union of all named graphs as
    the default graph. Raises SyntaxError (message "error at LINE:COL: ...") on bad input."""
    return store.query(query, prefixes=dict(PREFIXES), use_default_graph_as_union=True)


__all__ = ["local_store", "run_query"]
