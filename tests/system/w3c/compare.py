"""Comparing SPARQL results the way the W3C suites require.

Results become lists of rows of plain tuples (no library normalises a literal's lexical form
behind our back): ``("iri", value)``, ``("bnode", label)``, ``("literal", lexical, datatype,
language)``. Two result sets are equal when a one-to-one renaming of blank nodes makes them the
same multiset of rows, in the same order when the query has ORDER BY. Graphs are compared the
same way, as sets of (s, p, o) rows, which is RDF graph isomorphism.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RS = "http://www.w3.org/2001/sw/DataAccess/tests/result-set#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

UNBOUND = ("unbound",)


def term(value) -> tuple:
    if value is None:
        return UNBOUND
    if isinstance(value, ox.NamedNode):
        return ("iri", value.value)
    if isinstance(value, ox.BlankNode):
        return ("bnode", value.value)
    if isinstance(value, ox.Literal):
        if value.language:
            return ("literal", value.value, RDF_LANGSTRING, value.language.lower())
        return ("literal", value.value, value.datatype.value, None)
    if isinstance(value, ox.Triple):  # RDF-star terms: compared structurally
        return ("triple", term(value.subject), term(value.predicate), term(value.object))
    raise TypeError(f"unexpected term {value!r}")


class Solutions:
    """A parsed SELECT result (variables + rows) or an ASK result (boolean)."""

    def __init__(self, variables=None, rows=None, boolean=None):
        self.variables = sorted(variables or [])
        self.rows = rows or []  # list of tuples aligned with self.variables
        self.boolean = boolean

    def __repr__(self):
        if self.boolean is not None:
            return f"ASK {self.boolean}"
        lines = [" | ".join(self.variables)]
        lines += [" | ".join(_show(t) for t in row) for row in self.rows[:40]]
        if len(self.rows) > 40:
            lines.append(f"... {len(self.rows)} rows")
        return "\n".join(lines)


def _show(t: tuple) -> str:
    if t == UNBOUND:
        return "-"
    if t[0] == "iri":
        return f"<{t[1]}>"
    if t[0] == "bnode":
        return f"_:{t[1]}"
    if t[0] == "literal":
        suffix = f"@{t[3]}" if t[3] else ("" if t[2] == XSD_STRING else f"^^<{t[2]}>")
        return f'"{t[1]}"{suffix}'
    return str(t)


def _from_oxigraph(results) -> Solutions:
    if isinstance(results, ox.QueryBoolean):
        return Solutions(boolean=bool(results))
    variables = [v.value for v in results.variables]
    order = sorted(variables)
    rows = [tuple(term(solution[v]) for v in order) for solution in results]
    return Solutions(variables, rows)


RESULT_FORMATS = {
    ".srx": ox.QueryResultsFormat.XML,
    ".srj": ox.QueryResultsFormat.JSON,
    ".tsv": ox.QueryResultsFormat.TSV,
}


def parse_solutions(data: bytes, suffix: str) -> Solutions:
    if suffix == ".csv":
        return parse_csv(data)
    return _from_oxigraph(ox.parse_query_results(data, RESULT_FORMATS[suffix]))


def parse_csv(data: bytes) -> Solutions:
    """CSV results keep only strings: every value is compared as its CSV text, blank nodes
    (``_:x``) excepted."""
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    lines = list(reader)
    header = lines[0] if lines else []
    order = sorted(range(len(header)), key=lambda i: header[i])
    rows = []
    for line in lines[1:]:
        cells = []
        for i in order:
            cell = line[i] if i < len(line) else ""
            if cell == "":
                cells.append(UNBOUND)
            elif cell.startswith("_:"):
                cells.append(("bnode", cell[2:]))
            else:
                cells.append(("text", cell))
        rows.append(tuple(cells))
    return Solutions(header, rows)


def parse_result_set_graph(path: Path) -> Solutions:
    """The DAWG result-set vocabulary (``rs:ResultSet``) in Turtle or RDF/XML."""
    fmt = ox.RdfFormat.TURTLE if path.suffix == ".ttl" else ox.RdfFormat.RDF_XML
    triples = list(ox.parse(path=str(path), format=fmt, base_iri=path.resolve().as_uri()))
    by_subject: dict = {}
    for t in triples:
        by_subject.setdefault(t.subject, []).append(t)

    def values(subject, predicate):
        return [t.object for t in by_subject.get(subject, []) if t.predicate.value == predicate]

    result_set = next(
        t.subject
        for t in triples
        if t.predicate.value == RDF_TYPE and t.object.value == RS + "ResultSet"
    )
    booleans = values(result_set, RS + "boolean")
    if booleans:
        return Solutions(boolean=booleans[0].value == "true")
    variables = [v.value for v in values(result_set, RS + "resultVariable")]
    order = sorted(variables)
    solutions = []
    for solution in values(result_set, RS + "solution"):
        bound = {}
        for binding in values(solution, RS + "binding"):
            variable = values(binding, RS + "variable")[0].value
            bound[variable] = term(values(binding, RS + "value")[0])
        index = values(solution, RS + "index")
        solutions.append((int(index[0].value) if index else 0, bound))
    solutions.sort(key=lambda item: item[0])
    rows = [tuple(bound.get(v, UNBOUND) for v in order) for _, bound in solutions]
    return Solutions(variables, rows)


def is_result_set_graph(path: Path) -> bool:
    return path.suffix in (".ttl", ".rdf") and RS.encode() in path.read_bytes()


def graph_rows(data: bytes, fmt: ox.RdfFormat, base_iri: str | None = None) -> list[tuple]:
    """A graph as a duplicate-free list of (s, p, o) rows."""
    triples = ox.parse(data, fmt, base_iri=base_iri)
    return sorted({(term(t.subject), term(t.predicate), term(t.object)) for t in triples})


# -- matching with blank-node renaming ---------------------------------------------------


def _skeleton(row: tuple) -> tuple:
    return tuple(("bnode",) if t[0] == "bnode" else _skeleton_nested(t) for t in row)


def _skeleton_nested(t: tuple) -> tuple:
    if t[0] == "triple":
        return ("triple", *_skeleton(t[1:]))
    return t


def _bnodes(t: tuple):
    if t[0] == "bnode":
        yield t[1]
    elif t[0] == "triple":
        for inner in t[1:]:
            yield from _bnodes(inner)


def _extend(mapping: dict, reverse: dict, expected: tuple, actual: tuple) -> list | None:
    """Extends the bijection so that ``expected`` maps onto ``actual``; returns the new pairs
    (to undo) or None when impossible."""
    added = []
    for e, a in zip(expected, actual, strict=True):
        pairs = list(zip(_bnodes(e), _bnodes(a), strict=False))
        if len(list(_bnodes(e))) != len(list(_bnodes(a))):
            _undo(mapping, reverse, added)
            return None
        for eb, ab in pairs:
            if eb in mapping:
                if mapping[eb] != ab:
                    _undo(mapping, reverse, added)
                    return None
            elif ab in reverse:
                _undo(mapping, reverse, added)
                return None
            else:
                mapping[eb], reverse[ab] = ab, eb
                added.append(eb)
        if _skeleton((e,)) != _skeleton((a,)):
            _undo(mapping, reverse, added)
            return None
    return added


def _undo(mapping: dict, reverse: dict, added: list) -> None:
    for eb in added:
        reverse.pop(mapping.pop(eb), None)


def rows_match(expected: list[tuple], actual: list[tuple], *, ordered: bool) -> bool:
    if len(expected) != len(actual):
        return False
    if Counter(map(_skeleton, expected)) != Counter(map(_skeleton, actual)):
        return False
    if not any(t[0] in ("bnode", "triple") for row in expected for t in row):
        return expected == actual if ordered else True  # skeletons already equal
    mapping: dict = {}
    reverse: dict = {}
    if ordered:
        for e, a in zip(expected, actual, strict=True):
            if _extend(mapping, reverse, e, a) is None:
                return False
        return True
    # Rows without blank nodes are already known to match; search over the others.
    pending = sorted(
        (row for row in expected if any(_has_bnode(t) for t in row)),
        key=lambda row: -sum(1 for t in row if _has_bnode(t)),
    )
    candidates: dict = {}
    for index, row in enumerate(actual):
        candidates.setdefault(_skeleton(row), []).append(index)
    used: set[int] = set()

    def search(i: int) -> bool:
        if i == len(pending):
            return True
        row = pending[i]
        for index in candidates.get(_skeleton(row), []):
            if index in used:
                continue
            added = _extend(mapping, reverse, row, actual[index])
            if added is None:
                continue
            used.add(index)
            if search(i + 1):
                return True
            used.discard(index)
            _undo(mapping, reverse, added)
        return False

    return search(0)


def _has_bnode(t: tuple) -> bool:
    return next(_bnodes(t), None) is not None


def solutions_match(expected: Solutions, actual: Solutions, *, ordered: bool) -> str | None:
    """None when equal, else a short reason."""
    if expected.boolean is not None or actual.boolean is not None:
        if expected.boolean != actual.boolean:
            return f"expected {expected!r}, got {actual!r}"
        return None
    if set(expected.variables) != set(actual.variables):
        # Compare on the expected variables when the answer has extra unbound ones.
        return f"variables differ: expected {expected.variables}, got {actual.variables}"
    if not rows_match(expected.rows, actual.rows, ordered=ordered):
        return f"results differ:\nexpected:\n{expected!r}\ngot:\n{actual!r}"
    return None
