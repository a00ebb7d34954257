"""A change as RDF Patch (https://afs.github.io/rdf-patch/), and the reading and applying of
such patches (what a replica does; the tests replay the whole history with it).

A hairkg patch is one transaction::

    H id <https://w3id.org/hairkg/change/7> .
    H prev <https://w3id.org/hairkg/change/6> .
    TX .
    D <s> <p> <o> <g> .          # what the change removed, the inferred graph included
    A <s> <p> <o> <g> .          # what it added
    TC .

Every row is a quad in N-Quads syntax with its graph name. The changes of the service's own
bookkeeping (the dataset version, the history record) are not in the patch: applied in order
to the release the history starts from, the patches give the content graphs (ontology, kb,
inferred) of the live store. Blank nodes keep the labels the record has; a change that adds
blank nodes is replayed exactly only up to their labels. Records written before the inferred
graph's changes were kept (``hist:inferredAdded``) give patches of the asserted graphs only.

No maintained RDF Patch library exists on PyPI (checked for this module), hence this one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyoxigraph as ox

from kb.store.client import SparqlStore, sparql_term
from kb.writes.history import (
    HIST,
    HISTORY_GRAPH,
    ChangeRecord,
    change_iri,
    get_change,
    nquads_text,
    parse_nquads,
)

MEDIA_TYPE = "application/rdf-patch"


class PatchError(ValueError):
    """A patch that cannot be read or applied; names the line."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class PatchedChange:
    """A change with everything its patch needs."""

    record: ChangeRecord
    inferred_added: list[ox.Quad]
    inferred_removed: list[ox.Quad]


def read_patched_change(store: SparqlStore, number: int) -> PatchedChange | None:
    """The record of change ``number`` with its triples and the inferred graph's changes."""
    record = get_change(store, number)
    if record is None:
        return None
    g = sparql_term(ox.NamedNode(str(HISTORY_GRAPH)))
    added = sparql_term(ox.NamedNode(HIST + "inferredAdded"))
    removed = sparql_term(ox.NamedNode(HIST + "inferredRemoved"))
    rows = store.select(
        f"SELECT ?added ?removed WHERE {{ GRAPH {g} {{ "
        f"OPTIONAL {{ {sparql_term(change_iri(number))} {added} ?added }} "
        f"OPTIONAL {{ {sparql_term(change_iri(number))} {removed} ?removed }} }} }}"
    )

    def quads(name: str) -> list[ox.Quad]:
        term = rows[0][name] if rows else None
        return parse_nquads(term.value) if term is not None else []

    return PatchedChange(record, quads("added"), quads("removed"))


def rdf_patch(change: PatchedChange) -> str:
    """The change as the text of one RDF Patch transaction."""
    record = change.record
    lines = [f"H id {change_iri(record.number)} ."]
    if record.number > 1:
        lines.append(f"H prev {change_iri(record.number - 1)} .")
    lines.append("TX .")
    for op, quads in (
        ("D", record.removed + change.inferred_removed),
        ("A", record.added + change.inferred_added),
    ):
        lines += [f"{op} {row}" for row in nquads_text(quads).splitlines()]
    lines.append("TC .")
    return "\n".join(lines) + "\n"


@dataclass
class Patch:
    headers: dict[str, str]
    rows: list[tuple[str, ox.Quad]]  # ("A" | "D", quad), in order


def parse_rdf_patch(text: str) -> Patch:
    """Reads the rows of RDF Patch text: headers, one transaction's A and D rows (prefix rows
    are accepted and ignored). Raises PatchError naming the line of the first problem."""
    headers: dict[str, str] = {}
    rows: list[tuple[str, ox.Quad]] = []
    state = "start"
    for number, line in _lines(text):
        code, _, rest = line.partition(" ")
        if code == "H":
            if state != "start":
                raise PatchError(number, "a header after the transaction began")
            name, _, value = rest.strip().removesuffix(".").strip().partition(" ")
            headers[name] = value.strip().strip("<>")
        elif code == "TX":
            if state != "start":
                raise PatchError(number, "TX inside a transaction")
            state = "open"
        elif code in ("TC", "TA"):
            if state != "open":
                raise PatchError(number, f"{code} without TX")
            state = "committed" if code == "TC" else "aborted"
        elif code in ("A", "D"):
            if state not in ("start", "open"):
                raise PatchError(number, "a row after the transaction ended")
            rows.append((code, _quad(number, rest)))
        elif code in ("PA", "PD"):
            continue
        else:
            raise PatchError(number, f"unknown row code {code!r}")
    if state == "open":
        raise PatchError(len(text.splitlines()), "the transaction is not committed (no TC)")
    return Patch(headers, [] if state == "aborted" else rows)


def apply_rdf_patch(store: ox.Store, text: str) -> None:
    """Applies a patch to an in-memory store; nothing is applied when it does not parse."""
    for code, quad in parse_rdf_patch(text).rows:
        if code == "A":
            store.add(quad)
        else:
            store.remove(quad)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield number, line


def _quad(number: int, rest: str) -> ox.Quad:
    try:
        quads = list(ox.parse(rest.encode(), format=ox.RdfFormat.N_QUADS))
    except SyntaxError as error:
        raise PatchError(number, f"not a quad: {error}") from error
    if len(quads) != 1:
        raise PatchError(number, "a row must hold exactly one quad")
    return quads[0]
