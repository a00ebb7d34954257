"""The workers' side of the shared reasoner: HermiT runs sent to the host's reasoner process.

A worker of ``hairkg serve`` calls :func:`use` once (``Settings.reasoner_socket``); from then
on :mod:`kb.validation.reasoning` sends every run here instead of starting a JVM. One
connection per run:

1. connect (the socket, then the mutual HMAC challenge of :mod:`multiprocessing.connection`
   with the key file). When the process is not there (killed, restarting), connecting is
   retried until ``restart_wait_s`` has passed, the time the supervisor needs to start a new
   one; then :class:`ReasonerUnavailable`;
2. send the request (JSON: the time limit, the individuals whose types are wanted) and the
   N-Triples document;
3. wait for the answer at most :func:`answer_wait_s`: the process stops HermiT itself at the
   time limit, this bound only covers a process that hangs or a run queued behind another;
4. the answer: HermiT's output, or the same errors as in process (``Inconsistent``,
   ``HermitError`` with HermiT's message, the time limit's included).

A process that dies during a run is not retried (the run may be what killed it): the write
is refused with :class:`ReasonerUnavailable`. Every read and write on the socket gives up
after ``IO_TIMEOUT_S``.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import time
from collections.abc import Iterable
from multiprocessing.connection import (
    AuthenticationError,
    Connection,
    answer_challenge,
    deliver_challenge,
)
from pathlib import Path

from kb.validation.hermit import HermitError, Inconsistent, ReasonerUnavailable

CONNECT_TIMEOUT_S = 5.0
IO_TIMEOUT_S = 30.0  # each read or write on the socket
ANSWER_MARGIN_S = 30.0  # beyond the time limits, for a process that was just restarted
KEY_BYTES = 32
# The longest Unix socket path Linux takes (sun_path is 108 bytes with its final NUL).
MAX_SOCKET_PATH_BYTES = 107

SOCKET_NAME = "reasoner.sock"  # in the data dir's run/ folder

_socket_path: Path | None = None
_restart_wait_s = 20.0
_fall_back = False  # on ReasonerUnavailable, reason in this process instead (the CLI)


def key_path_for(socket_path: Path) -> Path:
    """The key file beside the socket (``run/reasoner.key``)."""
    return Path(socket_path).with_suffix(".key")


def read_key(path: Path) -> bytes:
    return Path(path).read_bytes()


def host_socket(data_dir: str | Path) -> Path:
    """Where ``hairkg serve --data-dir DATA_DIR`` puts its reasoner process's socket."""
    return Path(data_dir).resolve() / "run" / SOCKET_NAME


def use(socket_path: str | Path, restart_wait_s: float = 20.0, *, fall_back: bool = False) -> None:
    """From now on, this process's HermiT runs go to the reasoner process at ``socket_path``.
    ``fall_back``: when it cannot be reached, reason in this process instead (the CLI; a
    worker of ``hairkg serve`` never does, its writes are refused)."""
    global _socket_path, _restart_wait_s, _fall_back
    _socket_path = Path(socket_path)
    _restart_wait_s = max(0.0, restart_wait_s)
    _fall_back = fall_back


def use_host_reasoner(data_dir: str | Path) -> bool:
    """When a ``hairkg serve`` runs on ``data_dir`` (its reasoner process answers on the
    socket there, with the key this user can read), sends this process's HermiT runs to it,
    warm, instead of starting a JVM here, falling back to this process should it go away.
    True when it does."""
    socket_path = host_socket(data_dir)
    if not socket_path.exists():
        return False
    try:
        connect(socket_path, 0.0).close()  # a readiness probe: connect, authenticate, go
    except ReasonerUnavailable:
        return False
    use(socket_path, restart_wait_s=0.0, fall_back=True)
    return True


def stop_using() -> None:
    """Back to HermiT in this process (tests)."""
    global _socket_path, _fall_back
    _socket_path = None
    _fall_back = False


def configured() -> bool:
    return _socket_path is not None


