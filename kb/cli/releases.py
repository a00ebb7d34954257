"""``hairkg release``: write a dated, immutable release of the live graph into the releases
directory (``kb.releases.dated``), and where ``hairkg diff --release A B`` finds releases."""

from __future__ import annotations

import argparse
import getpass
import json
from pathlib import Path

from kb.cli.common import CommandError, data_dir_of, guard, open_store


def releases_root(args: argparse.Namespace) -> Path:
    """``--releases-dir``, else the settings' (``HAIRKG_RELEASES_DIR``, else DATA_DIR/releases)."""
    if getattr(args, "releases_dir", None):
        return Path(args.releases_dir)
    from kb.settings import Settings

    return Settings.from_env(data_dir=data_dir_of(args)).releases_path()


@guard
def cmd_release(args: argparse.Namespace) -> int:
    from kb.releases.dated import ReleaseError, create_release

    root = releases_root(args)
    with open_store(args, timeout_s=300) as store:
        try:
            made = create_release(
                store, root, version=args.version, author=f"cli:{getpass.getuser()}"
            )
        except ReleaseError as error:
            raise CommandError(str(error), 2 if error.status == 400 else 1) from error
    if args.json:
        print(json.dumps(made, indent=2, ensure_ascii=False))
    else:
        changes = made["changes"]
        print(
            f"release {made['version']} in {root / made['version']}: {made['quads']} quads; "
            f"since {made['previous'] or 'nothing'}: +{changes['added']} added, "
            f"{changes['changed']} changed, {changes['deprecated']} deprecated, "
            f"-{changes['removed']} removed"
        )
    return 0


def add_release_command(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "release",
        help="write a dated, immutable release of the live graph (files, VoID, changelog)",
        description=(
            "Write RELEASES/<version>/ from the store: the content graphs as N-Quads and "
            "Turtle (gzip), a VoID description, a changelog against the previous release "
            "(terms added, changed, deprecated, removed, with labels) and a manifest. The "
            "version is today's UTC date, YYYY-MM-DD, then YYYY-MM-DD.2, ... for more the "
            "same day. An existing release is never rewritten. Not `hairkg build` (the "
            "release build that `hairkg load` reads)."
        ),
        epilog="exit codes: 0 written, 1 exists already or store error, 2 usage error\n"
        "see docs/editing.md (Releases); compare two with `hairkg diff --release A B`",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", help="the version to write (must be today's date[.N])")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, help="data dir of the embedded store")
    where.add_argument("--store-url", help="base URL of a SPARQL server (Oxigraph layout)")
    p.add_argument(
        "--releases-dir", type=Path, help="default: $HAIRKG_RELEASES_DIR or DATA_DIR/releases"
    )
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    p.set_defaults(handler=cmd_release)


def diff_releases_command(args: argparse.Namespace):
    """The term diff of ``hairkg diff --release OLD NEW``."""
    from kb.releases.dated import ReleaseError, diff_releases

    try:
        return diff_releases(releases_root(args), args.old, args.new)
    except ReleaseError as error:
        raise CommandError(str(error), 2) from error


__all__ = ["add_release_command", "cmd_release", "diff_releases_command", "releases_root"]
