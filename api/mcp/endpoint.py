"""``/mcp``: the MCP server over Streamable HTTP on the running service.

The SDK's HTTP transport is an ASGI app; the service is WSGI (Flask under gunicorn's threads).
The route hands each request to that ASGI app through ``a2wsgi.ASGIMiddleware``, which runs
it on an event loop of the worker process (a thread of its own, started on the first request
in each process, as threads do not survive gunicorn's fork). The transport runs stateless
with JSON answers: no session lives in a worker, so any worker answers any request, and there
is no server-sent event stream to hold a thread. Being a Flask route, ``/mcp`` gets what every
route gets: the request id, the rate limit (each POST is charged like other POSTs), the Host
and request-line checks and gzip of ``api.server.http_front``, and the read CORS policy. The
tools only read, so no token is asked for. ``Host`` is checked by ``http_front`` (the SDK's
own DNS-rebinding check, which knows only loopback names, is off).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, current_app

from api.errors import problem_response
from api.state import current_index_holder, current_settings, current_store

if TYPE_CHECKING:
    from a2wsgi import ASGIMiddleware
    from mcp.server.mcpserver import MCPServer

PATH = "/mcp"
START_TIMEOUT_S = 30

bp = Blueprint("mcp", __name__)


class McpEndpoint:
    """The WSGI form of the MCP server's Streamable HTTP app, one per process."""

    def __init__(self, build: Callable[[], MCPServer], max_body_bytes: int):
        self._build = build
        self._max_body_bytes = max_body_bytes
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._wsgi: ASGIMiddleware | None = None

    def wsgi_app(self) -> ASGIMiddleware:
        with self._lock:
            if self._pid != os.getpid() or self._wsgi is None:
                self._wsgi = self._start()
                self._pid = os.getpid()
            return self._wsgi

    def _start(self) -> ASGIMiddleware:
        from a2wsgi import ASGIMiddleware
        from mcp.server.transport_security import TransportSecuritySettings

        server = self._build()
        app = server.streamable_http_app(
            streamable_http_path=PATH,
            stateless_http=True,
            json_response=True,
            max_request_body_size=self._max_body_bytes,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="hairkg-mcp", daemon=True).start()
        started: concurrent.futures.Future = concurrent.futures.Future()

        async def run_transport() -> None:
            # What the ASGI lifespan would do (a2wsgi sends none): the SDK's session manager
            # runs for the life of the process.
            try:
                async with server.session_manager.run():
                    started.set_result(None)
                    await asyncio.Event().wait()
            except BaseException as error:
                if not started.done():
                    started.set_exception(error)
                raise

        asyncio.run_coroutine_threadsafe(run_transport(), loop)
        started.result(timeout=START_TIMEOUT_S)
        return ASGIMiddleware(app, loop=loop)


def install(app: Flask) -> None:
    """Registers ``/mcp`` on ``app``, over the app's settings, store and read indexes. The
    MCP SDK (about 1 s of imports) is imported by the first ``/mcp`` request of a process, not
    when the service starts: a restart is not slowed by it, and a worker that never answers
    ``/mcp`` does not hold it (about 40 MiB)."""
    with app.app_context():
        settings, store, holder = current_settings(), current_store(), current_index_holder()

    def build() -> MCPServer:
        from api.mcp.backend import Backend
        from api.mcp.server import build_server

        return build_server(Backend(settings, store, holder))

    app.extensions["hairkg.mcp"] = McpEndpoint(build, settings.max_body_bytes)
    app.register_blueprint(bp)


@bp.post(PATH)
def mcp_endpoint():
    """The request, as it came, to the SDK's transport (Flask runs the WSGI app it gets)."""
    return current_app.extensions["hairkg.mcp"].wsgi_app()


@bp.route(PATH, methods=["GET", "DELETE"])
def no_stream():
    """Stateless: no event stream to open (it would hold a worker thread) and no session to
    end; 405 as the Streamable HTTP transport allows."""
    return problem_response(
        405,
        "this MCP endpoint is stateless: POST JSON-RPC messages to it (an MCP client does); "
        "it opens no event stream and keeps no session (docs/mcp.md)",
        headers={"Allow": "POST"},
    )
