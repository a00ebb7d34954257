"""The blueprints, one per face of the service: the SPARQL protocol and its query page, the
Graph Store protocol and the editor API, Linked Data and the ontology page, the JSON API and
the widget, tag suggestions, and the operator's reload."""
