"""The values of editor documents as RDF terms: names (CURIEs, IRIs, entity ids), text and
literals, each checked with an :class:`EditError` naming the field at fault."""

from __future__ import annotations

import re

import pyoxigraph as ox

from kb.rdf import KB, KB_GRAPH, NEW_ID_PATTERN, PREFIXES

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
NAMED_INDIVIDUAL = OWL + "NamedIndividual"
DEPRECATED = OWL + "deprecated"


class EditError(ValueError):
    """A document that cannot be turned into triples: ``field`` names the culprit."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def kb_graph() -> ox.NamedNode:
    return ox.NamedNode(str(KB_GRAPH))


def slug(text: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out[:120] or "entity"


def expand(name: object, field: str) -> ox.NamedNode:
    """A CURIE, IRI or bare entity id as an IRI."""
    if not isinstance(name, str) or not name.strip():
        raise EditError(f"{field}: expected a name (CURIE, IRI or entity id), got {name!r}", field)
    name = name.strip()
    if "://" in name:
        iri = name
    elif ":" in name:
        prefix, _, local = name.partition(":")
        if prefix not in PREFIXES:
            raise EditError(f"{field}: unknown prefix {prefix!r} in {name!r}", field)
        iri = PREFIXES[prefix] + local
    elif NEW_ID_PATTERN.match(name):
        iri = str(KB) + name
    else:
        raise EditError(f"{field}: {name!r} is not a CURIE, an IRI or an entity id", field)
    try:
        return ox.NamedNode(iri)
    except ValueError as error:
        raise EditError(f"{field}: {name!r} is not a valid IRI ({error})", field) from error


def entity_iri(identifier: str) -> ox.NamedNode:
    if not NEW_ID_PATTERN.match(identifier or ""):
        raise EditError(
            f"{identifier!r} is not an entity id (lower-case letters, digits and hyphens)", "id"
        )
    return ox.NamedNode(str(KB) + identifier)


def checked_text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise EditError(f"{field}: expected non-empty text", field)
    if len(value) > 10_000:
        raise EditError(f"{field}: longer than 10000 characters", field)
    return value.strip()


def english(value: object, field: str) -> ox.Literal:
    return ox.Literal(checked_text(value, field), language="en")


def as_list(value: object, field: str) -> list:
    if value is None:
        return []
    if isinstance(value, str | dict):
        return [value]
    if not isinstance(value, list):
        raise EditError(f"{field}: expected a list", field)
    return value


def literal_value(value: object, field: str) -> ox.Literal:
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=ox.NamedNode(XSD + "boolean"))
    if isinstance(value, int | float):
        kind = "integer" if isinstance(value, int) else "decimal"
        return ox.Literal(str(value), datatype=ox.NamedNode(XSD + kind))
    if isinstance(value, str):
        return english(value, field)
    if isinstance(value, dict) and "value" in value:
        text = str(value["value"])
        if value.get("datatype"):
            return ox.Literal(text, datatype=expand(value["datatype"], field))
        if value.get("language"):
            try:
                return ox.Literal(text, language=str(value["language"]))
            except ValueError as error:
                raise EditError(f"{field}: {error}", field) from error
        return ox.Literal(text)
    raise EditError(f"{field}: expected text or {{'value': ..., 'datatype': ...}}", field)


def subject_quads(store: ox.Store, s: ox.NamedNode) -> list[ox.Quad]:
    """What the entity's own description is: its triples in the knowledge-base graph."""
    return sorted(store.quads_for_pattern(s, None, None, kb_graph()), key=str)
