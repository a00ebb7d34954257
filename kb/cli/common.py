"""What every ``hairkg`` command shares: the user-facing error, the guard around handlers, and
the one way to open the store (``--store-url``, else the data dir's).

A handler is a function of the parsed arguments returning the exit code. It raises
:class:`CommandError` for a message to the user with an exit code; :func:`guard` turns that,
and the other errors people can cause, into a message on stderr and the exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

Handler = Callable[[argparse.Namespace], int]


class CommandError(Exception):
    """A message for the user and the exit code to return (2: usage error)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def fail(message: str, code: int) -> int:
    """Print ``hairkg: message`` on stderr and return ``code``."""
    print(f"hairkg: {message}", file=sys.stderr)
    return code


def guard(func: Handler) -> Handler:
    """Turn the errors people can cause into a message on stderr and an exit code:
    :class:`CommandError` its own code, a source file that does not parse, the reasoner
    or the store failing 1, a closed stdout (``| head``) 0."""

    def run(args: argparse.Namespace) -> int:
        from kb.files.sources import KBSyntaxError
        from kb.store.errors import StoreError
        from kb.validation.reasoning import ReasonerError

        try:
            return func(args)
        except CommandError as e:
            return fail(str(e), e.code)
        except KBSyntaxError as e:
            print(str(e), file=sys.stderr)
            return 1
        except (ReasonerError, StoreError) as e:
            return fail(str(e), 1)
        except BrokenPipeError:
            return 0

    run.__name__ = func.__name__
    run.__doc__ = func.__doc__
    return run


def data_dir_of(args: argparse.Namespace) -> Path:
    """``--data-dir``, else the settings' data dir (``HAIRKG_DATA_DIR``, else ``var/`` in the
    checkout): every command that opens the data dir's store agrees on it."""
    if getattr(args, "data_dir", None):
        return Path(args.data_dir)
    from kb.settings import Settings

    return Settings.from_env().data_dir


@contextlib.contextmanager
def open_store(
    args: argparse.Namespace, *, create: bool = False, timeout_s: float = 300
) -> Iterator:
    """The store named on the command line: ``--store-url``; else the data dir's store,
    through the Oxigraph of a running `hairkg serve` (recorded in DATA_DIR/server.json) or
    through a temporary Oxigraph of our own."""
    from kb.store.client import SparqlStore
    from kb.store.managed import read_server_file

    if getattr(args, "store_url", None):
        from kb.settings import Settings
        from kb.store.engines import StoreConfigError, endpoints_of

        # the kind, other endpoints and credentials: HAIRKG_STORE_KIND, _USER, _PASSWORD ...
        try:
            endpoints = endpoints_of(Settings.from_env(store_url=args.store_url))
        except StoreConfigError as error:
            raise CommandError(str(error)) from error
        store = SparqlStore.for_endpoints(endpoints, timeout_s=timeout_s)
        if not store.ping(timeout_s=5.0):
            raise CommandError(f"the store at {endpoints.query_url} does not answer SPARQL", 1)
        yield store
        return
    data_dir = data_dir_of(args)
    info = read_server_file(data_dir)
    if info:
        say(args, f"using the store of the running server ({info['store_url']})")
        yield SparqlStore.for_server(info["store_url"], timeout_s=timeout_s)
        return
    location = data_dir / "oxigraph"
    if not (location / "CURRENT").exists() and not create:
        raise CommandError(f"no store in {data_dir} (run `hairkg load` or `hairkg serve` first)")
    from kb.store.managed import ManagedOxigraph

    server = ManagedOxigraph(location, timeout_cap_s=timeout_s)
    try:
        server.start(ready_timeout_s=30)
    except RuntimeError as error:
        server.stop()
        raise CommandError(
            f"cannot open the store in {location}: {error}\nIs a `hairkg serve` using it? "
            "Then use --server URL --token T (or --store-url).",
            1,
        ) from error
    try:
        yield server.store(timeout_s=timeout_s)
    finally:
        server.stop()


def say(args: argparse.Namespace, message: str) -> None:
    """A progress message on stderr, unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(f"hairkg: {message}", file=sys.stderr, flush=True)


__all__ = ["CommandError", "Handler", "data_dir_of", "fail", "guard", "open_store", "say"]
