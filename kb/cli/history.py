"""``hairkg history`` and ``hairkg revert CHANGE``.

Where the store is:

- ``--server URL`` — a running hairkg service, through its HTTP API (``/api/v1/history``;
  revert needs ``--token`` or ``HAIRKG_TOKEN`` with the ``write`` scope);
- ``--store-url URL`` — a SPARQL server with Oxigraph's layout (``/query``, ``/update``,
  ``/store``), used directly;
- ``--data-dir DIR`` (the default data dir otherwise) — the store of a ``hairkg serve``
  running on that dir (found through ``DATA_DIR/server.json``), or, when none runs, the
  dir's Oxigraph database opened for the command.

Direct reverts go through the same write gate as the API (validation, one transaction,
history record), holding the data dir's write lock.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from kb.cli.common import data_dir_of, guard, open_store
from kb.settings import variable


def _add_where(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", type=Path, help="data dir of the embedded store")
    where.add_argument("--store-url", help="base URL of a SPARQL server (Oxigraph layout)")
    where.add_argument("--server", help="base URL of a running hairkg service")
    parser.add_argument("--json", action="store_true", help="print JSON")


def add_history_commands(subparsers) -> None:
    p = subparsers.add_parser(
        "history",
        help="list accepted changes (who, when, message, triples added/removed)",
        description="List the change history, newest first, or show one change in full.",
    )
    p.add_argument("change", nargs="?", help="show this change with its triples")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--offset", type=int, default=0)
    _add_where(p)
    p.set_defaults(handler=cmd_history)

    p = subparsers.add_parser(
        "revert",
        help="undo a change (applied through the validation gate, recorded as a new change)",
        description="Apply the inverse of CHANGE: remove what it added, restore what it removed.",
    )
    p.add_argument("change", help="the change id (see `hairkg history`)")
    p.add_argument("-m", "--message", default="", help="message for the history")
    p.add_argument("--token", help="bearer token for --server (default: $HAIRKG_TOKEN)")
    p.add_argument("--author", help="name recorded for direct reverts (default: cli:<user>)")
    _add_where(p)
    p.set_defaults(handler=cmd_revert)


# -- where ---------------------------------------------------------------------------------


def _http(method: str, url: str, token: str | None = None, body: bytes | None = None):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            return error.code, json.loads(payload)
        except ValueError:
            return error.code, {"detail": payload.decode("utf-8", "replace")}


# -- commands ------------------------------------------------------------------------------


def _print_summary(items: list[dict], total: int) -> None:
    print(f"{total} change(s)")
    for item in items:
        reverts = f" (reverts {item['reverts']})" if item.get("reverts") else ""
        print(
            f"{item['id']:>5}  {item['time']}  {item['author']:<12} "
            f"+{item['added']} -{item['removed']}{reverts}  {item['message']}"
        )


def _print_change(change: dict) -> None:
    print(f"change {change['id']} by {change['author']} at {change['time']}")
    if change.get("message"):
        print(f"  {change['message']}")
    if change.get("reverts"):
        print(f"  reverts change {change['reverts']}")
    for line in change.get("triplesRemoved", []):
        print(f"- {line}")
    for line in change.get("triplesAdded", []):
        print(f"+ {line}")


@guard
def cmd_history(args: argparse.Namespace) -> int:
    if args.server:
        base = args.server.rstrip("/") + "/api/v1/history"
        url = (
            f"{base}/{args.change}"
            if args.change
            else (f"{base}?limit={args.limit}&offset={args.offset}")
        )
        status, body = _http("GET", url)
        if status != 200:
            print(f"hairkg: {status}: {body.get('detail', body)}", file=sys.stderr)
            return 1
    else:
        from kb.writes.history import get_change, list_changes

        with open_store(args, timeout_s=60) as store:
            if args.change:
                record = get_change(store, int(args.change))
                if record is None:
                    print(f"hairkg: there is no change {args.change}", file=sys.stderr)
                    return 1
                body = record.to_dict()
            else:
                total, records = list_changes(store, limit=args.limit, offset=args.offset)
                body = {"total": total, "items": [r.summary() for r in records]}
    if args.json:
        print(json.dumps(body, indent=2, ensure_ascii=False))
    elif args.change:
        _print_change(body)
    else:
        _print_summary(body["items"], body["total"])
    return 0


@guard
def cmd_revert(args: argparse.Namespace) -> int:
    if not args.change.isdigit():
        print("hairkg: CHANGE is a number (see `hairkg history`)", file=sys.stderr)
        return 2
    if args.server:
        token = args.token or variable("token")
        if not token:
            print("hairkg: revert through --server needs --token or HAIRKG_TOKEN", file=sys.stderr)
            return 2
        payload = json.dumps({"message": args.message}).encode() if args.message else None
        url = f"{args.server.rstrip('/')}/api/v1/history/{args.change}/revert"
        status, body = _http("POST", url, token, payload)
        if status != 200:
            _print_refusal(status, body)
            return 1
    else:
        from kb.settings import Settings
        from kb.writes.gate import gate_for
        from kb.writes.history import RevertConflict, get_change, inverse_edit
        from kb.writes.results import ChangeError

        author = args.author or f"cli:{getpass.getuser()}"
        data_dir = data_dir_of(args)
        with open_store(args, timeout_s=60) as store:
            record = get_change(store, int(args.change))
            if record is None:
                print(f"hairkg: there is no change {args.change}", file=sys.stderr)
                return 1
            settings = Settings.from_env()
            gate = gate_for(
                store,
                data_dir,
                settings.write_validation,
                lease_s=settings.write_lease_s,
                shared_store=bool(getattr(args, "store_url", None)),
            )
            try:
                result = gate.apply(
                    inverse_edit(record),
                    author=author,
                    message=args.message or f"revert change {args.change}",
                    reverts=record.number,
                )
            except RevertConflict as error:
                print(f"hairkg: {error}", file=sys.stderr)
                return 1
            except ChangeError as error:
                report = getattr(error, "report", None)
                _print_refusal(error.status, {"detail": error.message})
                if report is not None:
                    print(report.to_text(), file=sys.stderr)
                return 1
        body = {
            "change": result.record.id if result.record else None,
            "added": len(result.added),
            "removed": len(result.removed),
            "version": result.version,
        }
    if args.json:
        print(json.dumps(body, indent=2))
    elif body.get("change"):
        print(
            f"reverted change {args.change} as change {body['change']}: "
            f"+{body['added']} -{body['removed']}"
        )
    else:
        print(f"change {args.change} changed nothing that is still there; nothing to do")
    return 0


def _print_refusal(status: int, body: dict) -> None:
    print(f"hairkg: refused ({status}): {body.get('detail', body)}", file=sys.stderr)
    for finding in body.get("errors", []) or []:
        print(f"  {finding['rule']} [{finding.get('node')}]: {finding['message']}", file=sys.stderr)