def falls_back() -> bool:
    """True when a run the reasoner process cannot take is run in this process instead."""
    return _fall_back


def answer_wait_s(timeout_s: float) -> float:
    """How long a client waits for an answer: its own run's limit, one run queued ahead of
    it (writes on a host go one at a time through the write lock; a reload from files can
    come on top), and a margin for a process that was just restarted and is warming up."""
    return 2 * timeout_s + ANSWER_MARGIN_S


def classify(ntriples: bytes, timeout_s: float, types_of: Iterable[str] | None = None) -> str:
    """:func:`kb.validation.hermit.classify`, run by the reasoner process."""
    if _socket_path is None:
        raise ReasonerUnavailable("no shared reasoner process is configured")
    header = {
        "timeout_s": timeout_s,
        "types_of": sorted(types_of) if types_of is not None else None,
    }
    connection = connect(_socket_path, _restart_wait_s)
    try:
        connection.send_bytes(json.dumps(header).encode("utf-8"))
        connection.send_bytes(ntriples)
        wait = answer_wait_s(timeout_s)
        if not connection.poll(wait):
            raise ReasonerUnavailable(f"the reasoner process did not answer within {wait:g} s")
        answer = json.loads(connection.recv_bytes())
    except (OSError, EOFError, ValueError) as error:
        raise ReasonerUnavailable(
            f"the reasoner process stopped answering ({_reason(error)})"
        ) from error
    finally:
        connection.close()
    kind = answer.get("kind")
    if kind == "ok":
        return answer["output"]
    if kind == "inconsistent":
        raise Inconsistent(answer.get("message") or "Inconsistent ontology")
    raise HermitError(answer.get("message") or "HermiT failed")


def connect(socket_path: Path, restart_wait_s: float) -> Connection:
    """An authenticated connection to the reasoner process; while there is none (it is being
    restarted), tries again every 0.1 s for ``restart_wait_s``."""
    deadline = time.monotonic() + restart_wait_s
    while True:
        try:
            return _open(socket_path)
        except (OSError, EOFError, AuthenticationError) as error:
            if time.monotonic() >= deadline:
                raise ReasonerUnavailable(
                    f"the shared reasoner process is not available ({_reason(error)}); "
                    "writes that need reasoning are refused until it is back: try again "
                    "shortly"
                ) from error
        time.sleep(0.1)


def _open(socket_path: Path) -> Connection:
    key = read_key(key_path_for(socket_path))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT_S)
        sock.connect(str(socket_path))
        sock.settimeout(None)  # blocking again, for Connection; bounded below
        bound_io(sock.fileno(), IO_TIMEOUT_S)
        connection = Connection(sock.detach())
    except BaseException:
        sock.close()
        raise
    try:
        answer_challenge(connection, key)
        deliver_challenge(connection, key)
    except BaseException:
        connection.close()
        raise
    return connection


def bound_io(fd: int, seconds: float) -> None:
    """Every blocking read or write on the socket ``fd`` gives up after ``seconds``
    (``SO_RCVTIMEO``/``SO_SNDTIMEO``: the socket stays blocking, as Connection needs)."""
    sock = socket.socket(fileno=fd)
    try:
        whole = int(seconds)
        value = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
    finally:
        sock.detach()


def check_socket_path(socket_path: Path) -> None:
    """Raises ValueError when the path is too long for a Unix socket."""
    size = len(os.fsencode(str(socket_path)))
    if size > MAX_SOCKET_PATH_BYTES:
        raise ValueError(
            f"{socket_path} is {size} bytes long, more than a Unix socket path may be "
            f"({MAX_SOCKET_PATH_BYTES}): choose a data dir with a shorter path"
        )


def _reason(error: BaseException) -> str:
    if isinstance(error, AuthenticationError):
        return "its key does not match"
    if isinstance(error, FileNotFoundError):
        return "no socket"
    if isinstance(error, EOFError):
        return "connection closed"
    return getattr(error, "strerror", None) or type(error).__name__
