"""A canonical Turtle writer: the same graph always gives the same bytes.

rdflib's and Oxigraph's serialisers decide the order of subjects, predicates and objects
themselves and cannot nest blank nodes the way people write OWL axioms; files written by a
tool would produce noisy git diffs. This writer fixes every choice:

- prefixes: every ``kb.rdf.PREFIXES`` entry, in that order, then any extra prefix
  the caller keeps (sorted by name) that the triples use;
- subjects: in the order the caller gives (``kb.files.layout`` decides: groups, then hierarchy,
  then IRI);
- predicates: ``rdf:type`` (written ``a``) first, then labels, definitions and synonyms in
  a fixed order (:data:`PREDICATE_ORDER`), then every other predicate sorted by its
  written form;
- objects: sorted by their written form; on one line when the statement fits in
  :data:`WIDTH` columns, else one object per line;
- blank nodes: nested as ``[ ... ]`` where used once, well-formed RDF lists as
  ``( ... )``; a blank node that is never an object is written as a ``[] ...`` statement;
  blank nodes used more than once get labels ``_:b1``, ``_:b2``, ... in order of writing;
- literals: typed literals in the lexical form Oxigraph keeps (``canonical_lexical``),
  numbers and booleans in their bare Turtle form when the lexical form allows,
  strings in double quotes with ``\\`` escapes (never triple quotes).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache

import pyoxigraph as ox
from rdflib import RDF, XSD, BNode, Graph, Literal, URIRef

from kb.rdf import IAO_DEFINITION, IAO_DEFINITION_SOURCE, OBOINOWL, PREFIXES, SKOS

WIDTH = 100
INDENT = "    "

RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
DCTERMS_TITLE = URIRef("http://purl.org/dc/terms/title")

# After rdf:type: what a reader wants first, in this order. Everything else is sorted.
PREDICATE_ORDER: tuple[URIRef, ...] = (
    RDFS_LABEL,
    SKOS.prefLabel,
    DCTERMS_TITLE,
    IAO_DEFINITION,
    IAO_DEFINITION_SOURCE,
    SKOS.definition,
    OBOINOWL.hasExactSynonym,
    OBOINOWL.hasNarrowSynonym,
    OBOINOWL.hasBroadSynonym,
    OBOINOWL.hasRelatedSynonym,
    SKOS.altLabel,
)
_RANK = {p: i for i, p in enumerate(PREDICATE_ORDER)}

_PN_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_-])?$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?[0-9]*\.[0-9]+$")
_IRI_ESCAPE = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


_CANONICAL_STORE_ONLY = {"http://www.w3.org/2001/XMLSchema#string"}


@lru_cache(maxsize=65536)
def canonical_lexical(lexical: str, datatype: str) -> str:
    """The lexical form Oxigraph stores a typed literal under ("500.0"^^xsd:decimal is kept
    as "500"), so that a file and the store it was loaded into write the same text."""
    if datatype in _CANONICAL_STORE_ONLY:
        return lexical
    store = ox.Store()
    node = ox.NamedNode("urn:x")
    store.add(ox.Quad(node, node, ox.Literal(lexical, datatype=ox.NamedNode(datatype))))
    return next(iter(store)).object.value


def escape_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class TurtleWriter:
    """Writes the triples of ``graph`` as canonical Turtle (see the module docstring)."""

    def __init__(self, graph: Graph, extra_prefixes: dict[str, str] | None = None):
        self.graph = graph
        self.prefixes: dict[str, str] = dict(PREFIXES)
        for name in sorted(extra_prefixes or {}):
            if name not in self.prefixes and extra_prefixes[name] not in self.prefixes.values():
                self.prefixes[name] = extra_prefixes[name]
        # longest namespace first, so the most specific prefix wins
        self._by_length = sorted(self.prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        self._used: set[str] = set()
        refs: dict[BNode, int] = defaultdict(int)
        for _s, _p, o in graph:
            if isinstance(o, BNode):
                refs[o] += 1
        self._refs = refs
        self._lists = self._find_lists()
        self._labels: dict[BNode, str] = {}
        self._inline = {b for b, n in refs.items() if n == 1 and not self._cyclic(b)}

    # -- terms ---------------------------------------------------------------------------

    def iri(self, iri: URIRef) -> str:
        if iri == RDF.type:
            return "a"
        text = str(iri)
        for name, ns in self._by_length:
            if text.startswith(ns) and _PN_LOCAL.match(text[len(ns) :]):
                self._used.add(name)
                return f"{name}:{text[len(ns) :]}"
        return "<" + _IRI_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04X}", text) + ">"

    def literal(self, lit: Literal) -> str:
        lexical = str(lit)
        if lit.language:
            return f"{escape_string(lexical)}@{lit.language}"
        dt = lit.datatype
        if dt is None or dt == XSD.string:
            return escape_string(lexical)
        lexical = canonical_lexical(lexical, str(dt))
        if dt == XSD.integer and _INTEGER.match(lexical):
            return lexical
        if dt == XSD.decimal and _INTEGER.match(lexical):
            return lexical + ".0"  # bare decimals need a point; it reads back as the same value
        if dt == XSD.decimal and _DECIMAL.match(lexical):
            return lexical
        if dt == XSD.boolean and lexical in ("true", "false"):
            return lexical
        return f"{escape_string(lexical)}^^{self.iri(dt)}"

    def label(self, node: BNode) -> str:
        if node not in self._labels:
            self._labels[node] = f"_:b{len(self._labels) + 1}"
        return self._labels[node]

    # -- blank-node structure --------------------------------------------------------------

    def _find_lists(self) -> dict[BNode, list]:
        """Heads of well-formed lists whose nodes carry only rdf:first/rdf:rest."""
        g = self.graph
        lists: dict[BNode, list] = {}
        for head in {s for s in g.subjects(RDF.first, None) if isinstance(s, BNode)}:
            if (None, RDF.rest, head) in g or self._refs.get(head, 0) != 1:
                continue  # not the head of a list written inline
            items, node, seen, ok = [], head, set(), True
            while node != RDF.nil:
                if not isinstance(node, BNode) or node in seen:
                    ok = False
                    break
                seen.add(node)
                props = list(g.predicate_objects(node))
                firsts = [o for p, o in props if p == RDF.first]
                rests = [o for p, o in props if p == RDF.rest]
                if len(props) != 2 or len(firsts) != 1 or len(rests) != 1:
                    ok = False
                    break
                if node is not head and self._refs_of(node) != 1:
                    ok = False
                    break
                items.append(firsts[0])
                node = rests[0]
            if ok:
                lists[head] = items
        return lists

    def _refs_of(self, node: BNode) -> int:
        return sum(1 for _ in self.graph.subject_predicates(node))

    def _cyclic(self, start: BNode) -> bool:
        stack, seen = [start], set()
        while stack:
            node = stack.pop()
            for o in self.graph.objects(node, None):
                if o == start:
                    return True
                if isinstance(o, BNode) and o not in seen:
                    seen.add(o)
                    stack.append(o)
        return False

    def _list_nodes(self) -> set[BNode]:
        nodes = set()
        for head in self._lists:
            node = head
            while node != RDF.nil:
                nodes.add(node)
                node = self.graph.value(node, RDF.rest)
        return nodes

    # -- rendering -------------------------------------------------------------------------

    def predicate_key(self, p: URIRef) -> tuple:
        if p == RDF.type:
            return (0, 0, "")
        if p in _RANK:
            return (1, _RANK[p], "")
        return (2, 0, self.iri(p))

    def _objects(self, node) -> list[tuple[URIRef, list]]:
        by_pred: dict[URIRef, list] = defaultdict(list)
        for p, o in self.graph.predicate_objects(node):
            by_pred[p].append(o)
        return [(p, by_pred[p]) for p in sorted(by_pred, key=self.predicate_key)]

    def flat(self, term) -> str:
        """A term on one line (nested blank nodes and lists inline)."""
        if isinstance(term, URIRef):
            return self.iri(term)
        if isinstance(term, Literal):
            return self.literal(term)
        if term in self._lists and self._refs.get(term, 0) <= 1:
            items = self._lists[term]
            return "( " + " ".join(self.flat(i) for i in items) + " )" if items else "()"
        if term in self._inline:
            parts = [
                f"{self.iri(p)} {' , '.join(sorted(self.flat(o) for o in objs))}"
                for p, objs in self._objects(term)
            ]
            return "[ " + " ; ".join(parts) + " ]" if parts else "[]"
        return self.label(term)

    def block(self, term, indent: str, used: int) -> str:
        """A term written at ``used`` columns of a line indented by ``indent``: inline if it
        fits, else nested over several lines."""
        flat = self.flat(term)
        if used + len(flat) <= WIDTH or not isinstance(term, BNode):
            return flat
        inner = indent + INDENT
        if term in self._lists and self._refs.get(term, 0) <= 1:
            items = [inner + self.block(i, inner, len(inner)) for i in self._lists[term]]
            return "(\n" + "\n".join(items) + "\n" + indent + ")"
        if term in self._inline:
            body = self.predicate_lines(term, inner)
            return "[\n" + body + "\n" + indent + "]"
        return flat

    def predicate_lines(self, node, indent: str) -> str:
        """The predicate-object list of ``node``, one predicate a line, ``;``-separated."""
        lines = []
        for p, objs in self._objects(node):
            pred = self.iri(p)
            ordered = sorted(objs, key=self.flat)
            flats = [self.flat(o) for o in ordered]
            one_line = f"{indent}{pred} {' , '.join(flats)}"
            if len(one_line) + 2 <= WIDTH or len(ordered) == 1:
                start = len(indent) + len(pred) + 1
                if len(ordered) == 1:
                    lines.append(f"{indent}{pred} {self.block(ordered[0], indent, start)}")
                else:
                    lines.append(one_line)
                continue
            cont = indent + INDENT
            first = self.block(ordered[0], indent, len(indent) + len(pred) + 1)
            rest = [cont + self.block(o, cont, len(cont)) for o in ordered[1:]]
            lines.append(f"{indent}{pred} {first} ,\n" + " ,\n".join(rest))
        return " ;\n".join(lines)

    def statement(self, subject) -> str:
        """One subject's statement block, ending with `` .``."""
        if isinstance(subject, BNode) and subject not in self._labels and self._refs[subject] == 0:
            head = "[]"
        elif isinstance(subject, BNode):
            head = self.label(subject)
        else:
            head = self.iri(subject)
        body = self.predicate_lines(subject, INDENT)
        return f"{head} {body.lstrip()} ."

    def top_level_subjects(self) -> list:
        """Subjects that need their own statement: IRIs and blank nodes not written inline."""
        nested = set(self._inline) | self._list_nodes()
        return [s for s in set(self.graph.subjects()) if not (isinstance(s, BNode) and s in nested)]

    def prefix_block(self) -> str:
        return "".join(f"@prefix {name}: <{ns}> .\n" for name, ns in self.prefixes.items())

    def document(self, header: str, sections: Sequence[tuple[str | None, Iterable]]) -> str:
        """The whole file: header comment, prefixes, then each section (an optional title
        comment and its subjects' statements), statements separated by a blank line."""
        parts = []
        for title, subjects in sections:
            statements = [self.statement(s) for s in subjects]
            if not statements:
                continue
            text = ""
            if title:
                text += f"# --- {title} ---\n\n"
            parts.append(text + "\n\n".join(statements) + "\n")
        head = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
        return head + ("\n" if head else "") + self.prefix_block() + "\n" + "\n".join(parts)


def bnode_sort_key(writer: TurtleWriter, node: BNode) -> str:
    """A label-free sort key for a top-level blank node: its content on one line."""
    parts = [
        f"{writer.iri(p)} {' , '.join(sorted(writer.flat(o) for o in objs))}"
        for p, objs in writer._objects(node)
    ]
    return " ; ".join(parts)


__all__ = ["PREDICATE_ORDER", "WIDTH", "TurtleWriter", "bnode_sort_key", "escape_string"]
