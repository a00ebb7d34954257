"""SPARQL engines: where each kind keeps its services, how it is signed in to, and how it
differs from the standard in ways hairkg must know about.

``hairkg serve --store-url URL --store-kind KIND`` (``kb.settings.Settings``) becomes a
:class:`StoreEndpoints`: the query, update and Graph Store Protocol URLs, the credentials and
the :class:`Engine` profile. The profile says

- whether the default graph of a query is the union of every graph, the engine's own system
  graphs included (Virtuoso): hairkg then never takes "some graph has triples" for "the
  knowledge base is loaded";
- how a time limit is asked for (a form field and its unit), and how an engine says that it
  stopped at its limit and sent what it had (Virtuoso's "anytime" answers: ``X-SQL-State:
  S1TAT``; the words Oxigraph and Fuseki write after the part of an answer already sent),
  which is a timeout, never an answer;
- how a bulk load is done: N-Quads to the graph store (Oxigraph), N-Triples graph by graph to
  the graph store, or SPARQL Update when there is no graph store endpoint;
- how its errors look: Virtuoso writes ``Virtuoso 37000 Error SP030: ...`` and echoes the
  whole query after it; a 37000 (syntax) state is the client's error, whatever the status.

Only what differs is here; the protocol itself is ``kb.store.client``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from requests.auth import AuthBase
from requests_toolbelt.auth.guess import GuessAuth

from kb.settings import Settings

KINDS = ("oxigraph", "virtuoso", "fuseki", "neptune", "generic")


@dataclass(frozen=True)
class Engine:
    kind: str
    # The default graph of a query without FROM is the union of every graph, the engine's
    # own (non-hairkg) graphs included.
    union_default_graph: bool = True
    # Form field asking the engine to stop a query at a limit, and its unit (ms or s); None:
    # hairkg's own deadline only (it closes the connection).
    timeout_field: str | None = None
    timeout_in_ms: bool = False
    # "dataset": N-Quads POSTed to the graph store in one request; "graph": N-Triples
    # POSTed graph by graph with ?graph=; without a graph store endpoint, SPARQL Update.
    bulk_load: str = "graph"
    # A response header (name, value) by which the engine says it stopped at its own limit
    # and sent a partial answer with a 200.
    partial_answer: tuple[str, str] | None = None
    # The words by which the engine says it stopped a query at its time limit, in an error
    # answer or written after the part of a 200 answer it had already sent (Oxigraph's are
    # looked for whatever the kind: a generic endpoint may be an Oxigraph).
    timed_out_texts: tuple[bytes, ...] = ()
    # Blank node labels the engine writes in SPARQL results that are not valid labels.
    blank_node_prefix: str | None = None
    # Booleans written as 1 and 0 (Virtuoso): made canonical ("true", as Oxigraph writes
    # them), or the write gate's diff would see every boolean change.
    boolean_digits: bool = False
    # The engine's error text: a pattern whose group "message" is what a client may read,
    # and the states (group "state") that mean the client's request was wrong.
    error_pattern: re.Pattern | None = None
    rejected_states: tuple[str, ...] = ()
    # Its SPARQL JSON results and N-Triples are standard as written (the same engine as the
    # managed store): ``/sparql`` may pass them on unparsed when the client asked for them.
    standard_output: bool = False

    def timeout_fields(self, limit_s: float) -> list[tuple[str, str]]:
        if not self.timeout_field:
            return []
        value = max(1, round(limit_s * 1000)) if self.timeout_in_ms else max(1, round(limit_s))
        return [(self.timeout_field, str(value))]

    def stopped_at_limit(self, text: bytes) -> bool:
        """Whether ``text`` (an error answer, or the last bytes of a 200 answer) says that the
        engine stopped the query at its time limit."""
        return any(marker in text for marker in (_OXIGRAPH_CANCELLED, *self.timed_out_texts))

    def standard_results(self, body: bytes) -> bytes:
        """SPARQL JSON results or N-Triples with the engine's blank node labels made valid
        (Virtuoso's ``nodeID://b10005`` becomes ``b10005``) and its booleans canonical
        (``"1"^^xsd:boolean`` becomes ``"true"``)."""
        if self.blank_node_prefix:
            bnode = re.escape(self.blank_node_prefix.encode())
            body = re.sub(rb'("type"\s*:\s*"bnode"\s*,\s*"value"\s*:\s*")' + bnode, rb"\1", body)
        if self.boolean_digits:
            body = _JSON_BOOLEAN.sub(lambda m: m[1] + _BOOLEAN[m[2]] + b'"', body)
            body = _NT_BOOLEAN.sub(lambda m: b'"' + _BOOLEAN[m[1]] + b'"^^' + m[2], body)
        return body

    def error_message(self, text: str) -> tuple[str, bool]:
        """The part of an engine's error text a client may read, and whether it says the
        request itself was wrong (a syntax error, an unknown function)."""
        if self.error_pattern:
            found = self.error_pattern.search(text)
            if found:
                return found.group("message").strip(), found.group("state") in self.rejected_states
        return text, False


# Oxigraph answers 200 and then cuts the body with this text when --timeout-s expires.
_OXIGRAPH_CANCELLED = b"The SPARQL operation has been cancelled"

_XSD_BOOLEAN = rb"http://www\.w3\.org/2001/XMLSchema#boolean"
_JSON_BOOLEAN = re.compile(
    rb'("datatype"\s*:\s*"' + _XSD_BOOLEAN + rb'"\s*,\s*"value"\s*:\s*")([01])"'
)
_NT_BOOLEAN = re.compile(rb'"([01])"\^\^(<' + _XSD_BOOLEAN + rb">)")
_BOOLEAN = {b"1": b"true", b"0": b"false"}

_VIRTUOSO_ERROR = re.compile(
    r"Virtuoso (?P<state>\w{5}) Error (?P<message>.*?)(?:\n\s*\nSPARQL query:|\Z)", re.DOTALL
)

ENGINES = {
    "oxigraph": Engine("oxigraph", bulk_load="dataset", standard_output=True),
    # Virtuoso 7: /sparql (read-only for the anonymous user), /sparql-auth (Digest, for the
    # SPARQL_UPDATE role), /sparql-graph-crud(-auth) (Graph Store Protocol).
    "virtuoso": Engine(
        "virtuoso",
        timeout_field="timeout",
        timeout_in_ms=True,
        partial_answer=("X-SQL-State", "S1TAT"),
        blank_node_prefix="nodeID://",
        boolean_digits=True,
        error_pattern=_VIRTUOSO_ERROR,
        # 37000 syntax and compilation errors, 22023 invalid arguments, 42S22 unknown names
        rejected_states=("37000", "22023", "42S22"),
    ),
    # Fuseki (jena-fuseki-main 5): /ds/query, /ds/update, /ds/data (the dataset's quads with
    # no ?graph=). ?timeout= in whole seconds (a fraction is ignored with a warning); a query
    # stopped there before its answer began is 503 "Query timed out" in text/plain; one
    # stopped while its results were being written gets "##  Query cancelled due to timeout
    # during execution   ##" after them (and a 503 if the status was not sent yet). Read from
    # Fuseki's source (SPARQLQueryProcessor, ActionExecLib, ServletOps, ResponseResultSet),
    # not seen on a running Fuseki: none installs from the registries this project reaches
    # (docs/deployment.md).
    "fuseki": Engine(
        "fuseki",
        timeout_field="timeout",
        bulk_load="dataset",
        timed_out_texts=(b"Query timed out", b"Query cancelled due to timeout during execution"),
    ),
    # Amazon Neptune: /sparql for both, the graph store at /sparql/gsp/
    "neptune": Engine("neptune"),
    "generic": Engine("generic"),
}


@dataclass(frozen=True)
class StoreEndpoints:
    """Where a store's services are and how to sign in to them. The secrets are kept out of
    ``repr`` (and so out of logs and tracebacks)."""

    query_url: str
    update_url: str | None = None
    graph_store_url: str | None = None
    engine: Engine = ENGINES["oxigraph"]
    user: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)

    def auth(self) -> AuthBase | None:
        """HTTP Basic or Digest, as the server asks (``GuessAuth``), or a bearer token."""
        if self.token:
            return _Bearer(self.token)
        if self.user:
            return GuessAuth(self.user, self.password)
        return None

    def urls(self) -> tuple[str, ...]:
        return tuple(u for u in (self.query_url, self.update_url, self.graph_store_url) if u)


class _Bearer(AuthBase):
    def __init__(self, token: str):
        self._token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_Bearer(...)"


class StoreConfigError(ValueError):
    """A store configuration that cannot work, said in terms of the flags."""


def oxigraph_endpoints(base_url: str, **credentials) -> StoreEndpoints:
    """A server with Oxigraph's layout: /query, /update, /store under one base."""
    base = base_url.rstrip("/")
    return StoreEndpoints(base + "/query", base + "/update", base + "/store", **credentials)


def endpoints_for(
    store_url: str,
    *,
    kind: str = "",
    update_url: str = "",
    graph_store_url: str = "",
    user: str = "",
    password: str = "",
    token: str = "",
) -> StoreEndpoints:
    """The endpoints of ``--store-url`` (the query endpoint, or an Oxigraph base URL without a
    path) with ``--store-kind``'s layout; explicit update and graph store URLs win."""
    parts = urlsplit(store_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreConfigError(f"--store-url must be an http(s) URL, not {store_url!r}")
    for url in (store_url, update_url, graph_store_url):
        if url and (urlsplit(url).username or urlsplit(url).password):
            raise StoreConfigError(
                "a store URL must not hold credentials: use --store-user with "
                "HAIRKG_STORE_PASSWORD, or HAIRKG_STORE_TOKEN"
            )
    if user and token:
        raise StoreConfigError("give --store-user (with a password) or a token, not both")
    if user and not password:
        raise StoreConfigError("--store-user needs its password in HAIRKG_STORE_PASSWORD")
    path = parts.path.rstrip("/")
    kind = kind or ("oxigraph" if not path else "generic")
    if kind not in ENGINES:
        raise StoreConfigError(f"--store-kind must be one of {', '.join(KINDS)}, not {kind!r}")
    base = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    signed_in = bool(user or token)
    if kind == "oxigraph":
        root = store_url.rstrip("/").removesuffix("/query") if path else base
        preset = (root + "/query", root + "/update", root + "/store")
    elif kind == "virtuoso":
        writes = base + ("/sparql-auth" if signed_in else "/sparql")
        graph_store = base + "/sparql-graph-crud-auth" if signed_in else None
        preset = (store_url if path else base + "/sparql", writes, graph_store)
    elif kind == "fuseki":
        dataset = re.sub(r"/(query|sparql)$", "", path)
        if not dataset:
            raise StoreConfigError("--store-url of Fuseki names its dataset: http://host:3030/ds")
        root = base + dataset
        preset = (root + "/query", root + "/update", root + "/data")
    elif kind == "neptune":
        preset = (base + "/sparql", base + "/sparql", base + "/sparql/gsp/")
    else:  # generic: read-only unless told where updates go
        preset = (store_url, None, None)
    return StoreEndpoints(
        preset[0],
        update_url or preset[1],
        graph_store_url or preset[2],
        ENGINES[kind],
        user,
        password,
        token,
    )


def endpoints_of(settings: Settings) -> StoreEndpoints:
    """The store ``settings`` name (``--store-url`` and the other ``--store-*`` flags)."""
    return endpoints_for(
        settings.store_url,
        kind=settings.store_kind,
        update_url=settings.store_update_url,
        graph_store_url=settings.store_graph_store_url,
        user=settings.store_user,
        password=settings.store_password,
        token=settings.store_token,
    )
