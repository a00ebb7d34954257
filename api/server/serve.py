"""`hairkg serve`: prepare the store, then run the app under gunicorn.

Embedded mode (the default): the data dir holds an Oxigraph database; on first start it is
filled with the release graph (ontology + knowledge base + inferences), later starts reuse
it. Remote mode (``--store-url``): the same service in front of an existing SPARQL server,
loaded on first start if it is empty.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

import gunicorn.app.base
import pyoxigraph as ox

from kb.rdf import KB_GRAPH
from kb.settings import Settings, variable
from kb.store.client import SparqlStore, dataset_version_for, sparql_term
from kb.store.engines import StoreConfigError, endpoints_of
from kb.store.errors import StoreError
from kb.store.managed import ManagedOxigraph, load_file, write_server_file

log = logging.getLogger("hairkg.serve")


def progress(message: str) -> None:
    print(f"hairkg: {message}", file=sys.stderr, flush=True)


def build_release_file(build_dir: Path) -> Path:
    """The release graph (validated, with inferences) as N-Quads, built unless up to date."""
    # Imported here: the reasoner is only needed on a first start.
    from kb.files.sources import source_files
    from kb.validation.release import build_release

    release = build_dir / "release.nq"
    if release.exists():
        newest_source = max(source.path.stat().st_mtime for source in source_files())
        if release.stat().st_mtime >= newest_source:
            progress(f"using the release graph already built in {build_dir}")
            return release

    progress(f"building the release graph into {build_dir} (validation and reasoning)...")
    summary = build_release(build_dir)
    progress(f"built {summary.total} triples ({summary.inferred} inferred)")
    return build_dir / "release.nq"


def check_data_dir(data_dir: Path) -> None:
    """Exits with a clear message when the data dir cannot be created or written (read-only
    file system, permissions, a full disk), before any work is done. It holds the embedded
    store, and in remote mode the release build and the index snapshots."""
    probe = data_dir / f".hairkg-write-check-{os.getpid()}"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with probe.open("wb") as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as error:
        reason = error.strerror or str(error)
        raise SystemExit(
            f"hairkg: the data dir {data_dir} is not writable ({reason}); hairkg keeps its "
            "store or its build and index files there: choose another --data-dir or fix its "
            "permissions"
        ) from error
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)


def prepare_embedded_store(settings: Settings) -> ManagedOxigraph:
    """Starts Oxigraph on the data dir, loading the release graph the first time."""
    check_data_dir(settings.data_dir)
    location = settings.data_dir / "oxigraph"
    first_start = not (location / "CURRENT").exists()
    release = None
    if first_start:
        release = build_release_file(settings.data_dir / "build")
        progress(f"loading {release} into {location}")
        load_file(location, release)
    server = ManagedOxigraph(location, timeout_cap_s=settings.query_timeout_cap_s)
    server.start()
    if release is not None:
        store = server.store()
        store.update(store.set_version_update(dataset_version_for(release.read_bytes())))
    progress(f"store ready at {server.url} ({location})")
    return server


def prepare_remote_store(settings: Settings) -> None:
    """Loads the release graph into a remote store that holds no hairkg release (whatever
    else it holds: an engine's system graphs, other datasets); leaves a loaded one alone.
    The build and the index snapshots stay in the data dir."""
    try:
        endpoints = endpoints_of(settings)
    except StoreConfigError as error:
        raise SystemExit(f"hairkg: {error}") from error
    store = SparqlStore.for_endpoints(endpoints, timeout_s=settings.query_timeout_cap_s)
    where = f"the {endpoints.engine.kind} store at {endpoints.query_url}"
    try:
        if store.holds_release():
            progress(f"{where} holds release {store.version()}")
            return
        check_data_dir(settings.data_dir)
        release = build_release_file(settings.data_dir / "build")
        progress(f"loading {release} into {where}")
        data = release.read_bytes()
        store.load_nquads(data)
        if not store.ask(
            f"ASK {{ GRAPH {sparql_term(ox.NamedNode(str(KB_GRAPH)))} {{ ?s ?p ?o }} }}"
        ):
            # a load the engine acknowledged without storing it
            raise StoreError("the store acknowledged the bulk load but holds none of it")
        store.update(store.set_version_update(dataset_version_for(data)))
    except StoreError as error:
        raise SystemExit(f"hairkg: {where}: {error}") from error


class _Gunicorn(gunicorn.app.base.BaseApplication):
    def __init__(self, settings: Settings, options: dict):
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from api.app import create_app

        return create_app(self.settings)


def serve(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 2,
    threads: int = 8,
) -> None:
    """Runs until SIGINT/SIGTERM. Workers are stateless: all data is in the store. When
    writes run HermiT, one reasoner process serves every worker's runs (started, supervised
    and stopped here)."""
    from kb.validation.hermit import keep_jvm_out_of_this_process

    # gunicorn forks the workers from this process, and the workers' HermiT runs go to the
    # one reasoner process started below: no JVM here (the first start's release build uses
    # a java subprocess).
    keep_jvm_out_of_this_process()
    oxigraph = None
    if settings.store_url:
        prepare_remote_store(settings)
    else:
        oxigraph = prepare_embedded_store(settings)
        # `hairkg load --data-dir` finds the running store here (read_server_file).
        server_file = write_server_file(settings.data_dir, {"store_url": oxigraph.url})
        settings = replace(settings, store_url=oxigraph.url, managed_store=True)
    reasoner = None
    try:
        if writes_reason(settings):
            reasoner = launch_shared_reasoner(settings.data_dir)
            settings = replace(settings, reasoner_socket=str(reasoner.socket_path))
        options = gunicorn_options(settings, host=host, port=port, workers=workers, threads=threads)
        # The app's modules are imported here, before gunicorn forks: the workers share them
        # instead of each importing them (each worker still creates its own app). The
        # reasoner process starts meanwhile.
        import api.app  # noqa: F401

        if reasoner:
            reasoner_ready(reasoner)
        progress(f"serving on http://{host}:{port}/ with {workers} worker(s)")
        _Gunicorn(settings, options).run()
    finally:
        if reasoner:
            reasoner.stop()
        if oxigraph:
            server_file.unlink(missing_ok=True)
            oxigraph.stop()


def writes_reason(settings: Settings) -> bool:
    """True when writes are possible (tokens) and each runs HermiT (write validation full)."""
    tokens = settings.tokens or settings.tokens_file
    tokens = tokens or variable("tokens") or variable("tokens_file")
    return bool(tokens) and settings.write_validation == "full"


def launch_shared_reasoner(data_dir: Path):
    """The host's one reasoner process for the workers' writes (kb.validation.shared_reasoner),
    started; :func:`reasoner_ready` waits for it."""
    from kb.validation.shared_reasoner.supervisor import ReasonerProcess

    reasoner = ReasonerProcess(data_dir)
    try:
        reasoner.launch()
    except (ValueError, RuntimeError, OSError) as error:
        reasoner.stop()
        raise SystemExit(f"hairkg: cannot start the reasoner process: {error}") from error
    return reasoner


def reasoner_ready(reasoner) -> None:
    try:
        reasoner.wait_until_ready()
    except (RuntimeError, OSError) as error:
        reasoner.stop()
        raise SystemExit(f"hairkg: cannot start the reasoner process: {error}") from error
    progress(f"reasoner process {reasoner.pid} on {reasoner.socket_path}")


def gunicorn_options(settings: Settings, *, host: str, port: int, workers: int, threads: int):
    """gunicorn's configuration for :func:`serve`."""
    return {
        "bind": f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "workers": workers,
        # gthread with deadlines for reading requests (slow clients cannot hold the threads)
        "worker_class": "api.server.worker.BoundedThreadWorker",
        "threads": threads,
        # Above the query cap, so that gunicorn never kills a worker for a query that
        # Oxigraph is about to stop itself.
        "timeout": int(settings.query_timeout_cap_s) + 30,
        "graceful_timeout": 10,
        "loglevel": settings.log_level,
        "accesslog": "-" if settings.log_level == "debug" else None,
        "proc_name": "hairkg",
        # gunicorn's control socket defaults to one path per user: two servers would clash.
        "control_socket_disable": True,
        # The app answers long request lines (414 in the route's format, max_url_length);
        # the worker still bounds the whole head (api/server/worker.py).
        "limit_request_line": 0,
        # X-Forwarded-* only through ProxyFix and trusted_proxy_count (api/server/http_front.py)
        "forwarded_allow_ips": "",
        "secure_scheme_headers": {},
    }
