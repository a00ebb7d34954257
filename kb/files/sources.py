"""Where the asserted graph comes from, and how its Turtle files are read.

The ontology (``ontology/hairkg.ttl``) goes into ``ONTOLOGY_GRAPH`` and every
``kb/data/*.ttl`` (sorted by name) into ``KB_GRAPH``. Files are found through the
``ontology`` and ``kb`` packages, so this works in a checkout and after ``pip install .``.

Files are parsed with Oxigraph's Turtle parser, which is strict and reports the exact
line and column of a syntax error; the triples are then handed over as rdflib terms.
Blank nodes are relabelled in document order (``<file stem>_b<n>``), so loading the same
files always gives the same graph, and serialisations of it are byte-for-byte stable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, URIRef

import ontology
from kb.rdf import KB_GRAPH, ONTOLOGY_GRAPH, to_rdflib

KB_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = KB_DIR / "data"


@dataclass(frozen=True)
class SourceFile:
    """One Turtle file and the named graph (IRI string) its triples belong to."""

    path: Path
    graph: str


class KBSyntaxError(Exception):
    """A file that cannot be parsed, with the position of the problem (1-based)."""

    def __init__(self, path: Path | str, line: int | None, column: int | None, message: str):
        super().__init__(message)
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message

    def __str__(self) -> str:
        where = display_path(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


def display_path(path: Path | str) -> str:
    """A path as people want to read it: relative to the working directory when inside it,
    else relative to the installed tree (``kb/data/x.ttl``), else absolute."""
    p = Path(path)
    try:
        resolved = p.resolve()
    except OSError:
        return str(p)
    for base in (Path.cwd(), KB_DIR.parent):
        try:
            return resolved.relative_to(base.resolve()).as_posix()
        except ValueError:
            continue
    return str(p)


def source_files(root: Path | None = None) -> list[SourceFile]:
    """The files of the asserted graph, in load order.

    ``root`` points at a tree laid out like the checkout (``root/ontology/hairkg.ttl``,
    ``root/kb/data/*.ttl``); by default the installed packages are used. A missing
    ontology file is left out (the list is then only the data files).
    """
    if root is None:
        onto_file = ontology.ONTOLOGY_FILE
        data_dir = DATA_DIR
    else:
        root = Path(root)
        onto_file = root / "ontology" / "hairkg.ttl"
        data_dir = root / "kb" / "data"
    files: list[SourceFile] = []
    if onto_file.is_file():
        files.append(SourceFile(onto_file, str(ONTOLOGY_GRAPH)))
    if data_dir.is_dir():
        files.extend(SourceFile(p, str(KB_GRAPH)) for p in sorted(data_dir.glob("*.ttl")))
    return files


def shapes_file(root: Path | None = None) -> Path:
    """``ontology/shapes.ttl`` of the installed package, or of ``root``."""
    if root is None:
        return ontology.SHAPES_FILE
    return Path(root) / "ontology" / "shapes.ttl"


def as_source(path: Path | str) -> SourceFile:
    """A source for a file named by a person: ontology files (``hairkg.ttl`` or any file in
    a folder called ``ontology``) go into the ontology graph, everything else into the KB."""
    p = Path(path)
    if p.name == "hairkg.ttl" or p.parent.name == "ontology":
        return SourceFile(p, str(ONTOLOGY_GRAPH))
    return SourceFile(p, str(KB_GRAPH))


# --- parsing -------------------------------------------------------------------------

_PREFIX_RE = re.compile(r"^Parser error (?:at|between) line[^:]*: ")
_LINE_RE = re.compile(r"line (\d+)(?:,? column (\d+))?")


def _syntax_error(path: Path, err: SyntaxError) -> KBSyntaxError:
    text = str(err.msg if getattr(err, "msg", None) else err)
    line, column = err.lineno, err.offset
    if line is None:
        m = _LINE_RE.search(text)
        if m:
            line = int(m.group(1))
            column = int(m.group(2)) if m.group(2) else None
    text = _PREFIX_RE.sub("", text, count=1) or text
    return KBSyntaxError(path, line, column, text.strip())


def _bnode_prefix(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", path.stem) + "_"


@dataclass
class ParsedFile:
    """A parsed file: its triples, its prefixes, and where each subject is first described."""

    path: Path
    graph: Graph
    prefixes: dict[str, str]
    subject_lines: dict[str, int] = field(default_factory=dict)


def parse_source(path: Path | str) -> ParsedFile:
    """Parse one Turtle file; raise KBSyntaxError with the file, line and column."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise KBSyntaxError(path, None, None, f"cannot read file: {e.strerror or e}") from e
    graph = Graph()
    bnodes: dict[str, BNode] = {}
    prefix = _bnode_prefix(path)
    try:
        parser = ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
        for q in parser:
            graph.add(
                (
                    to_rdflib(q.subject, bnodes, prefix),
                    to_rdflib(q.predicate, bnodes, prefix),
                    to_rdflib(q.object, bnodes, prefix),
                )
            )
        prefixes = dict(parser.prefixes)
    except SyntaxError as e:
        raise _syntax_error(path, e) from None
    for name, iri in sorted(prefixes.items()):
        graph.bind(name, iri, override=True)
    text = data.decode("utf-8", errors="replace")
    return ParsedFile(path, graph, prefixes, _index_subjects(text, prefixes, graph))


def parse_file(path: Path | str) -> Graph:
    """Parse one Turtle file into an rdflib Graph; raise KBSyntaxError on a syntax error."""
    return parse_source(path).graph


_TERM_RE = re.compile(r"^(<[^>\s]*>|[A-Za-z][\w.-]*?:[^\s;,()\[\]]*|:[^\s;,()\[\]]*)")


def _index_subjects(text: str, prefixes: dict[str, str], graph: Graph) -> dict[str, int]:
    """Line (1-based) where each named subject starts a statement block.

    Turtle files are written one block per subject, starting in column 1; that is what we
    look for, skipping directives, comments and the inside of long (triple-quoted) strings.
    """
    subjects = {str(s) for s in graph.subjects() if isinstance(s, URIRef)}
    lines: dict[str, int] = {}
    in_long = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw
        if in_long is None and line and not line[0].isspace():
            m = _TERM_RE.match(line)
            if m and not line.startswith(("@prefix", "@base")):
                token = m.group(1)
                iri = _expand(token, prefixes)
                if iri and iri in subjects and iri not in lines:
                    lines[iri] = lineno
        for quote in ('"""', "'''"):
            count = line.count(quote)
            if in_long is None and count % 2 == 1:
                in_long = quote
                break
            if in_long == quote and count % 2 == 1:
                in_long = None
                break
    return lines


def _expand(token: str, prefixes: dict[str, str]) -> str | None:
    if token.startswith("<"):
        return token[1:-1]
    name, _, local = token.partition(":")
    if token.upper().startswith(("PREFIX", "BASE")) and not local:
        return None
    base = prefixes.get(name)
    if base is None:
        return None
    return base + local.replace("\\", "").rstrip(".")


# --- loading -------------------------------------------------------------------------


@dataclass
class LoadedSources:
    """The asserted dataset, where each subject is defined, and the files that failed."""

    dataset: Dataset
    locations: dict[str, tuple[str, int]]
    errors: list[KBSyntaxError]
    files: list[SourceFile]

    def triples(self) -> int:
        return sum(len(self.dataset.graph(URIRef(g))) for g in graph_iris(self.files))


def graph_iris(files: Iterable[SourceFile]) -> list[str]:
    seen: list[str] = []
    for f in files:
        if f.graph not in seen:
            seen.append(f.graph)
    return seen


def load_sources(files: Iterable[SourceFile] | None = None) -> LoadedSources:
    """Parse every file, collecting syntax errors instead of stopping at the first."""
    files = list(source_files() if files is None else files)
    ds = new_dataset()
    locations: dict[str, tuple[str, int]] = {}
    errors: list[KBSyntaxError] = []
    for sf in files:
        try:
            parsed = parse_source(sf.path)
        except KBSyntaxError as e:
            errors.append(e)
            continue
        target = ds.graph(URIRef(sf.graph))
        for t in parsed.graph:
            target.add(t)
        shown = display_path(sf.path)
        for iri, line in parsed.subject_lines.items():
            locations.setdefault(iri, (shown, line))
    return LoadedSources(ds, locations, errors, files)


def new_dataset() -> Dataset:
    """An empty rdflib Dataset with the hairkg prefixes bound."""
    from kb.rdf import PREFIXES

    ds = Dataset()
    for name, iri in PREFIXES.items():
        ds.bind(name, iri, override=True)
    return ds


def load_asserted(root: Path | None = None) -> Dataset:
    """The asserted graph: one named graph per graph IRI. Raises the first KBSyntaxError."""
    loaded = load_sources(source_files(root))
    if loaded.errors:
        raise loaded.errors[0]
    return loaded.dataset


def union_graph(ds: Dataset | Graph) -> Graph:
    """All triples of a dataset (every named graph and the default graph) in one Graph."""
    if not isinstance(ds, Dataset):
        return ds
    g = Graph()
    for prefix, ns in ds.namespaces():
        g.bind(prefix, ns, override=True)
    for s, p, o, _c in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g


__all__ = [
    "DATA_DIR",
    "KBSyntaxError",
    "LoadedSources",
    "ParsedFile",
    "SourceFile",
    "as_source",
    "display_path",
    "load_asserted",
    "load_sources",
    "parse_file",
    "parse_source",
    "shapes_file",
    "source_files",
    "union_graph",
]
