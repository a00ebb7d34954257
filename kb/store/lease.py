"""The write lease: one writer at a time across every hairkg host that shares a store, kept in
the store itself, so that it works with any engine hairkg supports.

A claim is two triples in the meta graph (``kb.rdf.META_GRAPH``, which the write gate keeps out
of edits and which dumps, releases, indexes and the change feed do not read)::

    <https://w3id.org/hairkg/graph/meta#write-lease-{uuid}>
        hk:writeLeaseHolder  "{host name}:{lock file}" ;
        hk:writeLeaseExpires "2026-12-04T11:22:07.123Z"^^xsd:dateTime .

Taking the lease (``StoreLease.acquire``) does not rely on the engine serialising concurrent
updates: a claimant inserts its claim, then reads every claim; it holds the lease only when
its claim is the only live one, else it retracts its claim and tries again after a random
pause. With linearizable reads two claimants can never both see themselves alone: the later
reader sees the earlier claim. A claim whose expiry has passed was left by a holder that died
(``kill -9``, a lost host): it is deleted, on the condition that its expiry is still the one
read (a holder that renewed it meanwhile keeps it), and the claims are read once more before
the lease is taken over. A claim that carries this holder's own id is dead as soon as it is
seen, because the caller takes the lease under the host's local lock for that id (the write
gate's ``flock``): no live process of this host can hold it.

While held, a thread renews the claim every third of its length (``renew``: the expiry is
moved only if the claim is still there); a holder whose claim was taken over learns it then
(``lost``). Every commit of the write gate is in any case conditional on the dataset version
it read, so even a holder that outlived its lease cannot overwrite another host's change.

Expiries are written and compared with the hosts' clocks: keep them synchronised (NTP) to
well under the lease length.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pyoxigraph as ox

from kb.rdf import HK, META_GRAPH
from kb.store.client import SparqlStore, sparql_term

log = logging.getLogger(__name__)

CLAIM_PREFIX = str(META_GRAPH) + "#write-lease-"
HOLDER = ox.NamedNode(str(HK.writeLeaseHolder))
EXPIRES = ox.NamedNode(str(HK.writeLeaseExpires))
_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
_META = sparql_term(ox.NamedNode(str(META_GRAPH)))
REQUEST_TIMEOUT_S = 10.0
FIRST_PAUSE_S = 0.05
LONGEST_PAUSE_S = 1.0


class LeaseUnavailable(Exception):
    """Another host held the lease for the whole wait."""


@dataclass(frozen=True)
class Claim:
    iri: str
    holder: str
    expires: float  # seconds since the epoch; 0 when the store holds no readable time
    expires_text: str  # the literal's lexical form, as the store gave it


def host_holder(lock_path: object) -> str:
    """The holder id of the processes that share one local write lock (the file
    ``lock_path`` on this machine): the host name and the lock file."""
    return f"{socket.gethostname()}:{lock_path}"


def _datetime_literal(seconds: float) -> ox.Literal:
    text = datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")
    return ox.Literal(text.replace("+00:00", "Z"), datatype=_DATETIME)


def _seconds(text: str) -> float:
    """An xsd:dateTime as seconds since the epoch (UTC when it has no zone); 0 if unreadable,
    so a claim the store mangled counts as expired rather than blocking writes for ever."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class StoreLease:
    """The write lease of one holder (``host_holder``) on ``store``, ``length_s`` long."""

    def __init__(self, store: SparqlStore, holder: str, length_s: float = 30.0):
        if length_s <= 0:
            raise ValueError("a lease needs a positive length")
        self.store = store
        self.holder = holder
        self.length_s = length_s
        self.claim: str | None = None  # the IRI of the claim held, if any
        self.lost = False  # the claim was taken over while held (a renewal found it gone)

    # -- reading ---------------------------------------------------------------------------

    def claims(self) -> list[Claim]:
        """Every claim in the store, live or expired."""
        rows = self.store.select(
            f"SELECT ?claim ?holder ?expires WHERE {{ GRAPH {_META} {{ "
            f"?claim {sparql_term(HOLDER)} ?holder ; {sparql_term(EXPIRES)} ?expires }} }}",
            timeout_s=REQUEST_TIMEOUT_S,
        )
        return [
            Claim(
                r["claim"].value,
                r["holder"].value,
                _seconds(r["expires"].value),
                r["expires"].value,
            )
            for r in rows
            if r["claim"].value.startswith(CLAIM_PREFIX)
        ]

    def rivals(self, claims: list[Claim], mine: str) -> tuple[list[Claim], list[Claim]]:
        """(live claims of other holders, dead claims): ``mine`` is neither."""
        now = time.time()
        live, dead = [], []
        for c in claims:
            if c.iri == mine:
                continue
            if c.holder != self.holder and c.expires > now:
                live.append(c)
            else:
                dead.append(c)
        return live, dead

    # -- taking, renewing, releasing -------------------------------------------------------

    def acquire(self, timeout_s: float) -> bool:
        """Takes the lease, waiting up to ``timeout_s``; False when another holder kept it."""
        deadline = time.monotonic() + timeout_s
        pause = FIRST_PAUSE_S
        while True:
            mine = CLAIM_PREFIX + uuid.uuid4().hex
            self._insert(mine)
            try:
                live = self._rivals_after_takeover(mine)
            except Exception:
                with contextlib.suppress(Exception):  # else it blocks other hosts until it expires
                    self._delete(mine)
                raise
            if not live:
                self.claim, self.lost = mine, False
                return True
            self._delete(mine)
            holders = ", ".join(sorted({c.holder for c in live}))
            left = deadline - time.monotonic()
            if left <= 0:
                log.info("the write lease is still held by %s: giving up", holders)
                return False
            if pause == FIRST_PAUSE_S:
                log.info("the write lease is held by %s: waiting up to %.1f s", holders, left)
            time.sleep(min(left, random.uniform(pause / 2, pause)))
            pause = min(pause * 2, LONGEST_PAUSE_S)

    def _rivals_after_takeover(self, mine: str) -> list[Claim]:
        """The live claims besides ``mine``, after deleting the dead ones (then read again: a
        holder whose renewal got in before the deletion is live after all)."""
        live, dead = self.rivals(self.claims(), mine)
        if not live and dead:
            self._take_over(dead)
            live, _ = self.rivals(self.claims(), mine)
        return live

    def renew(self) -> bool:
        """Moves the held claim's expiry to ``length_s`` from now; False (and ``lost``) when the
        claim is gone (taken over after it expired)."""
        if self.claim is None:
            return False
        claim = sparql_term(ox.NamedNode(self.claim))
        expires = sparql_term(EXPIRES)
        new = sparql_term(_datetime_literal(time.time() + self.length_s))
        self.store.update(
            f"DELETE {{ GRAPH {_META} {{ {claim} {expires} ?old }} }} "
            f"INSERT {{ GRAPH {_META} {{ {claim} {expires} {new} }} }} "
            f"WHERE {{ GRAPH {_META} {{ {claim} {expires} ?old }} }}",
            timeout_s=REQUEST_TIMEOUT_S,
        )
        kept = self.store.ask(
            f"ASK {{ GRAPH {_META} {{ {claim} {expires} {new} }} }}", timeout_s=REQUEST_TIMEOUT_S
        )
        if not kept:
            self.lost = True
            log.warning("the write lease %s was taken over while held", self.claim)
        return kept

    def release(self) -> None:
        """Retracts the held claim (a failure is logged: the claim then expires)."""
        if self.claim is None:
            return
        claim, self.claim = self.claim, None
        try:
            self._delete(claim)
        except Exception as error:  # the write is over; the claim will expire
            log.warning(
                "the write lease %s was not released (%s); it expires by itself", claim, error
            )

    @contextlib.contextmanager
    def held(self, timeout_s: float) -> Iterator[StoreLease]:
        """The lease for the duration of the block, renewed while it runs;
        ``LeaseUnavailable`` when it cannot be had within ``timeout_s``."""
        if not self.acquire(timeout_s):
            raise LeaseUnavailable("another host is writing to this store; try again shortly")
        stop = threading.Event()
        renewer = threading.Thread(target=self._keep, args=(stop,), name="write-lease", daemon=True)
        renewer.start()
        try:
            yield self
        finally:
            stop.set()
            renewer.join()
            self.release()

    def _keep(self, stop: threading.Event) -> None:
        while not stop.wait(self.length_s / 3):
            try:
                if not self.renew():
                    return
            except Exception as error:  # tried again at the next third
                log.warning("the write lease could not be renewed: %s", error)

    # -- the updates -----------------------------------------------------------------------

    def _insert(self, claim: str) -> None:
        node = sparql_term(ox.NamedNode(claim))
        self.store.update(
            f"INSERT DATA {{ GRAPH {_META} {{ {node} "
            f"{sparql_term(HOLDER)} {sparql_term(ox.Literal(self.holder))} ; "
            f"{sparql_term(EXPIRES)} {sparql_term(_datetime_literal(time.time() + self.length_s))}"
            " } }",
            timeout_s=REQUEST_TIMEOUT_S,
        )

    def _delete(self, claim: str) -> None:
        node = sparql_term(ox.NamedNode(claim))
        self.store.update(
            f"DELETE {{ GRAPH {_META} {{ {node} ?p ?o }} }} "
            f"WHERE {{ GRAPH {_META} {{ {node} ?p ?o }} }}",
            timeout_s=REQUEST_TIMEOUT_S,
        )

    def _take_over(self, dead: list[Claim]) -> None:
        """Deletes dead claims, each only if its expiry is still the one read."""
        for c in dead:
            log.info("taking over the expired write lease of %s", c.holder)
            node = sparql_term(ox.NamedNode(c.iri))
            read = ox.Literal(c.expires_text, datatype=_DATETIME)
            seen = f"{sparql_term(EXPIRES)} {sparql_term(read)}"
            self.store.update(
                f"DELETE {{ GRAPH {_META} {{ {node} ?p ?o }} }} "
                f"WHERE {{ GRAPH {_META} {{ {node} {seen} . {node} ?p ?o }} }}",
                timeout_s=REQUEST_TIMEOUT_S,
            )
