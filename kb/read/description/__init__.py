"""One description of an entity, for every face that shows one.

``model`` holds the dataclasses (``EntityDescription``: labels, types, definitions, synonyms
with their scopes, cross-references, attributes, relations both ways, the articles tagging it,
claims with their status, evidence and corrections, deprecation and successor); ``build`` is
the one builder, ``describe(graph, iri)``, reading a ``kb.read.entities.EntityGraph``; the JSON
API's card (``card``) and the Linked Data page (``api.render.entity``) only render it.

Sources: the JSON API passes the read indexes' in-memory graph (no SPARQL per request, answers
consistent with the indexes' version); the Linked Data page passes the entity's neighbourhood
read from the store (``neighbourhood``: one fixed query with the IRI as a bound value, knowing
which statements only the reasoner made and which articles tag it). ``terms`` holds the
reading rules of terms both use: cross-reference links, fallback labels.
"""
