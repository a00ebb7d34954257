"""The MCP server for agents (Model Context Protocol, the official ``mcp`` SDK).

Owns the read-only tools (``search``, ``describe``, ``related_articles``, ``sparql``,
``schema``) and resources (the ontology, the VoID description) agents call, and their two
transports: stdio (``hairkg mcp``, :mod:`api.mcp.command`) and Streamable HTTP at ``/mcp`` on
the running service (:mod:`api.mcp.endpoint`, stateless with JSON answers, so any worker
answers any request). The tools answer from the same kb code as the JSON API (read indexes,
entity cards) and run SPARQL through the same checks as ``/sparql``
(``kb.store.checks``); nothing here writes. docs/mcp.md describes them.
"""
