"""The ``hairkg`` knowledge-base commands: validate, build, query, export.

Thin: parse arguments, call :mod:`kb.validation.validate`, :mod:`kb.validation.release` and
:mod:`kb.files.localgraph`,
print. ``add_kb_commands(subparsers)`` registers the commands on any argparse
sub-parser set (``api.cli`` adds ``serve`` next to them); each sets ``handler``, a
function of the parsed arguments returning the exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from kb.cli.common import CommandError, fail, guard

EXIT_CODES = """\
exit codes:
  0  success (warnings do not fail)
  1  validation found errors, or a source file does not parse
  2  usage error: bad arguments, unreadable file, SPARQL syntax error"""

_QUERY_FORMATS = ("table", "json", "csv", "tsv", "xml", "ttl", "nt")
_EXPORT_FORMATS = ("nt", "ttl", "nq", "jsonld", "trig")


def _progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    if getattr(args, "quiet", False):
        return None

    def say(message: str) -> None:
        print(f"hairkg: {message}", file=sys.stderr, flush=True)

    return say


def _sources(args: argparse.Namespace):
    from kb.files.sources import source_files

    root = getattr(args, "root", None)
    if root is not None and not Path(root).is_dir():
        raise CommandError(f"--root {root}: not a directory")
    return source_files(root) if root is not None else None


# --- validate ---------------------------------------------------------------------------


@guard
def cmd_validate(args: argparse.Namespace) -> int:
    from kb.validation.validate import validate

    for p in args.paths:
        if not Path(p).exists():
            raise CommandError(f"{p}: no such file or directory")
    sources = [Path(p) for p in args.paths] if args.paths else _sources(args)
    report = validate(sources, reason=not args.no_reason, progress=_progress(args))
    if args.format == "json":
        sys.stdout.write(report.to_json() + "\n")
    else:
        sys.stdout.write(report.to_text())
    return 0 if report.ok else 1


# --- build ------------------------------------------------------------------------------


@guard
def cmd_build(args: argparse.Namespace) -> int:
    from kb.validation.release import BuildError, build_release
    from kb.validation.validate import format_finding

    try:
        summary = build_release(args.out, sources=_sources(args), progress=_progress(args))
    except BuildError as e:
        for f in e.report.errors:
            print(format_finding(f), file=sys.stderr)
        return fail(f"{e}; run `hairkg validate` for the full report", 1)
    if args.format == "json":
        sys.stdout.write(summary.to_json())
    else:
        sys.stdout.write(summary.to_text())
        print(f"release written to {args.out}/release.nq", file=sys.stderr)
    return 0


def serialize_turtle(triples: list) -> bytes:
    """Turtle with only the hairkg prefixes the triples use, header sorted: stable bytes."""
    import pyoxigraph as ox

    from kb.rdf import PREFIXES

    iris = set()
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    used = {n: ns for n, ns in PREFIXES.items() if any(i.startswith(ns) for i in iris)}
    text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=used).decode("utf-8")
    lines = text.splitlines(keepends=True)
    n = 0
    while n < len(lines) and lines[n].startswith("@prefix"):
        n += 1
    return ("".join(sorted(lines[:n])) + ("\n" if n else "") + "".join(lines[n:])).encode()


# --- query ------------------------------------------------------------------------------


def _cell(term: object) -> str:
    import pyoxigraph as ox
    from rdflib import URIRef

    from kb.validation.findings import short

    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return short(URIRef(term.value))
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        return " ".join(term.value.split("\n"))
    return str(term)


def format_table(variables: list[str], rows: list[list[str]]) -> str:
    """Aligned columns with a header rule, for people."""
    widths = [len(v) for v in variables]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(variables, widths, strict=True)).rstrip(),
        "  ".join("-" * w for w in widths),
    ]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.append(f"({len(rows)} row{'s' * (len(rows) != 1)})")
    return "\n".join(lines) + "\n"


def tidy_sparql_error(message: str) -> str:
    """Oxigraph lists character classes in "expected one of ..."; keep the readable part."""
    import re

    message = " ".join(message.split())
    head, sep, rest = message.partition("expected one of ")
    if not sep:
        return message
    tokens = re.findall(r'"[^"]*"|\b[A-Z][A-Z_]+\b', re.sub(r"\[[^\]]*\]", "", rest))
    classes = "[" in rest
    listed = ", ".join(tokens)
    if classes:
        listed = f"{listed} or a name" if listed else "a name"
    return f"{head}expected one of {listed}" if listed else message


def _undeclared_prefix(text: str, line: int, column: int) -> str | None:
    import re

    from kb.rdf import PREFIXES

    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return None
    m = re.search(r"([A-Za-z][\w.-]*)?:[\w.-]*$", lines[line - 1][: column - 1])
    if not m:
        return None
    known = ", ".join(f"{p}:" for p in PREFIXES)
    return f"undeclared prefix '{m.group(1) or ''}:' (declared for you: {known})"


def _read_query(args: argparse.Namespace) -> tuple[str, str]:
    if args.file and args.query:
        raise CommandError("give the query either as an argument or with -f, not both")
    if args.file:
        if args.file == "-":
            return sys.stdin.read(), "query"
        try:
            return Path(args.file).read_text(encoding="utf-8"), args.file
        except OSError as e:
            raise CommandError(f"{args.file}: {e.strerror or e}") from e
    if args.query is None:
        raise CommandError("no query: give one as an argument or with -f FILE (see --help)")
    return args.query, "query"


@guard
def cmd_query(args: argparse.Namespace) -> int:
    import re

    import pyoxigraph as ox

    from kb.files.localgraph import local_store, run_query
    from kb.rdf import PREFIXES

    text, origin = _read_query(args)
    from kb.store.guard import shape_violation

    violation = shape_violation(text)
    if violation:  # the engine's parser would overflow the stack and abort this process
        print(f"{origin}: {violation}", file=sys.stderr)
        return 2
    # parse first (on an empty store), so a typo does not wait for the reasoner
    try:
        run_query(ox.Store(), text)
    except SyntaxError as e:
        message = str(e)
        m = re.match(r"error at (\d+):(\d+): ?(.*)", message, re.S)
        if m:
            detail = tidy_sparql_error(m.group(3))
            if "Prefix not found" in m.group(3):
                detail = _undeclared_prefix(text, int(m.group(1)), int(m.group(2))) or detail
            print(f"{origin}:{m.group(1)}:{m.group(2)}: {detail}", file=sys.stderr)
        else:
            print(f"{origin}: {message}", file=sys.stderr)
        return 2
    store = local_store(not args.no_inferred, _sources(args), progress=_progress(args))
    result = run_query(store, text)
    out = sys.stdout.buffer
    fmt = args.format
    if isinstance(result, ox.QueryTriples):
        triples = sorted(result, key=str)
        rdf = {"table": "ttl", "ttl": "ttl", "nt": "nt", "json": "jsonld", "xml": "rdfxml"}
        if fmt not in rdf:
            raise CommandError(f"--format {fmt} is for SELECT/ASK; use ttl, nt or json here")
        formats = {
            "ttl": ox.RdfFormat.TURTLE,
            "nt": ox.RdfFormat.N_TRIPLES,
            "jsonld": ox.RdfFormat.JSON_LD,
            "rdfxml": ox.RdfFormat.RDF_XML,
        }
        if rdf[fmt] == "ttl":
            out.write(serialize_turtle(triples))
        else:
            prefixes = dict(PREFIXES) if rdf[fmt] == "rdfxml" else None
            out.write(ox.serialize(triples, format=formats[rdf[fmt]], prefixes=prefixes))
        return 0
    if fmt in ("ttl", "nt"):
        raise CommandError(f"--format {fmt} is for CONSTRUCT/DESCRIBE; use table, json, csv or tsv")
    if fmt == "table":
        if isinstance(result, ox.QueryBoolean):
            out.write(b"true\n" if bool(result) else b"false\n")
            return 0
        variables = [v.value for v in result.variables]
        rows = [[_cell(sol[v]) for v in variables] for sol in result]
        out.write(format_table(variables, rows).encode("utf-8"))
        return 0
    formats = {
        "json": ox.QueryResultsFormat.JSON,
        "csv": ox.QueryResultsFormat.CSV,
        "tsv": ox.QueryResultsFormat.TSV,
        "xml": ox.QueryResultsFormat.XML,
    }
    data = result.serialize(format=formats[fmt])
    out.write(data)
    if data and not data.endswith(b"\n"):
        out.write(b"\n")
    return 0


# --- export -----------------------------------------------------------------------------


@guard
def cmd_export(args: argparse.Namespace) -> int:
    if getattr(args, "to_files", False):
        from kb.cli.files import cmd_export_to_files

        return cmd_export_to_files(args)
    import pyoxigraph as ox

    from kb.rdf import PREFIXES
    from kb.validation.release import release_quads, serialize_nquads

    quads = release_quads(not args.no_inferred, _sources(args), progress=_progress(args))
    out = sys.stdout.buffer
    if args.format == "nq":
        out.write(serialize_nquads(quads))
    elif args.format == "trig":
        out.write(ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=dict(PREFIXES)))
    elif args.format == "jsonld":
        out.write(ox.serialize(quads, format=ox.RdfFormat.JSON_LD))
        out.write(b"\n")
    else:
        triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=str)
        if args.format == "nt":
            out.write(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))
        else:
            out.write(serialize_turtle(triples))
    return 0


# --- parser -----------------------------------------------------------------------------


def _add_common(parser: argparse.ArgumentParser, *, root: bool = True) -> None:
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress messages on stderr")
    if root:
        parser.add_argument(
            "--root",
            type=Path,
            metavar="DIR",
            help="read DIR/ontology/hairkg.ttl and DIR/kb/data/*.ttl instead of the "
            "installed ontology and data",
        )


def add_kb_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register validate, build, query and export on ``subparsers``."""
    fmt = argparse.RawDescriptionHelpFormatter

    p = subparsers.add_parser(
        "validate",
        help="check syntax, SHACL shapes, OWL consistency and term quality",
        description=(
            "Validate the ontology and knowledge base in four layers: Turtle syntax "
            "(file:line:column), SHACL shapes (pySHACL, ontology/shapes.ttl), a quality "
            "report in the spirit of ROBOT report (labels, definitions, dangling and "
            "deprecated references, claim provenance, xrefs) and OWL consistency and "
            "classification with HermiT. Findings are printed as "
            "'path:line: severity rule: message [node]'. Warnings do not fail."
        ),
        epilog=EXIT_CODES
        + "\n\nPATHS may be Turtle files or folders (a checkout-like tree with ontology/ and\n"
        "kb/data/, or a folder of data files). Without an ontology file among them, the\n"
        "installed ontology is added. Without PATHS, the installed ontology and data.",
        formatter_class=fmt,
    )
    p.add_argument("paths", nargs="*", metavar="PATHS", help="files or folders to validate")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument(
        "--no-reason", action="store_true", help="skip the OWL reasoner (HermiT, a few seconds)"
    )
    _add_common(p)
    p.set_defaults(handler=cmd_validate)

    p = subparsers.add_parser(
        "build",
        help="write the release graph (asserted + inferred) and its summary",
        description=(
            "Validate (with reasoning) and, if there are no errors, write OUT/release.nq "
            "(N-Quads: the ontology, knowledge-base and inferred named graphs, sorted) and "
            "OUT/summary.json (triples per graph, entities per class)."
        ),
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    p.add_argument("--out", type=Path, default=Path("var/build"), help="default: var/build")
    p.add_argument("--format", choices=("text", "json"), default="text", help="summary format")
    _add_common(p)
    p.set_defaults(handler=cmd_build)

    p = subparsers.add_parser(
        "query",
        help="run a SPARQL query on the local graph",
        description=(
            "Run a SPARQL 1.1 query on the local graph (ontology, knowledge base and, "
            "unless --no-inferred, the reasoner's inferences), with all named graphs as "
            "the default graph. The prefixes hk:, kb:, rdfs:, skos:, schema:, obo:, ... "
            "are declared for you."
        ),
        epilog=EXIT_CODES
        + "\n\nformats: table (people), json/csv/tsv/xml (SELECT, ASK), ttl/nt/json\n"
        "(CONSTRUCT, DESCRIBE; json is JSON-LD).\n\nexample:\n"
        "  hairkg query 'SELECT ?t ?label WHERE { ?t hk:treats ?c ; rdfs:label ?label }'",
        formatter_class=fmt,
    )
    p.add_argument("query", nargs="?", help="the SPARQL query text")
    p.add_argument("-f", "--file", metavar="FILE", help="read the query from FILE ('-': stdin)")
    p.add_argument("--format", choices=_QUERY_FORMATS, default="table", help="default: table")
    p.add_argument("--no-inferred", action="store_true", help="asserted triples only")
    _add_common(p)
    p.set_defaults(handler=cmd_query)

    p = subparsers.add_parser(
        "export",
        help="write the whole graph to stdout",
        description=(
            "Write the whole current graph (ontology, knowledge base and, unless "
            "--no-inferred, inferences) to stdout. nt and ttl merge the named graphs; nq, "
            "trig and jsonld keep them. The output is sorted and stable."
        ),
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    p.add_argument("--format", choices=_EXPORT_FORMATS, default="ttl", help="default: ttl")
    p.add_argument("--no-inferred", action="store_true", help="asserted triples only")
    _add_common(p)
    from kb.cli.files import add_editing_commands, add_export_arguments

    add_export_arguments(p)
    p.set_defaults(handler=cmd_export)
    add_editing_commands(subparsers)
    from kb.cli.suggest import add_suggest_command

    add_suggest_command(subparsers)


def build_parser(*, serve: Callable | None = None) -> argparse.ArgumentParser:
    """The one ``hairkg`` parser: the knowledge-base commands, then the service's (``serve``,
    ``mcp``) when ``api.cli`` registers them, then history and revert."""
    from importlib.metadata import PackageNotFoundError, version

    from kb.cli.history import add_history_commands
    from kb.cli.releases import add_release_command

    try:
        ver = version("hairkg")
    except PackageNotFoundError:
        ver = "unknown"
    parser = argparse.ArgumentParser(
        prog="hairkg",
        description="hairkg: a knowledge graph about hair loss and its treatments.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hairkg {ver}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    add_kb_commands(subparsers)
    if serve is not None:
        serve(subparsers)
    add_history_commands(subparsers)
    add_release_command(subparsers)
    return parser


def main(argv: list[str] | None = None, *, serve: Callable | None = None) -> int:
    """Parse ``argv`` and run the chosen command's handler; its result is the exit code."""
    parser = build_parser(serve=serve)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
