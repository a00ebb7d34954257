"""The triple store: the SPARQL 1.1 protocol client (the only way in), the engines it can
talk to (layouts, credentials and known differences: ``engines``; their bulk loads: ``bulk``),
the managed Oxigraph server hairkg runs on its data dir, and the checks a request passes
before it reaches the engine."""
