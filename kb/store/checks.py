"""The checks a client's SPARQL query passes before it reaches the engine, in one place for
every face that runs such queries (``/sparql``, the MCP ``sparql`` tool): not empty, not too
long, a shape the engine survives (``kb.store.guard``), no SERVICE call outside the
allow-list, not an update; and the dataset its FROM / FROM NAMED clauses name.

A refused query raises :class:`QueryRefused` with the HTTP status the protocol answers and a
message naming the problem; each face words its answer from those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kb.store import guard

UPDATE_REFUSED = (
    "This is a SPARQL Update, sent as a query. Send updates with POST, either as "
    "application/sparql-update or as a form field 'update', with a bearer token."
)


class QueryRefused(Exception):
    """A query refused before evaluation: ``status`` (400, 403, 413 or 414) and ``message``;
    ``reason`` is one of empty, length, shape, service, update."""

    def __init__(self, status: int, message: str, reason: str):
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason


@dataclass(frozen=True)
class CheckedQuery:
    """A query that passed :func:`check_query`: its form (SELECT, ASK, CONSTRUCT, DESCRIBE or
    None when the tokenizer cannot tell) and the dataset to send with it."""

    text: str
    form: str | None
    default_graphs: list[str] = field(default_factory=list)
    named_graphs: list[str] = field(default_factory=list)


def check_query(
    query: str,
    *,
    max_length: int,
    service_allowlist: Sequence[str],
    base: str,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
    too_long_status: int = 413,
    update_refused: str = UPDATE_REFUSED,
) -> CheckedQuery:
    """``query`` checked as described in the module docstring, or :class:`QueryRefused`.

    ``base`` resolves relative IRIs (the endpoint's URL); the dataset named by the request
    (``default_graphs``, ``named_graphs``) wins over FROM clauses, which become the explicit
    dataset otherwise (an engine with a union default graph would ignore them)."""
    if not query.strip():
        raise QueryRefused(400, "The query is empty: send a SPARQL query to run.", "empty")
    if len(query) > max_length:
        raise QueryRefused(
            too_long_status,
            f"The query is {len(query)} characters long; the limit is {max_length}.",
            "length",
        )
    violation = guard.shape_violation(query)
    if violation:  # before anything reaches the engine: its parser would overflow its stack
        raise QueryRefused(400, f"The query is refused: {violation}.", "shape")
    check_service_calls(query, base, service_allowlist)
    defaults, named = list(default_graphs), list(named_graphs)
    if not defaults and not named:
        clauses = guard.dataset_clauses(query, base)
        if clauses is not None:
            defaults, named = clauses
    if guard.update_keyword(query):
        raise QueryRefused(400, update_refused, "update")
    return CheckedQuery(query, guard.query_form(query), defaults, named)


def check_service_calls(text: str, base: str, allowlist: Sequence[str]) -> None:
    """:class:`QueryRefused` (403) when ``text`` (a query or an update) calls SERVICE on an
    endpoint outside ``allowlist``."""
    refused = guard.refused_targets(guard.service_targets(text, base), list(allowlist))
    if not refused:
        return
    named = ", ".join(target.written or "(nothing)" for target in refused)
    if allowlist:
        allowed = "; allowed endpoints: " + ", ".join(allowlist)
    else:
        allowed = "; no endpoint is allowed on this service"
    raise QueryRefused(
        403,
        f"SERVICE calls to other endpoints are refused ({named}): this server does not fetch "
        f"URLs for clients{allowed}.",
        "service",
    )


def named_iris(query: str, base: str | None = None) -> list[tuple[str, str]]:
    """(as written, IRI) for every IRI and prefixed name in ``query`` outside its BASE and
    PREFIX declarations, resolved as the engine would; undeclared prefixes are left out."""
    tokens = guard.tokenize(query)
    prologue = guard.Prologue(base)
    found: list[tuple[str, str]] = []
    skip = 0
    for index, token in enumerate(tokens):
        if skip:
            skip -= 1
            continue
        following = tokens[index + 1 : index + 3]
        if token.kind == "keyword" and token.text == "BASE" and following:
            if following[0].kind == "iri":
                prologue.base = prologue.resolve_iri(following[0].text)
                skip = 1
        elif token.kind == "keyword" and token.text == "PREFIX" and len(following) == 2:
            name, target = following
            if name.kind == "pname" and name.text.endswith(":") and target.kind == "iri":
                prologue.prefixes[name.text[:-1]] = prologue.resolve_iri(target.text)
                skip = 2
        elif token.kind == "iri":
            found.append((f"<{token.text}>", prologue.resolve_iri(token.text)))
        elif token.kind == "pname":
            iri = prologue.resolve_pname(token.text)
            if iri is not None:
                found.append((token.text, iri))
    return found
