"""The MCP server: the tools and resources of :mod:`api.mcp` registered on the SDK's
``MCPServer``, over one :class:`~api.mcp.backend.Backend`. Both transports serve the server
this builds."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import ToolAnnotations
from pydantic import Field

from api.mcp import sparql_tool, tools
from api.mcp.backend import Backend
from api.render.rdf_formats import TURTLE, serialise
from api.views.dataset import void_triples
from api.views.ontology import ontology_triples
from kb.store.errors import StoreError

ONTOLOGY_URI = "hairkg://ontology"
VOID_URI = "hairkg://void"
INSTRUCTIONS = (
    "hairkg is a knowledge graph about hair loss and its treatments (conditions, treatments, "
    "mechanisms, adverse effects, studies, articles). Find entities with search(), read them "
    "with describe(), query with sparql() (call schema() first for the classes, properties "
    "and example queries). Clinical statements are claims with a status: state only "
    "'Supported' claims as fact, with their evidence level and certainty; never repeat a "
    "'Corrected' or 'Disputed' claim as fact. Cite entities by their IRI."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)


def build_server(backend: Backend) -> MCPServer:
    server = MCPServer("hairkg", instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(annotations=READ_ONLY)
    def search(
        query: Annotated[str, Field(description="the name, or part of it; typos are tolerated")],
        type: Annotated[
            str | None,
            Field(description="a class name to keep, e.g. Treatment, Condition, Drug, Article"),
        ] = None,
        limit: Annotated[int, Field(description="how many hits, 1 to 50")] = 10,
    ) -> dict[str, Any]:
        """Find entities (conditions, treatments, drugs, mechanisms, studies, ...) or articles
        by name or synonym; returns ids and IRIs to pass to describe()."""
        return tools.search(backend, query, type, limit)

    @server.tool(annotations=READ_ONLY)
    def describe(
        id: Annotated[
            str,
            Field(description="an id from search() ('microneedling'), 'hk:Treatment', or an IRI"),
        ],
    ) -> dict[str, Any]:
        """The card of one entity: label, definition, synonyms, cross-references, relations
        and the claims about it with their status, evidence level, certainty and corrections
        (each claim's 'readAs' says whether it may be stated as fact). For an article: its
        topics and the claims it makes."""
        return tools.describe(backend, id)

    @server.tool(annotations=READ_ONLY)
    def related_articles(
        url_or_id: Annotated[
            str, Field(description="an article's URL or id, or an entity id for its articles")
        ],
        limit: Annotated[int, Field(description="how many articles, 1 to 50")] = 5,
    ) -> dict[str, Any]:
        """Articles related to an article (ranked, with the reasons), or the articles about
        an entity."""
        return tools.related_articles(backend, url_or_id, limit)

    @server.tool(annotations=READ_ONLY)
    def sparql(
        query: Annotated[
            str, Field(description="a SPARQL 1.1 SELECT, ASK, CONSTRUCT or DESCRIBE query")
        ],
        timeout: Annotated[
            float | None, Field(description="seconds, to lower the default time limit")
        ] = None,
    ) -> dict[str, Any]:
        """Run a read-only SPARQL query on the knowledge graph (the prefixes hk:, kb:, rdfs:,
        skos:, ... are declared for you). Every hk: and kb: term must exist: unknown ones are
        named with close matches. Same limits as the /sparql endpoint (shape, time, rows)."""
        return sparql_tool.sparql(backend, query, timeout)

    @server.tool(annotations=READ_ONLY)
    def schema() -> dict[str, Any]:
        """The ontology's classes and properties (labels, definitions, domains, ranges) and
        example queries: the competency questions the graph is built to answer."""
        return tools.schema(backend)

    @server.resource(
        ONTOLOGY_URI,
        name="ontology",
        description="The hairkg OWL ontology (classes, properties, claim statuses) as Turtle.",
        mime_type="text/turtle",
    )
    def ontology() -> str:
        return _turtle(lambda: ontology_triples(backend.store))

    @server.resource(
        VOID_URI,
        name="void",
        description="The VoID description of the dataset: size, graphs, classes, endpoints.",
        mime_type="text/turtle",
    )
    def void() -> str:
        return _turtle(lambda: void_triples(backend.store, backend.base))

    return server


def _turtle(triples) -> str:
    try:
        return serialise(triples(), TURTLE).decode("utf-8")
    except StoreError as error:
        raise ResourceError(f"The knowledge graph is not available right now: {error}") from error
