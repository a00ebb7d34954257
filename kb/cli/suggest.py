"""``hairkg suggest``: the tags the suggester proposes for an article file, or its evaluation on a
corpus."""

from __future__ import annotations

from kb.read.entities import (
    EntityGraph,
)
from kb.suggest.engine import Suggester
from kb.suggest.evaluate import local_triples
from kb.suggest.html import from_html, looks_like_html
from kb.suggest.text import (
    from_text,
)


def add_suggest_command(subparsers) -> None:
    import argparse
    from pathlib import Path

    p = subparsers.add_parser(
        "suggest",
        help="propose the concepts an article is about or mentions",
        description=(
            "Read an article (plain text, Markdown or HTML, by extension or content) and print "
            "the concepts of the knowledge base it names, each with its proposed role (about "
            "or mentions), score, explanation and matched spans. Concepts come from the source "
            "files (or --root); see docs/suggest.md for the method."
        ),
        epilog="exit codes:\n  0  success\n  2  usage error: missing or unreadable FILE",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", metavar="FILE", help="the article ('-': stdin)")
    p.add_argument("--title", help="the title, when FILE does not start with it")
    p.add_argument("--format", choices=("text", "json"), default="text", help="default: text")
    p.add_argument("--html", action="store_true", help="read FILE as HTML whatever its name")
    p.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="read DIR/ontology/hairkg.ttl and DIR/kb/data/*.ttl instead of the installed ones",
    )
    p.set_defaults(handler=cmd_suggest)


def cmd_suggest(args) -> int:
    import json
    import sys
    from pathlib import Path

    def fail(message: str) -> int:
        print(f"hairkg: {message}", file=sys.stderr)
        return 2

    if args.file == "-":
        content = sys.stdin.read()
        name = "stdin"
    else:
        path = Path(args.file)
        if not path.exists():
            return fail(f"{args.file}: no such file")
        if path.is_dir():
            return fail(f"{args.file}: is a directory, not an article")
        try:
            data = path.read_bytes()
        except OSError as error:
            return fail(f"{args.file}: cannot read: {error.strerror}")
        try:
            content = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return fail(f"{args.file}: not UTF-8 text (is it a binary file?)")
        if "\x00" in content:
            return fail(f"{args.file}: contains NUL bytes (is it a binary file?)")
        name = args.file
    if args.root is not None and not Path(args.root).is_dir():
        return fail(f"--root {args.root}: not a directory")
    is_html = args.html or (
        name.lower().endswith((".html", ".htm", ".xhtml"))
        or (not name.lower().endswith((".md", ".markdown", ".txt")) and looks_like_html(content))
    )
    document = from_html(content, args.title) if is_html else from_text(content, args.title)
    suggester = Suggester.from_graph(EntityGraph(local_triples(args.root)))
    result = suggester.suggest(document)
    if args.format == "json":
        print(json.dumps({"file": name, **result.as_json(include_document=False)}, indent=2))
        return 0
    print(f"{name}: {result.words} words, title: {document.title or '(none)'}")
    for s in result.suggestions:
        c = s.concept
        spans = ", ".join(f"{o.surface!r}@{o.start}" for o in s.occurrences[:4])
        more = f" +{len(s.occurrences) - 4}" if len(s.occurrences) > 4 else ""
        print(f"{s.role:8} {s.score:5.2f}  {c.id}  ({c.label}; {c.type})")
        print(f"         {s.summary}; {'; '.join(s.reasons)}")
        print(f"         spans: {spans}{more}")
    for u in result.unresolved:
        print(
            f"not suggested: {u['surface']!r}@{u['offset']} "
            f"as {u['candidate']['id']}: {u['reason']}"
        )
    return 0
