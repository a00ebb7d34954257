"""What the views draw and serialise without Flask: SPARQL result formats, the ontology's
documentation, and the inline SVG picture of an entity's neighbourhood."""
