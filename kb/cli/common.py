"""What every ``hairkg`` command shares: the user-facing error and the guard around handlers.

A handler is a function of the parsed arguments returning the exit code. It raises
:class:`CommandError` for a message to the user with an exit code; :func:`guard` turns that,
and the other errors people can cause, into a message on stderr and the exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

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
        from kb.store.client import StoreError
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


__all__ = ["CommandError", "Handler", "fail", "guard"]
