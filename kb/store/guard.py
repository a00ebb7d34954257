"""A small SPARQL tokenizer for the checks made before a request reaches the engine.

The engine (Oxigraph) would follow ``SERVICE <url>`` in a query and ``LOAD <url>`` in an update,
which makes the server fetch a URL a client chose. ``service_targets`` and ``load_targets`` find
those keywords with the IRI they name, so the protocol layer can refuse them unless the operator
allow-listed the endpoint. ``query_form`` and ``update_keyword`` tell queries and updates apart
for content negotiation and for friendly errors.

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


class _Prologue:
    """BASE and PREFIX declarations seen so far, to resolve targets as the engine would."""

    def __init__(self, base: str | None):
        self.base = base
        self.prefixes: dict[str, str] = {}

    def resolve_iri(self, iri: str) -> str:
        return urljoin(self.base, iri) if self.base else iri

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
    prologue = _Prologue(base)
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


def _resolve(target: Token | None, prologue: _Prologue) -> str | None:
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


def query_form(text: str) -> str | None:
    """SELECT, CONSTRUCT, DESCRIBE or ASK: the first such keyword (the prologue has none)."""
    for token in tokenize(text):
        if token.kind == "keyword" and token.text in QUERY_FORMS:
            return token.text
    return None


def update_keyword(text: str) -> str | None:
    """The first update operation keyword (INSERT, DELETE, LOAD, ...) of a text, if it starts
    like an update rather than a query."""
    for token in tokenize(text):
        if token.kind != "keyword" or token.text in ("BASE", "PREFIX"):
            continue
        return token.text if token.text in UPDATE_KEYWORDS else None
    return None
