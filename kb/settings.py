"""Settings: one dataclass, filled from defaults, then environment, then CLI flags.

The only reader of ``HAIRKG_*`` environment variables: the service and the ``hairkg``
commands take a :class:`Settings` (``Settings.from_env()``); the few values read where no
Settings is at hand (the reasoner's mode and time limit, in any process that validates; the
CLI's bearer token) come from :func:`variable`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

ENV_PREFIX = "HAIRKG_"


def default_data_dir() -> Path:
    """``var/`` inside the checkout (git-ignored); the working directory when installed."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").exists():
        return checkout / "var"
    return Path.cwd() / "hairkg-data"


@dataclass(frozen=True)
class Settings:
    # Where the data lives (kb/store/engines.py): the query endpoint of a SPARQL server, or
    # the base URL of an Oxigraph server (no path: /query, /update, /store under it); set by
    # `hairkg serve` to the Oxigraph it runs on the data dir when empty.
    store_url: str = ""
    # oxigraph, virtuoso, fuseki, neptune or generic: the layout of the engine's services and
    # its known differences; empty: oxigraph for a URL without a path, else generic.
    store_kind: str = ""
    # The update and Graph Store Protocol endpoints, where the kind's layout does not fit;
    # without a graph store endpoint, bulk loads go through SPARQL Update.
    store_update_url: str = ""
    store_graph_store_url: str = ""
    # Credentials for the store: a user and password (HTTP Basic or Digest, as the server
    # asks) or a bearer token. Never logged, never in an error or a service description.
    store_user: str = ""
    store_password: str = field(default="", repr=False)
    store_token: str = field(default="", repr=False)
    data_dir: Path = field(default_factory=default_data_dir)
    # Set by `hairkg serve` when the store is the Oxigraph it runs on data_dir.
    managed_store: bool = False
    # Public base URL of this service (https://kg.example.org), for links in service
    # descriptions, VoID and pages; derived from the request (Host, scheme) when empty.
    public_url: str = ""
    # Reverse proxies in front of the service whose X-Forwarded-For/-Proto/-Host/-Port are
    # believed (Werkzeug's ProxyFix, api/server/http_front.py); 0: those headers are ignored.
    trusted_proxy_count: int = 0
    query_timeout_s: float = 10.0  # default per-query limit
    query_timeout_cap_s: float = 30.0  # operator's cap: no request may ask for more
    max_query_length: int = 100_000  # characters in a query or update
    max_body_bytes: int = 10 * 1024 * 1024
    # Longest request target (path and query string) a GET or HEAD may use, on every route;
    # longer ones get 414 in the route's error format (api/server/http_front.py) and should
    # POST. gunicorn's own request-line limit is lifted so that the app answers.
    max_url_length: int = 4000
    anonymous_row_cap: int = 10_000  # rows in one result for requests without a token
    # Endpoints SPARQL SERVICE may call; empty means SERVICE is refused.
    service_allowlist: tuple[str, ...] = ()
    cors_origins: str = "*"
    log_level: str = "info"
    # JSON API (api/rest.py): related-content weights (see kb/related.py) and index freshness.
    related_about_weight: float = 1.0
    related_mentions_weight: float = 0.5
    # One hop through these properties (hk: names, skos:broader or full IRIs) = weight.
    related_link_weights: str = (
        "treats=0.4,actsThrough=0.3,mechanismInvolvedIn=0.3,skos:broader=0.4"
    )
    related_sibling_factor: float = 0.5  # two hops via a shared target: weight x this
    index_check_interval_s: float = 0.5  # how often a request may look at the dataset version
    # Built indexes shared by the workers through DATA_DIR/indexes (kb.read.indexes.SnapshotFiles):
    # a cold start loads the snapshot of the store's version instead of reading the store.
    index_snapshots: bool = True
    # A full build of those indexes runs in a short-lived child process (kb.read.building) that
    # is killed after this long; the worker then builds in its own process.
    index_build_timeout_s: float = 600.0
    # Rendered /sparql answers kept per worker, keyed by their ETag (dataset version, query,
    # dataset, format): repeated queries skip the store until the next write. 0 turns it off.
    sparql_cache_mb: int = 64
    # Writes (api/auth.py, kb/changes.py): bearer tokens from a JSON/TOML file and/or
    # "name:secret:scope1+scope2,..."; validation of every write: full (SHACL, quality, HermiT),
    # shapes (no reasoner), off; the largest write body; documents LOAD may fetch.
    tokens_file: str = ""
    tokens: str = ""
    write_validation: str = "full"
    max_write_bytes: int = 2 * 1024 * 1024
    load_allowlist: tuple[str, ...] = ()
    write_lock_timeout_s: float = 120.0
    # The store's write lease (kb/store/lease.py): one writer at a time across the hosts that
    # share a store. A holder renews it every third of this while its write runs; the lease
    # of a holder that died is taken over this long after its last renewal.
    write_lease_s: float = 30.0
    # The host's shared reasoner process (kb/validation/shared_reasoner): set by `hairkg serve`
    # to its Unix socket (DATA_DIR/run/reasoner.sock) when writes run HermiT; the workers send
    # their HermiT runs there and never start a JVM. Empty: HermiT runs in this process (CLI).
    reasoner_socket: str = ""
    # How long a write waits for the supervisor to restart a reasoner process that is gone
    # before it is refused with 503.
    reasoner_restart_wait_s: float = 20.0
    # Slow clients (api/worker.py): the request head must arrive within this, a body within
    # that, and a stalled socket is dropped after the idle limit while answering.
    client_header_timeout_s: float = 10.0
    client_body_timeout_s: float = 30.0
    client_idle_timeout_s: float = 60.0
    # Per-client rate limit on expensive requests (api/ratelimit.py): SPARQL queries and
    # updates, /api/v1/suggest and every write. A token bucket per client address and worker
    # process: ``rate_limit_per_minute`` tokens a minute, up to ``rate_limit_burst`` at once.
    # Off for benchmarks and load tests (HAIRKG_RATE_LIMIT=off). Clients in
    # ``rate_limit_exempt`` (loopback: local tools and tests) are not limited. Behind a reverse
    # proxy listed in ``trusted_proxies`` the client is the last address of X-Forwarded-For.
    rate_limit: bool = True
    rate_limit_per_minute: float = 600.0
    rate_limit_burst: int = 120
    rate_limit_exempt: tuple[str, ...] = ("127.0.0.1", "::1")
    trusted_proxies: tuple[str, ...] = ()
    # Writes to the store's own default graph (not the knowledge base, and loaded back by
    # nothing): refused with 400 unless "allow" (for stores that are not a hairkg knowledge
    # base, such as the W3C suites').
    default_graph_writes: str = "refuse"
    # Where dated releases are written (kb/releases/dated.py: hairkg release, POST
    # /api/v1/releases) and served from (/releases/); empty: DATA_DIR/releases.
    releases_dir: str = ""
    # Origins whose browser pages may write (send Authorization cross-origin; api/editing.py).
    # Empty: none; editors use the same-origin pages, curl, scripts or the CLI.
    cors_write_origins: tuple[str, ...] = ()
    # The change feed (api/feed, docs/feed.md): Server-Sent Events at /api/v1/changes. Each open
    # stream holds one of a worker's threads, so a worker keeps at most ``feed_max_streams``
    # (503 past it); a stream ends after ``feed_max_stream_s`` (the client reconnects with
    # Last-Event-ID), sends a comment every ``feed_heartbeat_s`` (proxies keep it, a gone
    # client is noticed), and tells clients to wait ``feed_retry_ms`` before reconnecting.
    # Writes made on other hosts in front of a remote store are seen within feed_store_poll_s.
    feed_max_streams: int = 2
    feed_max_stream_s: float = 600.0
    feed_heartbeat_s: float = 15.0
    feed_retry_ms: int = 2000
    feed_store_poll_s: float = 0.5

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                values[f.name] = _coerce(f.type, raw)
        settings = cls(**values)
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})

    def releases_path(self) -> Path:
        return Path(self.releases_dir) if self.releases_dir else Path(self.data_dir) / "releases"

    def effective_timeout(self, requested_s: float | None) -> float:
        """The limit for one query: the default, or what the client asked, never above the cap."""
        limit = self.query_timeout_s if requested_s is None else requested_s
        return max(0.001, min(limit, self.query_timeout_cap_s))


def variable(name: str) -> str:
    """The text of ``HAIRKG_{NAME}`` (``name`` as in :class:`Settings`, lower case), stripped;
    empty when unset. For ``reasoner`` (``subprocess`` keeps HermiT out of this process),
    ``reasoner_timeout_s``, ``token`` (the CLI's bearer token) and the token settings."""
    return os.environ.get(ENV_PREFIX + name.upper(), "").strip()


def _coerce(kind: str, raw: str):
    if kind in ("float",):
        return float(raw)
    if kind in ("int",):
        return int(raw)
    if kind == "bool":
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind == "Path":
        return Path(raw)
    if kind.startswith("tuple"):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw
