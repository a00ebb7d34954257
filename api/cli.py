"""The `hairkg` command: the one parser of `kb.cli.main`, with `serve` and `mcp` added."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kb.cli import main as kb_cli
from kb.settings import Settings
from kb.store.engines import KINDS


def add_serve_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the SPARQL endpoint, Linked Data pages and JSON API",
        description=(
            "Run the service under gunicorn. By default it keeps its data in an embedded "
            "Oxigraph store in --data-dir, loaded with the release graph on first start; "
            "with --store-url it serves an existing SPARQL 1.1 server instead."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="directory of the embedded store; with --store-url: of the release build and "
        "the index snapshots",
    )
    store = parser.add_argument_group(
        "remote store",
        "any SPARQL 1.1 engine instead of the embedded store (docs/deployment.md); the "
        "password goes in HAIRKG_STORE_PASSWORD, a bearer token in HAIRKG_STORE_TOKEN",
    )
    store.add_argument(
        "--store-url",
        help="the query endpoint (http://host:8890/sparql), or an Oxigraph base URL without "
        "a path (http://host:7878: /query, /update, /store)",
    )
    store.add_argument(
        "--store-kind",
        choices=KINDS,
        help="the engine: its layout and known differences (default: oxigraph for a URL "
        "without a path, else generic)",
    )
    store.add_argument("--store-update-url", help="the SPARQL Update endpoint")
    store.add_argument(
        "--store-graph-store-url",
        help="the Graph Store Protocol endpoint (without one, loads go through SPARQL Update)",
    )
    store.add_argument(
        "--store-user", help="user for the store (HTTP Basic or Digest, as the server asks)"
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    parser.add_argument(
        "--query-timeout", type=float, help="default per-query time limit in seconds"
    )
    parser.add_argument(
        "--query-timeout-cap",
        type=float,
        help="the most any query may run, in seconds (enforced in the engine)",
    )
    parser.add_argument(
        "--public-url",
        help="public base URL of the service (default: from each request's Host and scheme)",
    )
    parser.add_argument(
        "--trusted-proxy-count",
        type=int,
        help="reverse proxies in front whose X-Forwarded-* headers are believed (default 0)",
    )
    parser.set_defaults(handler=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from api.server.serve import serve

    settings = Settings.from_env(
        data_dir=args.data_dir,
        store_url=args.store_url,
        store_kind=args.store_kind,
        store_update_url=args.store_update_url,
        store_graph_store_url=args.store_graph_store_url,
        store_user=args.store_user,
        query_timeout_s=args.query_timeout,
        query_timeout_cap_s=args.query_timeout_cap,
        public_url=args.public_url,
        trusted_proxy_count=args.trusted_proxy_count,
    )
    serve(settings, host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    return 0


def add_service_commands(subparsers) -> None:
    """The commands of the service layer: `serve`, and `mcp` for agents (api.mcp)."""
    from api.mcp.command import add_mcp_command

    add_serve_command(subparsers)
    add_mcp_command(subparsers)


def main(argv: list[str] | None = None) -> int:
    return kb_cli.main(argv, serve=add_service_commands)


if __name__ == "__main__":
    sys.exit(main())
