"""What the MCP tools read: the settings, the store and the read indexes of one process, and
the way an agent names an entity (an id, ``hk:Name``, ``kb:name``, an IRI or an article URL)."""

from __future__ import annotations

from dataclasses import dataclass

from mcp.server.mcpserver.exceptions import ToolError

from kb.rdf import BASE, ID_PATTERN
from kb.read.entities import iri_for_id
from kb.read.indexes import IndexHolder
from kb.read.snapshots import Indexes
from kb.settings import Settings
from kb.store.client import SparqlStore
from kb.store.errors import StoreError

MAX_ARGUMENT = 2048


@dataclass(frozen=True)
class Backend:
    settings: Settings
    store: SparqlStore
    holder: IndexHolder

    def indexes(self) -> Indexes:
        try:
            return self.holder.get()
        except StoreError as error:
            raise ToolError(f"The knowledge graph is not available right now: {error}") from error

    @property
    def base(self) -> str:
        """The service's public base URL (``public_url``), else the IRIs' own base."""
        return (self.settings.public_url or BASE).rstrip("/")


def required_text(value: str | None, name: str, example: str) -> str:
    """``value`` stripped, or a tool error naming the argument when it is empty or too long."""
    text = (value or "").strip()
    if not text:
        raise ToolError(f"'{name}' is empty: give {example}.")
    if len(text) > MAX_ARGUMENT:
        raise ToolError(f"'{name}' is {len(text)} characters long; the limit is {MAX_ARGUMENT}.")
    return text


def entity_iri(indexes: Indexes, identifier: str) -> str:
    """The IRI of an existing entity, ontology term or article named by ``identifier``, or a
    tool error saying what was wrong (with close matches from search for an unknown one)."""
    text = identifier.strip()
    iri = None
    if text.startswith(("http://", "https://")):
        article = indexes.related.find_url(text)
        iri = article.iri if article is not None else text
    elif text.startswith("kb:"):
        iri = iri_for_id(text[3:])
    else:
        iri = iri_for_id(text)
    if iri is None:
        raise ToolError(
            f"{identifier!r} is not an id: use an id such as 'microneedling' (pattern "
            f"{ID_PATTERN.pattern}), 'hk:Treatment' for an ontology term, or a full IRI."
        )
    if indexes.graph.has(iri) or iri in indexes.articles:
        return iri
    if text.startswith(("http://", "https://")) and not text.startswith(BASE):
        raise ToolError(
            f"No article with the URL {text!r} is registered in the knowledge graph, and it "
            "is not the IRI of an entity. search(query, type='Article') finds articles by title."
        )
    hint = suggestions(indexes, text)
    raise ToolError(f"No entity {identifier!r} in the knowledge graph.{hint}")


def suggestions(indexes: Indexes, text: str, limit: int = 5) -> str:
    """ " Did you mean: ...?" from the typo-tolerant search index, or a pointer to search."""
    words = text.rsplit("/", 1)[-1].rsplit("#", 1)[-1].removeprefix("kb:").removeprefix("hk:")
    words = words.replace("-", " ").replace("_", " ")
    _, hits = indexes.search.search(words, limit=limit) if words.strip() else (0, [])
    if not hits:
        return " Use search(query) to find entities by name."
    named = ", ".join(f"{hit.entry.id} ({hit.entry.label}, <{hit.entry.iri}>)" for hit in hits)
    return f" Did you mean: {named}?"
