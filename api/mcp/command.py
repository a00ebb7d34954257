"""``hairkg mcp``: the MCP server over stdio, for agents that start it themselves (Claude
Desktop, an SDK client). It opens the store as the other commands do (``--store-url``, else
the data dir's: through a running ``hairkg serve`` or an Oxigraph of its own) and speaks MCP
on stdin/stdout; messages for people go to stderr."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from kb.cli.common import guard, open_store
from kb.settings import Settings


def add_mcp_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "mcp",
        help="serve the knowledge graph to agents over MCP (stdio)",
        description=(
            "Speak the Model Context Protocol on stdin/stdout: read-only tools (search, "
            "describe, related_articles, sparql, schema) and resources (the ontology, the "
            "VoID description) over the data dir's store, or the SPARQL server of "
            "--store-url. docs/mcp.md shows how to connect an agent."
        ),
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, help="directory of the embedded store")
    where.add_argument(
        "--store-url",
        help="base URL of a SPARQL server with /query (e.g. Oxigraph) instead of the data dir",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress messages on stderr")
    parser.set_defaults(handler=run_mcp)


@guard
def run_mcp(args: argparse.Namespace) -> int:
    # Imported here: every `hairkg` command builds this parser, and the MCP stack (the SDK,
    # Flask, the app's state) is most of a command's start-up time.
    from api.mcp.backend import Backend
    from api.mcp.server import build_server
    from api.state import index_holder

    settings = Settings.from_env(data_dir=args.data_dir, store_url=args.store_url)
    # One short-lived process per agent session: no index snapshots left in the data dir.
    settings = replace(settings, index_snapshots=False)
    with open_store(args, timeout_s=settings.query_timeout_cap_s) as store:
        backend = Backend(settings, store, index_holder(settings, store))
        build_server(backend).run("stdio")
    return 0
