"""The triple store: the SPARQL 1.1 protocol client (the only way in), the managed Oxigraph
server hairkg runs on its data dir, and the checks a request passes before it reaches the
engine."""
