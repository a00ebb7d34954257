"""The triple store, reached through the SPARQL 1.1 Protocol.

hairkg talks to exactly one kind of store: a SPARQL 1.1 Query/Update server. In the default
set-up that server is an Oxigraph process hairkg starts on the data dir (see
``kb.store.managed``); with ``--store-url`` it is any existing engine. One code path for both
keeps the API processes stateless, lets several of them share one store, and gives real query
cancellation: Oxigraph stops a query at its ``--timeout-s``, which an in-process pyoxigraph
store cannot do (it has no timeout and holds its RocksDB lock in one process only).

Internal callers use the typed helpers (``select``, ``ask``, ``construct``); user queries from
``/sparql`` go through ``query`` and get the engine's answer as bytes to re-serialise.
Values reach SPARQL text only as terms serialised by pyoxigraph (``sparql_term``), never as
pasted user strings.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

import pyoxigraph as ox
from requests.auth import AuthBase

from kb.rdf import HK, META_GRAPH
from kb.store import bulk
from kb.store.engines import ENGINES, Engine, StoreEndpoints, oxigraph_endpoints
from kb.store.errors import (
    QueryTimeout,
    StoreError,
    StoreUnavailable,
    store_error,
)
from kb.store.guard import query_form
from kb.store.transport import EngineAnswer, Transport

log = logging.getLogger(__name__)

SOLUTIONS_JSON = "application/sparql-results+json"
GRAPH_NTRIPLES = "application/n-triples"
DATASET_NQUADS = "application/n-quads"
# For a query whose form is not known: the engine picks by the form of the query (some
# engines, Virtuoso among them, then answer a CONSTRUCT in a results format of their own).
_ACCEPT_ANY = f"{SOLUTIONS_JSON}, {GRAPH_NTRIPLES};q=0.9"


def accept_for(sparql: str) -> str:
    """The Accept header for a query: a graph format for CONSTRUCT and DESCRIBE, SPARQL JSON
    results for SELECT and ASK, never one header mixing the two when the form is known."""
    return accept_for_form(query_form(sparql))


def accept_for_form(form: str | None) -> str:
    """:func:`accept_for` of a query whose form is known (``kb.store.checks.CheckedQuery``)."""
    if form in ("CONSTRUCT", "DESCRIBE"):
        return GRAPH_NTRIPLES
    return SOLUTIONS_JSON if form else _ACCEPT_ANY


# The version of a store that holds no hairkg release (no dataset version recorded).
UNVERSIONED = "unversioned"
NO_RELEASE = (
    "the triple store holds no hairkg release (no dataset version is recorded): "
    "`hairkg serve` loads one into a store that has none"
)
VERSION_SUBJECT = ox.NamedNode(str(META_GRAPH) + "#dataset")
VERSION_PREDICATE = ox.NamedNode(str(HK.datasetVersion))


@dataclass(frozen=True)
class RawResult:
    """An engine response: its media type and body, for the protocol layer to re-serialise."""

    content_type: str
    body: bytes

    @property
    def is_graph(self) -> bool:
        return self.content_type in (GRAPH_NTRIPLES, DATASET_NQUADS)


def sparql_term(term: ox.NamedNode | ox.Literal | ox.BlankNode) -> str:
    """A term as SPARQL text. pyoxigraph's ``str()`` is the N-Triples form, which escapes
    every character that could end the term; this is how values enter internal queries."""
    if not isinstance(term, ox.NamedNode | ox.Literal):
        raise TypeError(f"only IRIs and literals can be bound, not {type(term).__name__}")
    return str(term)


def values_clause(variable: str, terms: Iterable[ox.NamedNode | ox.Literal]) -> str:
    """A ``VALUES ?variable { ... }`` block binding ``variable`` to validated terms."""
    if not variable.isidentifier():
        raise ValueError(f"not a SPARQL variable name: {variable!r}")
    return f"VALUES ?{variable} {{ {' '.join(sparql_term(t) for t in terms)} }}"


# What an engine or HTTP library may put in an error that a client must not see.
class EngineSupervisionLike(Protocol):
    def running(self) -> AbstractContextManager: ...

    def gave_up(self) -> None: ...


class SparqlStore:
    """A SPARQL 1.1 Protocol client; its requests go through ``kb.store.transport`` (kept-alive
    connections, the deadline of every request)."""

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        store_url: str | None = None,
        *,
        timeout_s: float = 10.0,
        max_connections: int = 16,
        supervision: EngineSupervisionLike | None = None,
        engine: Engine = ENGINES["oxigraph"],
        auth: AuthBase | None = None,
    ):
        self.query_url = query_url
        self.engine = engine
        # Told about queries in flight and given up on, so the process supervising the
        # engine can stop one the engine does not (kb.store.managed.EngineSupervision).
        self.supervision = supervision
        self.update_url = update_url
        self.store_url = store_url  # Graph Store Protocol endpoint, for bulk loads
        self.timeout_s = timeout_s
        self._transport = Transport(auth=auth, max_connections=max_connections)
        self._version: tuple[float, str, int] | None = None
        self._version_epoch = 0
        self._version_lock = threading.Lock()
        # Where it was made from (``for_endpoints``), credentials included: what another
        # process needs to open the same store (kb.read.building); None when made directly.
        self.endpoints: StoreEndpoints | None = None

    @classmethod
    def for_server(cls, base_url: str, **kwargs) -> SparqlStore:
        """A store for a server with Oxigraph's layout (/query, /update, /store)."""
        return cls.for_endpoints(oxigraph_endpoints(base_url), **kwargs)

    @classmethod
    def for_endpoints(cls, endpoints: StoreEndpoints, **kwargs) -> SparqlStore:
        """A store for any engine (``kb.store.engines.endpoints_for``)."""
        store = cls(
            endpoints.query_url,
            endpoints.update_url,
            endpoints.graph_store_url,
            engine=endpoints.engine,
            auth=endpoints.auth(),
            **kwargs,
        )
        store.endpoints = endpoints
        return store

    # -- raw protocol -------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        timeout_s: float | None = None,
        accept: str | None = None,
    ) -> RawResult:
        """Runs a query; returns the engine's response as it came (after checks)."""
        limit = timeout_s or self.timeout_s
        fields = [("query", sparql)]
        fields += [("default-graph-uri", g) for g in default_graphs]
        fields += [("named-graph-uri", g) for g in named_graphs]
        fields += self.engine.timeout_fields(limit)
        running = self.supervision.running() if self.supervision else contextlib.nullcontext()
        try:
            with running:
                response = self._request(
                    "POST",
                    self.query_url,
                    body=urlencode(fields).encode(),
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                        "Accept": accept or accept_for(sparql),
                    },
                    limit=limit,
                )
        except QueryTimeout:
            if self.supervision:
                self.supervision.gave_up()
            raise
        body = response.content
        if response.status_code >= 400:
            self._raise_for(response.status_code, body, response.headers)
        if self.engine.stopped_at_limit(body[-200:]) or self._partial(response):
            raise QueryTimeout(limit)
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type in (SOLUTIONS_JSON, GRAPH_NTRIPLES):
            body = self.engine.standard_results(body)
        return RawResult(content_type, body)

    def _partial(self, response: EngineAnswer) -> bool:
        """The engine stopped at its own limit and sent what it had, with a 200."""
        marker = self.engine.partial_answer
        return bool(marker and response.headers.get(marker[0], "").startswith(marker[1]))

    def update(self, sparql_update: str, *, timeout_s: float | None = None) -> None:
        """Runs a SPARQL 1.1 Update as one transaction on the engine."""
        if not self.update_url:
            raise StoreError("this store has no update endpoint configured")
        response = self._request(
            "POST",
            self.update_url,
            body=sparql_update.encode(),
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
            limit=timeout_s or self.timeout_s,
        )
        if response.status_code >= 400:
            self._raise_for(response.status_code, response.content, response.headers)
        self.forget_version()

    # -- typed helpers for internal queries ---------------------------------------------

    def select(self, sparql: str, *, timeout_s: float | None = None) -> list[ox.QuerySolution]:
        raw = self.query(sparql, timeout_s=timeout_s, accept=SOLUTIONS_JSON)
        return list(ox.parse_query_results(raw.body, ox.QueryResultsFormat.JSON))

    def ask(self, sparql: str, *, timeout_s: float | None = None) -> bool:
        raw = self.query(sparql, timeout_s=timeout_s, accept=SOLUTIONS_JSON)
        return bool(ox.parse_query_results(raw.body, ox.QueryResultsFormat.JSON))

    def construct(self, sparql: str, *, timeout_s: float | None = None) -> list[ox.Triple]:
        raw = self.query(sparql, timeout_s=timeout_s, accept=GRAPH_NTRIPLES)
        return list(ox.parse(raw.body, ox.RdfFormat.N_TRIPLES))

    # -- dataset ------------------------------------------------------------------------

    def load_nquads(self, data: bytes, *, timeout_s: float = 600.0) -> None:
        """Adds N-Quads to the store, the engine's way (``Engine.bulk_load``): one Graph Store
        Protocol POST of the dataset, a POST per graph, or SPARQL Update without a graph
        store. A 2xx that is not a graph store's answer (a web page) is a failure."""
        if self.store_url and self.engine.bulk_load == "dataset":
            self._graph_store_post(self.store_url, data, DATASET_NQUADS, timeout_s)
        elif self.store_url:
            for graph, triples in bulk.graphs_of(data).items():
                url = self.store_url + ("&" if "?" in self.store_url else "?")
                url += urlencode({"graph": graph})
                self._graph_store_post(url, bulk.ntriples(triples), GRAPH_NTRIPLES, timeout_s)
        elif self.update_url:
            for graph, triples in bulk.graphs_of(data).items():
                for text in bulk.insert_updates(graph, triples):
                    self.update(text, timeout_s=timeout_s)
        else:
            raise StoreError("this store has no update or graph store endpoint configured")
        self.forget_version()

    def _graph_store_post(self, url: str, body: bytes, media_type: str, limit: float) -> None:
        response = self._request(
            "POST", url, body=body, headers={"Content-Type": media_type}, limit=limit
        )
        if response.status_code >= 400:
            self._raise_for(response.status_code, response.content, response.headers)
        answered = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        # a graph store answers with no body or a short note; a web page is a query form's
        # (a Virtuoso /sparql POSTed N-Quads answers 200 text/html and stores nothing)
        page = answered in ("text/html", "application/xhtml+xml") and b"<" in response.content
        if response.status_code not in (200, 201, 204) or page:
            raise StoreUnavailable(
                f"the graph store endpoint answered {response.status_code} "
                f"{answered or 'without a body type'} to a bulk load, not a Graph Store "
                "Protocol answer: check --store-graph-store-url"
            )

    def dump(self, *, timeout_s: float = 120.0) -> list[ox.Quad]:
        """Every quad of the store, the default graph's included (Graph Store Protocol GET of
        the whole dataset as N-Quads). Without a graph store endpoint: the named graphs only,
        through SELECT (the default graph of a union-default-graph engine cannot be told apart
        from the union in a query)."""
        if self.store_url and self.engine.bulk_load == "dataset":
            response = self._request(
                "GET",
                self.store_url,
                body=None,
                headers={"Accept": DATASET_NQUADS},
                limit=timeout_s,
            )
            if response.status_code >= 400:
                self._raise_for(response.status_code, response.content, response.headers)
            return list(ox.parse(response.content, format=ox.RdfFormat.N_QUADS))
        rows = self.select(
            "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", timeout_s=timeout_s
        )
        return [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows]

    def version(self, max_age_s: float = 1.0) -> str:
        """The dataset version: changes with every write hairkg makes. Cached ``max_age_s``.
        A lookup that was under way when ``forget_version`` was called is not cached: it may
        have read the store before the write that made someone forget."""
        cached = self._version
        now = time.monotonic()
        if cached and cached[2] == self._version_epoch and now - cached[0] < max_age_s:
            return cached[1]
        with self._version_lock:
            epoch = self._version_epoch
            rows = self.select(
                f"SELECT ?v WHERE {{ GRAPH {sparql_term(ox.NamedNode(str(META_GRAPH)))} "
                f"{{ {sparql_term(VERSION_SUBJECT)} {sparql_term(VERSION_PREDICATE)} ?v }} }}"
            )
            version = rows[0]["v"].value if rows else UNVERSIONED
            if epoch == self._version_epoch:
                self._version = (now, version, epoch)
            return version

    def forget_version(self) -> None:
        """The next ``version()`` asks the store (another process wrote)."""
        self._version_epoch += 1
        self._version = None

    def set_version_update(self, version: str) -> str:
        """The SPARQL Update that records ``version``; append it to a write to make it atomic."""
        graph = sparql_term(ox.NamedNode(str(META_GRAPH)))
        subject, predicate = sparql_term(VERSION_SUBJECT), sparql_term(VERSION_PREDICATE)
        return (
            f"DELETE WHERE {{ GRAPH {graph} {{ {subject} {predicate} ?old }} }} ;\n"
            f"INSERT DATA {{ GRAPH {graph} {{ {subject} {predicate} "
            f"{sparql_term(ox.Literal(version))} }} }}"
        )

    def is_empty(self) -> bool:
        return not self.ask("ASK { GRAPH ?g { ?s ?p ?o } }")

    def holds_release(self) -> bool:
        """Whether a hairkg release is loaded: its dataset version is recorded. Not "some
        graph has triples": an engine's own system graphs (Virtuoso's) have triples too."""
        return self.version(max_age_s=0) != UNVERSIONED

    def triple_count(self) -> int:
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(rows[0]["n"].value)

    def ping(self, timeout_s: float = 2.0) -> bool:
        try:
            self.query("ASK {}", timeout_s=timeout_s, accept=SOLUTIONS_JSON)
        except StoreError:
            return False
        return True

    # -- plumbing -----------------------------------------------------------------------

    def _request(self, method, url, *, body, headers, limit) -> EngineAnswer:
        """The engine's whole answer within ``limit`` (+0.5 s): ``kb.store.transport``."""
        return self._transport.exchange(method, url, body=body, headers=headers, limit=limit)

    def _raise_for(self, status: int, body: bytes, headers) -> None:
        urls = (self.query_url, self.update_url or "", self.store_url or "")
        raise store_error(status, body, headers.get("Content-Type", ""), self.engine, urls)


def dataset_version_for(data: bytes) -> str:
    """A content hash used as the version of a freshly loaded dataset."""
    return hashlib.sha256(data).hexdigest()[:16]
