"""The proposal record: how a proposal is kept in the store (``PROPOSALS_GRAPH``, so every
worker and host sees it) and read back. The workflow is ``kb.writes.proposals``.

::

    <https://w3id.org/hairkg/proposal/0f3a...> a prop:Proposal ;
        prop:status "open" ;                      # "open" or "rejected"; approved: see below
        prop:author "bob" ; prov:generatedAtTime "...Z"^^xsd:dateTime ; rdfs:comment "message" ;
        prop:kind "entity" ; prop:request "<the JSON request>" ;
        prop:versionBefore "<dataset version it was computed against>" ;
        prop:added "<N-Quads>" ; prop:removed "<N-Quads>" ;
        prop:passes true ; prop:report "<JSON>" ; prop:diff "<JSON term diff>" ;
        [prop:decidedBy "carol" ; prop:decidedAt "..." ; prop:reason "..."] .   # rejected

*Approved* is not written here: a proposal is approved when a change record of the history
names it (``hist:proposal``), and that record is committed by the same request as the change,
so a proposal is never marked approved without its change nor applied without being marked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pyoxigraph as ox

from kb.rdf import BASE, PROPOSALS_GRAPH, PROV
from kb.store.client import SparqlStore, sparql_term
from kb.writes.history import HIST, HISTORY_GRAPH, nquads_text, parse_nquads

PROPOSAL_BASE = BASE + "proposal/"
PROP = BASE + "proposal#"
STATUSES = ("open", "approved", "rejected")
KINDS = ("entity", "update")
ID_LENGTH = 12

_XSD = "http://www.w3.org/2001/XMLSchema#"
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_COMMENT = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
_CREATED = ox.NamedNode(str(PROV.generatedAtTime))


def proposal_term(name: str) -> ox.NamedNode:
    return ox.NamedNode(PROP + name)


def proposal_iri(identifier: str) -> ox.NamedNode:
    return ox.NamedNode(PROPOSAL_BASE + identifier)


def datetime_literal(text: str) -> ox.Literal:
    return ox.Literal(text, datatype=ox.NamedNode(_XSD + "dateTime"))


@dataclass
class Proposal:
    id: str
    status: str
    author: str
    message: str
    created: str
    kind: str
    request: dict
    version_before: str
    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)
    passes: bool = False
    report: dict = field(default_factory=dict)
    diff: dict = field(default_factory=dict)
    decided_by: str | None = None
    decided_at: str | None = None
    reason: str | None = None
    change: int | None = None

    @property
    def iri(self) -> str:
        return proposal_iri(self.id).value

    def summary(self) -> dict:
        return {
            "id": self.id,
            "href": f"/api/v1/proposals/{self.id}",
            "status": self.status,
            "author": self.author,
            "message": self.message,
            "created": self.created,
            "kind": self.kind,
            "decidedBy": self.decided_by,
            "decidedAt": self.decided_at,
            "reason": self.reason,
            "change": str(self.change) if self.change is not None else None,
            "validation": {"passes": self.passes},
            "diffSummary": self.diff.get("summary", {}),
        }

    def to_dict(self) -> dict:
        body = self.summary()
        body["versionBefore"] = self.version_before
        body["validation"] = {"passes": self.passes, "report": self.report}
        body["request"] = self.request
        body["diff"] = self.diff
        body["triplesAdded"] = nquads_text(self.added).splitlines()
        body["triplesRemoved"] = nquads_text(self.removed).splitlines()
        return body

    def quads(self) -> list[ox.Quad]:
        s, g = proposal_iri(self.id), ox.NamedNode(str(PROPOSALS_GRAPH))
        boolean = ox.NamedNode(_XSD + "boolean")
        values = [
            (_RDF_TYPE, proposal_term("Proposal")),
            (proposal_term("status"), ox.Literal(self.status)),
            (proposal_term("author"), ox.Literal(self.author)),
            (_CREATED, datetime_literal(self.created)),
            (_COMMENT, ox.Literal(self.message)),
            (proposal_term("kind"), ox.Literal(self.kind)),
            (proposal_term("request"), ox.Literal(json.dumps(self.request, ensure_ascii=False))),
            (proposal_term("versionBefore"), ox.Literal(self.version_before)),
            (proposal_term("added"), ox.Literal(nquads_text(self.added))),
            (proposal_term("removed"), ox.Literal(nquads_text(self.removed))),
            (proposal_term("passes"), ox.Literal(str(self.passes).lower(), datatype=boolean)),
            (proposal_term("report"), ox.Literal(json.dumps(self.report, ensure_ascii=False))),
            (proposal_term("diff"), ox.Literal(json.dumps(self.diff, ensure_ascii=False))),
        ]
        return [ox.Quad(s, p, o, g) for p, o in values]


# -- reading ---------------------------------------------------------------------------------

_SCALARS = ("status", "author", "kind", "versionBefore", "passes", "decidedBy", "decidedAt")
_SCALARS += ("reason",)


def _pattern(where_extra: str, texts: tuple[str, ...]) -> str:
    """The graph pattern of proposals (?p) with their fields, ?state included: "approved" when
    a change record of the history names the proposal, else its own status."""
    g, h = (sparql_term(ox.NamedNode(str(x))) for x in (PROPOSALS_GRAPH, HISTORY_GRAPH))
    optional = " ".join(
        f"OPTIONAL {{ ?p {sparql_term(proposal_term(name))} ?{name} }}" for name in _SCALARS + texts
    )
    hist = {n: sparql_term(ox.NamedNode(HIST + n)) for n in ("proposal", "number", "author")}
    return (
        f"GRAPH {g} {{ ?p a {sparql_term(proposal_term('Proposal'))} ; "
        f"{sparql_term(_CREATED)} ?created . OPTIONAL {{ ?p {sparql_term(_COMMENT)} ?message }} "
        f"{optional} }} "
        f"OPTIONAL {{ GRAPH {h} {{ ?c {hist['proposal']} ?p ; {hist['number']} ?change ; "
        f"{hist['author']} ?reviewer ; {sparql_term(ox.NamedNode(str(PROV.endedAtTime)))} "
        f"?approvedAt }} }} "
        f'BIND(IF(BOUND(?change), "approved", ?status) AS ?state) {where_extra}'
    )


def _select(store: SparqlStore, where_extra: str, *, full: bool, tail: str = "") -> list[Proposal]:
    texts = ("request", "added", "removed", "report", "diff") if full else ("diff",)
    found = []
    for row in store.select(f"SELECT * WHERE {{ {_pattern(where_extra, texts)} }} {tail}"):

        def value(name: str, row=row) -> str | None:
            term = row[name]
            return term.value if term is not None else None

        approved = value("change") is not None
        found.append(
            Proposal(
                id=row["p"].value.removeprefix(PROPOSAL_BASE),
                status=value("state") or "open",
                author=value("author") or "",
                message=value("message") or "",
                created=value("created") or "",
                kind=value("kind") or "",
                request=json.loads(value("request") or "{}"),
                version_before=value("versionBefore") or "",
                added=parse_nquads(value("added") or ""),
                removed=parse_nquads(value("removed") or ""),
                passes=value("passes") == "true",
                report=json.loads(value("report") or "{}"),
                diff=json.loads(value("diff") or "{}"),
                decided_by=value("reviewer") if approved else value("decidedBy"),
                decided_at=value("approvedAt") if approved else value("decidedAt"),
                reason=value("reason"),
                change=int(value("change")) if approved else None,
            )
        )
    return found


def _filters(status: str | None, author: str | None) -> str:
    parts = []
    if status:
        parts.append(f"FILTER(?state = {sparql_term(ox.Literal(status))})")
    if author:
        parts.append(f"FILTER(?author = {sparql_term(ox.Literal(author))})")
    return " ".join(parts)


def list_proposals(
    store: SparqlStore,
    *,
    status: str | None = None,
    author: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[int, list[Proposal]]:
    """(total matching, proposals newest first, without their triples)."""
    where = _filters(status, author)
    rows = store.select(f"SELECT (COUNT(?p) AS ?n) WHERE {{ {_pattern(where, ())} }}")
    total = int(rows[0]["n"].value) if rows else 0
    page = f"ORDER BY DESC(?created) ?p LIMIT {int(limit)} OFFSET {int(offset)}"
    return total, _select(store, where, full=False, tail=page)


def get_proposal(store: SparqlStore, identifier: str) -> Proposal | None:
    if len(identifier) != ID_LENGTH or any(c not in "0123456789abcdef" for c in identifier):
        return None
    iri = sparql_term(proposal_iri(identifier))
    found = _select(store, f"FILTER(?p = {iri})", full=True)
    return found[0] if found else None
