"""The file-workflow commands: ``export --to-files``, ``load``, ``template`` and ``diff``.

Registered by :func:`kb.cli.main.add_kb_commands`; each handler returns the exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from kb.cli.common import CommandError, data_dir_of, guard, open_store, say
from kb.files.sources import KB_DIR

CHECKOUT = KB_DIR.parent


# --- export --to-files --------------------------------------------------------------------


@guard
def cmd_export_to_files(args: argparse.Namespace) -> int:
    from kb.files.writing import write_files
    from kb.writes.files import asserted_graphs

    root = Path(args.root) if args.root else CHECKOUT
    with open_store(args) as store:
        onto, kb = asserted_graphs(store)
    if not len(onto) and not len(kb):
        raise CommandError("the store holds no asserted triples; nothing written", 1)
    result = write_files(onto, kb, root)
    for rel in result.written:
        print(f"wrote {rel}")
    for rel in result.removed:
        print(f"removed {rel} (no subject of its kind left)")
    say(
        args,
        f"{len(result.written)} written, {len(result.unchanged)} unchanged, "
        f"{len(result.removed)} removed in {root}",
    )
    return 0


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    """The store options of ``export --to-files`` (added to the existing export command)."""
    p.add_argument(
        "--to-files",
        action="store_true",
        help="write the store's asserted graphs back into ontology/hairkg.ttl and "
        "kb/data/*.ttl (of --root, default: the checkout), canonically",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, help="with --to-files: the store of this data dir")
    where.add_argument("--store-url", help="with --to-files: a SPARQL server (Oxigraph layout)")


# --- load ---------------------------------------------------------------------------------


def _post_reload(server: str, token: str | None, message: str) -> tuple[int, dict]:
    body = json.dumps({"message": message}).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        server.rstrip("/") + "/admin/reload", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, {"error": raw.decode("utf-8", "replace")[:500]}
    except urllib.error.URLError as error:
        raise CommandError(f"cannot reach {server}: {error.reason}", 1) from error


@guard
def cmd_load(args: argparse.Namespace) -> int:
    import getpass

    from kb.files.sources import graph_iris, source_files
    from kb.validation.release import dataset_quads
    from kb.validation.shared_reasoner import client as shared_reasoner
    from kb.validation.validate import format_finding, validate
    from kb.writes.files import load_release
    from kb.writes.gate import gate_for
    from kb.writes.results import ChangeError, load_summary_text

    message = args.message or "hairkg load"
    if args.server:
        status, answer = _post_reload(args.server, args.token, message)
        if status == 200:
            print(load_summary_text(answer), end="")
            return 0
        for finding in answer.get("findings", []):
            print(finding.get("text") or json.dumps(finding), file=sys.stderr)
        reason = answer.get("detail") or answer.get("error") or answer
        raise CommandError(f"the server answered {status}: {reason}", 1)
    root = Path(args.root) if args.root else None
    files = source_files(root)
    data_dir = data_dir_of(args)
    if shared_reasoner.use_host_reasoner(data_dir):
        say(args, "HermiT runs on the running server's reasoner process (warm)")
    say(args, f"validating {len(files)} files (SHACL, quality, HermiT)...")
    report = validate(files, reason=True)
    if not report.ok:
        for f in report.errors:
            print(format_finding(f), file=sys.stderr)
        raise CommandError(
            f"validation failed with {len(report.errors)} error(s); the store is unchanged", 1
        )
    quads = dataset_quads(report.dataset, report.inferred, graph_iris(files))
    # The data dir's write lock is the one the service's editors hold (kb.writes.gate).
    from kb.settings import Settings

    settings = Settings.from_env()
    with open_store(args, create=True) as store:
        say(args, f"applying the difference ({len(quads)} quads in the release)")
        try:
            result = load_release(
                gate_for(
                    store,
                    data_dir,
                    lock_timeout_s=settings.write_lock_timeout_s,
                    lease_s=settings.write_lease_s,
                    shared_store=bool(getattr(args, "store_url", None)),
                ),
                quads,
                author=f"cli:{getpass.getuser()}",
                message=message,
            )
        except ChangeError as error:
            raise CommandError(f"{error.message}; nothing was applied", 1) from error
    answer = result.to_dict()
    if args.format == "json":
        print(json.dumps(answer, indent=2))
    else:
        print(load_summary_text(answer), end="")
    return 0


# --- template -------------------------------------------------------------------------------


@guard
def cmd_template(args: argparse.Namespace) -> int:
    from kb.files.templates import TemplateError, apply_template

    try:
        result = apply_template(
            Path(args.file),
            root=Path(args.root) if args.root else CHECKOUT,
            write=args.write,
            reason=not args.no_reason,
        )
    except TemplateError as e:
        for line in e.messages:
            print(line, file=sys.stderr)
        return 1
    sys.stdout.write(result.report_text)
    if not result.ok:
        return 1
    if args.write:
        for rel in result.written:
            print(f"wrote {rel}")
    else:
        sys.stdout.write(result.turtle)
        say(args, f"{result.rows} row(s) valid; run again with --write to merge them")
    return 0


# --- diff -------------------------------------------------------------------------------------


@guard
def cmd_diff(args: argparse.Namespace) -> int:
    from kb.files.termdiff import DiffError, diff_sources

    if args.release:
        from kb.cli.releases import diff_releases_command

        diff = diff_releases_command(args)
    else:
        try:
            diff = diff_sources(args.old, args.new)
        except DiffError as e:
            raise CommandError(str(e), 2) from e
    if args.format == "json":
        sys.stdout.write(diff.to_json())
    elif args.format == "markdown":
        sys.stdout.write(diff.to_markdown())
    else:
        sys.stdout.write(diff.to_text())
    return 0


# --- registration -----------------------------------------------------------------------------


def add_editing_commands(subparsers: argparse._SubParsersAction) -> None:
    fmt = argparse.RawDescriptionHelpFormatter

    p = subparsers.add_parser(
        "load",
        help="validate the files and swap the store to them atomically",
        description=(
            "Validate the ontology and knowledge-base files (syntax, SHACL, quality, HermiT), "
            "build the release (asserted + inferred) and make the store hold exactly it: the "
            "difference is applied as one SPARQL Update together with the new dataset "
            "version, so readers never see a half-loaded graph. A load that fails validation "
            "changes nothing. With a running `hairkg serve` on the data dir, the load goes "
            "through its Oxigraph (recorded in DATA_DIR/server.json); --server asks the "
            "service itself to reload its files (POST /admin/reload, admin token)."
        ),
        epilog="exit codes: 0 loaded (or already up to date), 1 validation or store error, "
        "2 usage error",
        formatter_class=fmt,
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, help="the embedded store's data dir")
    where.add_argument("--store-url", help="a SPARQL server with /query, /update (Oxigraph)")
    where.add_argument("--server", metavar="URL", help="a running hairkg service: reload it")
    p.add_argument("--token", help="with --server: a bearer token with the admin scope")
    p.add_argument("-m", "--message", help="what this load is, for the history")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--root", type=Path, metavar="DIR", help="load DIR/ontology and DIR/kb/data")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    p.set_defaults(handler=cmd_load)

    p = subparsers.add_parser(
        "template",
        help="turn a TSV template (one row a term) into triples; --write merges them",
        description=(
            "Read a TSV template in the spirit of ROBOT template: a header row of column "
            "names (id, type, label, parent, definition, definition source, exact synonyms, "
            "narrow synonyms, broad synonyms, related synonyms, xrefs, and relation columns "
            "such as treats, has adverse effect, acts through), then one row a term. Values "
            "of multi-valued columns are separated by '|'. The rows are validated together "
            "with the existing data; --write merges them into kb/data/*.ttl canonically."
        ),
        epilog="see docs/editing-files.md and kb/templates/example-conditions.tsv",
        formatter_class=fmt,
    )
    p.add_argument("file", metavar="FILE.tsv")
    p.add_argument("--write", action="store_true", help="merge the rows into the data files")
    p.add_argument("--root", type=Path, metavar="DIR", help="the tree to merge into")
    p.add_argument("--no-reason", action="store_true", help="skip HermiT")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    p.set_defaults(handler=cmd_template)

    p = subparsers.add_parser(
        "diff",
        help="added, removed, changed and deprecated terms between two versions",
        description=(
            "Compare two versions of the ontology and knowledge base, each a Turtle file, a "
            "folder (a checkout-like tree or a folder of .ttl files) or a git revision "
            "git:REV (its ontology/hairkg.ttl and kb/data/*.ttl), and list the terms added, "
            "removed, changed (label, definition, axioms) and newly deprecated: release notes. "
            "With --release, OLD and NEW are dated releases (hairkg release)."
        ),
        epilog="examples: hairkg diff git:v0.1.0 . --format markdown\n"
        "          hairkg diff --release 2026-12-04 2026-12-04.2",
        formatter_class=fmt,
    )
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    p.add_argument("--release", action="store_true", help="OLD and NEW are release versions")
    p.add_argument("--data-dir", type=Path, help="with --release: the data dir of the releases")
    p.add_argument("--releases-dir", type=Path, help="with --release: the releases directory")
    p.set_defaults(handler=cmd_diff)


__all__ = ["add_editing_commands", "add_export_arguments", "cmd_export_to_files"]
