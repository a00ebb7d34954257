"""Is the knowledge base right? SHACL shapes, the quality report, OWL reasoning with HermiT
(a warm JVM), validating a small change on its neighbourhood, and the release build
(asserted plus inferred graphs) that only a valid knowledge base gets."""
