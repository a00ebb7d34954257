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
import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

import pyoxigraph as ox
import urllib3

from kb.rdf import HK, META_GRAPH
from kb.store.errors import (
    QueryFailed,
    QueryRejected,
    QueryTimeout,
    StoreError,
    StoreUnavailable,
    connection_reason,
    public_message,
)

log = logging.getLogger(__name__)

# Oxigraph answers 200 and then cuts the body with this text when --timeout-s expires.
_OXIGRAPH_CANCELLED = b"The SPARQL operation has been cancelled"

SOLUTIONS_JSON = "application/sparql-results+json"
GRAPH_NTRIPLES = "application/n-triples"
DATASET_NQUADS = "application/n-quads"
# One Accept for every query form: the engine picks by the form of the query.
_ACCEPT_ANY = f"{SOLUTIONS_JSON}, {GRAPH_NTRIPLES};q=0.9"

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


class _DeadlineWatch:
    """Runs a callback at a deadline, for many pending deadlines on one thread.

    A ``threading.Timer`` per store request costs a thread start each time (a fifth of a
    small query's time under load); this keeps a heap of deadlines instead."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled: set[int] = set()
        self._condition = threading.Condition()
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, deadline: float, callback: Callable[[], None]) -> int:
        with self._condition:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="store-deadlines", daemon=True
                )
                self._thread.start()
            token = next(self._tokens)
            heapq.heappush(self._heap, (deadline, token, callback))
            self._condition.notify()
            return token

    def cancel(self, token: int) -> None:
        with self._condition:
            self._cancelled.add(token)

    def _run(self) -> None:
        with self._condition:
            while True:
                while self._heap and self._heap[0][1] in self._cancelled:
                    self._cancelled.discard(heapq.heappop(self._heap)[1])
                if not self._heap:
                    self._condition.wait()
                    continue
                deadline, _, callback = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._condition.wait(wait)
                    continue
                heapq.heappop(self._heap)
                self._condition.release()
                try:
                    with contextlib.suppress(Exception):
                        callback()
                finally:
                    self._condition.acquire()


_DEADLINES = _DeadlineWatch()


class SparqlStore:
    """A SPARQL 1.1 Protocol client with a pooled keep-alive connection per host."""

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        store_url: str | None = None,
        *,
        timeout_s: float = 10.0,
        max_connections: int = 16,
        supervision: EngineSupervisionLike | None = None,
    ):
        self.query_url = query_url
        # Told about queries in flight and given up on, so the process supervising the
        # engine can stop one the engine does not (kb.store.managed.EngineSupervision).
        self.supervision = supervision
        self.update_url = update_url
        self.store_url = store_url  # Graph Store Protocol endpoint, for bulk loads
        self.timeout_s = timeout_s
        self._http = urllib3.PoolManager(
            maxsize=max_connections, block=False, retries=False, headers={"User-Agent": "hairkg"}
        )
        self._version: tuple[float, str] | None = None
        self._version_lock = threading.Lock()

    @classmethod
    def for_server(cls, base_url: str, **kwargs) -> SparqlStore:
        """A store for a server with Oxigraph's layout (/query, /update, /store)."""
        base = base_url.rstrip("/")
        return cls(base + "/query", base + "/update", base + "/store", **kwargs)

    # -- raw protocol -------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        default_graphs: Sequence[str] = (),
        named_graphs: Sequence[str] = (),
        timeout_s: float | None = None,
        accept: str = _ACCEPT_ANY,
    ) -> RawResult:
        """Runs a query; returns the engine's response as it came (after checks)."""
        limit = timeout_s or self.timeout_s
        fields = [("query", sparql)]
        fields += [("default-graph-uri", g) for g in default_graphs]
        fields += [("named-graph-uri", g) for g in named_graphs]
        running = self.supervision.running() if self.supervision else contextlib.nullcontext()
        try:
            with running:
                response = self._request(
                    "POST",
                    self.query_url,
                    body=urlencode(fields).encode(),
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                        "Accept": accept,
                    },
                    limit=limit,
                )
        except QueryTimeout:
            if self.supervision:
                self.supervision.gave_up()
            raise
        body = response.data
        if response.status >= 400:
            self._raise_for(response.status, body)
        if _OXIGRAPH_CANCELLED in body[-200:]:
            raise QueryTimeout(limit)
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
        return RawResult(content_type, body)

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
        if response.status >= 400:
            self._raise_for(response.status, response.data)
        self._version = None

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
        """Adds N-Quads to the store (Graph Store Protocol POST on the dataset)."""
        if not self.store_url:
            raise StoreError("this store has no graph store endpoint configured")
        response = self._request(
            "POST",
            self.store_url,
            body=data,
            headers={"Content-Type": DATASET_NQUADS},
            limit=timeout_s,
        )
        if response.status >= 400:
            self._raise_for(response.status, response.data)
        self._version = None

    def dump(self, *, timeout_s: float = 120.0) -> list[ox.Quad]:
        """Every quad of the store, the default graph's included (Graph Store Protocol GET of
        the whole dataset as N-Quads). Without a graph store endpoint: the named graphs only,
        through SELECT (the default graph of a union-default-graph engine cannot be told apart
        from the union in a query)."""
        if self.store_url:
            response = self._request(
                "GET",
                self.store_url,
                body=None,
                headers={"Accept": DATASET_NQUADS},
                limit=timeout_s,
            )
            if response.status >= 400:
                self._raise_for(response.status, response.data)
            return list(ox.parse(response.data, format=ox.RdfFormat.N_QUADS))
        rows = self.select(
            "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }", timeout_s=timeout_s
        )
        return [ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows]

    def version(self, max_age_s: float = 1.0) -> str:
        """The dataset version: changes with every write hairkg makes. Cached ``max_age_s``."""
        cached = self._version
        now = time.monotonic()
        if cached and now - cached[0] < max_age_s:
            return cached[1]
        with self._version_lock:
            rows = self.select(
                f"SELECT ?v WHERE {{ GRAPH {sparql_term(ox.NamedNode(str(META_GRAPH)))} "
                f"{{ {sparql_term(VERSION_SUBJECT)} {sparql_term(VERSION_PREDICATE)} ?v }} }}"
            )
            version = rows[0]["v"].value if rows else "unversioned"
            self._version = (now, version)
            return version

    def forget_version(self) -> None:
        """The next ``version()`` asks the store (another process wrote)."""
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

    def _request(self, method, url, *, body, headers, limit):
        """Sends a request and reads the whole answer within ``limit`` (+0.5 s) in total.

        urllib3's read timeout bounds each wait for bytes, not the whole body: an engine
        streaming a long answer would keep the caller past its limit. A timer shuts the
        socket down at the deadline (one shared watcher thread: ``_DEADLINES``); the engine
        then sees the connection close.
        """
        deadline = time.monotonic() + limit + 0.5
        expired = threading.Event()
        try:
            response = self._http.request(
                method,
                url,
                body=body,
                headers=headers,
                timeout=urllib3.Timeout(connect=2.0, read=limit + 0.5),
                preload_content=False,
            )
        except urllib3.exceptions.ReadTimeoutError as error:
            raise QueryTimeout(limit) from error
        except urllib3.exceptions.HTTPError as error:
            log.warning("the triple store at %s is unreachable: %s", url, error)
            raise StoreUnavailable(
                f"the triple store is unreachable ({connection_reason(error)})"
            ) from error

        def _expire():
            expired.set()
            with contextlib.suppress(Exception):
                response.shutdown()

        watch = _DEADLINES.add(deadline, _expire)
        try:
            response.read(cache_content=True)  # kept for .data
        except (urllib3.exceptions.HTTPError, OSError) as error:
            response.close()
            if expired.is_set():
                raise QueryTimeout(limit) from error
            if isinstance(error, urllib3.exceptions.ReadTimeoutError):
                raise QueryTimeout(limit) from error
            log.warning("the triple store at %s failed while answering: %s", url, error)
            raise StoreUnavailable(
                f"the triple store failed while answering ({connection_reason(error)})"
            ) from error
        finally:
            _DEADLINES.cancel(watch)
        if expired.is_set():
            response.close()
            raise QueryTimeout(limit)
        response.release_conn()
        return response

    def _raise_for(self, status: int, body: bytes):
        message = body.decode("utf-8", "replace").strip() or f"HTTP {status}"
        urls = (self.query_url, self.update_url or "", self.store_url or "")
        if status in (400, 406, 415):
            # about the client's text (which may name any IRI): only the store's own address
            raise QueryRejected(public_message(message, urls, thorough=False))
        if status in (408, 504) or "timeout" in message.lower():
            raise QueryTimeout(None)
        if status >= 500:
            log.warning("the triple store answered %s: %s", status, message[:2000])
        if status == 500 and body.strip():
            raise QueryFailed(public_message(message, urls))
        raise StoreUnavailable(
            f"the triple store answered {status}: {public_message(message[:500], urls)}"
        )


def dataset_version_for(data: bytes) -> str:
    """A content hash used as the version of a freshly loaded dataset."""
    return hashlib.sha256(data).hexdigest()[:16]
