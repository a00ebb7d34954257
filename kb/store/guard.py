"""A small SPARQL tokenizer for the checks made before a request reaches the engine.

The engine (Oxigraph) would follow ``SERVICE <url>`` in a query and ``LOAD <url>`` in an update,
which makes the server fetch a URL a client chose. ``service_targets`` and ``load_targets`` find
those keywords with the IRI they name, so the protocol layer can refuse them unless the operator
allow-listed the endpoint. ``query_form`` and ``update_keyword`` tell queries and updates apart
for content negotiation and for friendly errors. ``shape`` measures what a recursive parser or
planner cannot survive (nesting depth, operator chains, UNION/OPTIONAL counts, VALUES size)
and ``shape_violation`` names the first limit (``SHAPE_LIMITS``) a text exceeds, so that such
a request is refused before the engine sees it (docs/sparql.md, "Query shape limits").

The tokenizer knows just enough of the SPARQL 1.1 grammar to tell a keyword from text that
merely looks like one: strings (all four quote styles, with escapes), IRIs ``<...>`` (with
``\\u`` escapes, which the engine honours inside IRIs), comments, variables, prefixed names
(``ex:SERVICE`` and ``SERVICE:x`` are names, not keywords) and language tags (``"x"@service``).
It never raises: unknown characters are skipped, and an unterminated string or IRI runs to the
end of the text (the engine then rejects the query as a syntax error).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urljoin

QUERY_FORMS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
UPDATE_KEYWORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH"}
)

# Query shape limits (``shape_violation``), well below where the engines crash or slow down:
# measured figures in docs/sparql.md, "Query shape limits" (scripts/probe_query_shapes.py).
LIMIT_NESTING = 128
LIMIT_OPERATOR_CHAIN = 100
LIMIT_UNIONS = 500
LIMIT_OPTIONALS = 100
LIMIT_GROUPS = 1000
LIMIT_VALUES_ROWS = 10_000
LIMIT_VALUES_COLUMNS = 200
LIMIT_OPERATIONS = 500


@dataclass(frozen=True)
class Token:
    kind: str  # keyword, iri, pname, var, string, langtag, number, punct
    text: str  # keyword upper-cased; IRI without brackets and unescaped; else as written
    offset: int


@dataclass(frozen=True)
class Target:
    """A ``SERVICE`` or ``LOAD`` target: the IRI as resolved, or ``None`` when it cannot be
    known before evaluation (a variable, or a prefixed name with an undeclared prefix)."""

    keyword: str
    iri: str | None
    written: str  # as it appears in the text, for messages
    silent: bool
    offset: int


_IRI = re.compile(r'<([^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>')
_VAR = re.compile(r"[?$][\w\u00b7\u0300-\u036f\u203f-\u2040]+")
_LANGTAG = re.compile(r"@[A-Za-z]+(-[A-Za-z0-9]+)*")
_NUMBER = re.compile(r"[0-9]*\.?[0-9]+([eE][+-]?[0-9]+)?")
# A prefixed name: optional prefix, a colon, optional local part (with %xx and \-escapes).
_PNAME = re.compile(
    r"(?:[^\W\d][\w\-.]*)?:(?:(?:[\w:\-]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
    r"(?:(?:[\w:\-.]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])*"
    r"(?:[\w:\-]|%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]))?)?"
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BLANK = re.compile(r"_:[\w\-.]*")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape_iri(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _string_end(text: str, start: int) -> int:
    """The offset just past the string literal starting at ``start`` (or the text's end)."""
    quote = text[start]
    long = text.startswith(quote * 3, start)
    delimiter = quote * 3 if long else quote
    i = start + len(delimiter)
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if text.startswith(delimiter, i):
            return i + len(delimiter)
        if not long and char in "\r\n":
            return i  # short strings cannot span lines: let the engine report it
        i += 1
    return len(text)


@functools.lru_cache(maxsize=64)
def tokenize(text: str) -> tuple[Token, ...]:
    """The tokens of ``text``. Memoised: ``/sparql`` asks four questions about each query
    (update keyword, form, FROM clauses, SERVICE targets) and tokenizes it once."""
    return tuple(_tokenize(text))


def _tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif char in "\"'":
            end = _string_end(text, i)
            tokens.append(Token("string", text[i:end], i))
            i = end
        elif char == "<" and (match := _IRI.match(text, i)):
            tokens.append(Token("iri", _unescape_iri(match.group()[1:-1]), i))
            i = match.end()
        elif char in "?$" and (match := _VAR.match(text, i)):
            tokens.append(Token("var", match.group(), i))
            i = match.end()
        elif char == "@" and (match := _LANGTAG.match(text, i)):
            tokens.append(Token("langtag", match.group(), i))
            i = match.end()
        elif char == "_" and (match := _BLANK.match(text, i)):
            tokens.append(Token("bnode", match.group(), i))
            i = match.end()
        elif (char.isalpha() or char == ":") and (match := _PNAME.match(text, i)):
            tokens.append(Token("pname", match.group(), i))
            i = match.end()
        elif char.isalpha() and (match := _WORD.match(text, i)):
            tokens.append(Token("keyword", match.group().upper(), i))
            i = match.end()
        elif char.isdigit() and (match := _NUMBER.match(text, i)):
            tokens.append(Token("number", match.group(), i))
            i = match.end()
        else:
            tokens.append(Token("punct", char, i))
            i += 1
    return tokens


class Prologue:
    """BASE and PREFIX declarations seen so far, to resolve targets as the engine would."""

    def __init__(self, base: str | None):
        self.base = base
        self.prefixes: dict[str, str] = {}

    def resolve_iri(self, iri: str) -> str:
        absolute = re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", iri)  # urljoin drops a bare '#'
        return urljoin(self.base, iri) if self.base and not absolute else iri

    def resolve_pname(self, pname: str) -> str | None:
        prefix, _, local = pname.partition(":")
        namespace = self.prefixes.get(prefix)
        if namespace is None:
            return None
        local = re.sub(r"\\(.)", r"\1", local)
        return namespace + local


def _walk(tokens: tuple[Token, ...], base: str | None):
    """Yields (index, keyword token, prologue) for each keyword outside BASE/PREFIX
    declarations, with the declarations seen so far applied to the prologue."""
    prologue = Prologue(base)
    for index, token in enumerate(tokens):
        if token.kind != "keyword":
            continue
        following = tokens[index + 1 : index + 3]
        if token.text == "BASE" and following and following[0].kind == "iri":
            prologue.base = prologue.resolve_iri(following[0].text)
        elif (
            token.text == "PREFIX"
            and len(following) == 2
            and following[0].kind == "pname"
            and following[0].text.endswith(":")
            and following[1].kind == "iri"
        ):
            prologue.prefixes[following[0].text[:-1]] = prologue.resolve_iri(following[1].text)
        else:
            yield index, token, prologue


def _resolve(target: Token | None, prologue: Prologue) -> str | None:
    if target is not None and target.kind == "iri":
        return prologue.resolve_iri(target.text)
    if target is not None and target.kind == "pname":
        return prologue.resolve_pname(target.text)
    return None


def _targets(text: str, keyword: str, base: str | None) -> list[Target]:
    tokens = tokenize(text)
    found = []
    for index, token, prologue in _walk(tokens, base):
        if token.text != keyword:
            continue
        following = tokens[index + 1 : index + 3]
        silent = bool(following) and following[0].kind == "keyword"
        silent = silent and following[0].text == "SILENT"
        target = following[1] if silent and len(following) > 1 else None
        if not silent and following:
            target = following[0]
        written = target.text if target is not None else ""
        if target is not None and target.kind == "iri":
            written = f"<{target.text}>"
        found.append(Target(keyword, _resolve(target, prologue), written, silent, token.offset))
    return found


def dataset_clauses(query: str, base: str | None = None) -> tuple[list[str], list[str]] | None:
    """The graphs of the query's FROM and FROM NAMED clauses (resolved), or None without any.

    The protocol layer passes them to the engine as the explicit dataset, because an engine
    run with a union default graph (Oxigraph's --union-default-graph) ignores FROM.
    An IRI that cannot be resolved (undeclared prefix) gives None: the engine reports it.
    """
    tokens = tokenize(query)
    defaults: list[str] = []
    named: list[str] = []
    found = False
    for index, token, prologue in _walk(tokens, base):
        if token.text != "FROM":
            continue
        found = True
        following = tokens[index + 1 : index + 3]
        is_named = bool(following) and following[0].kind == "keyword"
        is_named = is_named and following[0].text == "NAMED"
        target = (following[1] if len(following) > 1 else None) if is_named else None
        if not is_named and following:
            target = following[0]
        iri = _resolve(target, prologue)
        if iri is None:
            return None
        (named if is_named else defaults).append(iri)
    return (defaults, named) if found else None


def service_targets(query: str, base: str | None = None) -> list[Target]:
    """Every ``SERVICE`` in a query (or update) with the endpoint it names."""
    return _targets(query, "SERVICE", base)


def load_targets(update: str, base: str | None = None) -> list[Target]:
    """Every ``LOAD`` in an update with the document it would fetch."""
    return _targets(update, "LOAD", base)


def refused_targets(targets: list[Target], allowlist: tuple[str, ...] | list[str]) -> list[Target]:
    """The targets not on the allow-list (variables and unresolvable names always are)."""
    allowed = {iri.strip() for iri in allowlist if iri.strip()}
    return [target for target in targets if target.iri is None or target.iri not in allowed]


# -- query shapes --------------------------------------------------------------------------
#
# Oxigraph's parser and planner recurse once per nesting level and per chained operator:
# 3,000 nested groups overflow the stack and abort the whole engine process (issue 16), every
# request in flight with it. Measured thresholds and the margin kept: docs/sparql.md, "Query
# shape limits" (scripts/probe_query_shapes.py reproduces them).


@dataclass(frozen=True)
class ShapeLimits:
    nesting: int = 0  # brackets { ( [ open at once
    operator_chain: int = 0  # operators in one expression or property path
    unions: int = 0  # UNION keywords
    optionals: int = 0  # OPTIONAL keywords
    groups: int = 0  # group patterns ({) in the whole text
    values_rows: int = 0  # rows of one VALUES block
    values_columns: int = 0  # variables of one VALUES block
    operations: int = 0  # update operations (separated by ;)


SHAPE_LIMITS = ShapeLimits(
    nesting=LIMIT_NESTING,
    operator_chain=LIMIT_OPERATOR_CHAIN,
    unions=LIMIT_UNIONS,
    optionals=LIMIT_OPTIONALS,
    groups=LIMIT_GROUPS,
    values_rows=LIMIT_VALUES_ROWS,
    values_columns=LIMIT_VALUES_COLUMNS,
    operations=LIMIT_OPERATIONS,
)
"""The limits applied to every query and update a client sends (``shape_violation``)."""

_SHAPE_NAMES = {
    "nesting": "nesting depth",
    "operator_chain": "operator chain length",
    "unions": "UNION count",
    "optionals": "OPTIONAL count",
    "groups": "group pattern count",
    "values_rows": "VALUES row count",
    "values_columns": "VALUES column count",
    "operations": "operation count",
}
_OPENING = frozenset("{([")
_CLOSING = frozenset("})]")
# Operators of expressions and property paths; && and || count once.
_OPERATORS = frozenset("/|*+-!^=<>&?")


@functools.lru_cache(maxsize=64)
def shape(text: str) -> ShapeLimits:
    """The size of each shape in ``text``, measured in one pass over its tokens.

    Brackets count only as punctuation tokens, so braces and parentheses inside strings,
    IRIs and comments never do. The operator chain is counted per bracket level: the
    operators of a parenthesised sub-expression are its own chain (its depth is counted as
    nesting), and ``{ } . ;`` end a chain."""
    tokens = tokenize(text)
    depth = nesting = chain = longest_chain = unions = optionals = groups = 0
    rows = columns = operations = 0
    outer_chains: list[int] = []
    previous: Token | None = None
    index, count = 0, len(tokens)
    while index < count:
        token = tokens[index]
        index += 1
        if token.kind == "keyword":
            if token.text == "UNION":
                unions += 1
            elif token.text == "OPTIONAL":
                optionals += 1
            elif token.text == "VALUES":
                index, block_rows, block_columns = _values_block(tokens, index)
                rows, columns = max(rows, block_rows), max(columns, block_columns)
        elif token.kind == "punct":
            char = token.text
            if char in _OPENING:
                depth += 1
                nesting = max(nesting, depth)
                groups += char == "{"
                outer_chains.append(0 if char == "{" else chain)
                chain = 0
            elif char in _CLOSING:
                depth = max(0, depth - 1)
                chain = outer_chains.pop() if outer_chains else 0
                if char == "}":
                    chain = 0
            elif char in ".;":
                chain = 0
                operations += char == ";" and depth == 0
            elif char in _OPERATORS and not (
                char in "&|"
                and previous is not None
                and previous.text == char
                and previous.offset == token.offset - 1
            ):
                chain += 1
                longest_chain = max(longest_chain, chain)
        previous = token
    return ShapeLimits(
        nesting=nesting,
        operator_chain=longest_chain,
        unions=unions,
        optionals=optionals,
        groups=groups,
        values_rows=rows,
        values_columns=columns,
        operations=operations + 1 if tokens else 0,
    )


_VALUE_KINDS = frozenset({"iri", "pname", "string", "number", "keyword", "bnode"})


def _values_block(tokens: tuple[Token, ...], index: int) -> tuple[int, int, int]:
    """(index just past the block, rows, columns) of the VALUES block after the keyword at
    ``index - 1``. A malformed block ends at its first unexpected bracket, which the caller
    then counts (the engine rejects the text anyway)."""
    count = len(tokens)

    def punct(at: int, char: str) -> bool:
        return at < count and tokens[at].kind == "punct" and tokens[at].text == char

    if index < count and tokens[index].kind == "var":  # VALUES ?x { a b c }
        index += 1
        if not punct(index, "{"):
            return index, 0, 1
        rows, at = 0, index + 1
        while at < count and not punct(at, "}"):
            token = tokens[at]
            if token.kind == "punct" and token.text in _OPENING | _CLOSING:
                return at, rows, 1
            # a term, not the datatype after ^^ (nor a language tag, nor punctuation)
            if token.kind in _VALUE_KINDS and not punct(at - 1, "^"):
                rows += 1
            at += 1
        return at + 1, rows, 1
    if not punct(index, "("):  # VALUES ( ?a ?b ) { ( 1 2 ) ( 3 4 ) }
        return index, 0, 0
    at = index + 1
    while at < count and tokens[at].kind == "var":
        at += 1
    columns = at - index - 1
    if not punct(at, ")"):
        return at, 0, columns
    at += 1
    if not punct(at, "{"):
        return at, 0, columns
    rows, at, inside = 0, at + 1, False
    while at < count and not (punct(at, "}") and not inside):
        token = tokens[at]
        if punct(at, "(") and not inside:
            rows, inside = rows + 1, True
        elif punct(at, ")") and inside:
            inside = False
        elif token.kind == "punct" and token.text in _OPENING | _CLOSING:
            return at, rows, columns
        at += 1
    return at + 1, rows, columns


def shape_violation(
    text: str, what: str = "query", limits: ShapeLimits = SHAPE_LIMITS
) -> str | None:
    """A message naming the first limit ``text`` exceeds (``what`` says query or update), or
    None. E.g. "query nesting depth 3001 exceeds the limit of 200"."""
    measured = shape(text)
    for name, label in _SHAPE_NAMES.items():
        limit = getattr(limits, name)
        value = getattr(measured, name)
        if limit and value > limit:
            return f"{what} {label} {value} exceeds the limit of {limit}"
    return None


def query_form(text: str) -> str | None:
    """SELECT, CONSTRUCT, DESCRIBE or ASK: the first such keyword (the prologue has none)."""
    for token in tokenize(text):
        if token.kind == "keyword" and token.text in QUERY_FORMS:
            return token.text
    return None


def update_keyword(text: str) -> str | None:
    """The first update keyword (INSERT, DELETE, LOAD, ...) of a text that starts like one."""
    for token in tokenize(text):
        if token.kind != "keyword" or token.text in ("BASE", "PREFIX"):
            continue
        return token.text if token.text in UPDATE_KEYWORDS else None
    return None
