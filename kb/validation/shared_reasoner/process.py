"""The host's reasoner process: HermiT kept warm in its JVM, serving the workers' runs.

``python -m kb.validation.shared_reasoner.process --socket RUN/reasoner.sock --key-file
RUN/reasoner.key`` (started by :mod:`.supervisor`):

1. binds the Unix socket (mode 0600, a stale one from a killed process replaced) before
   anything slow, so that clients can queue while it starts;
2. warms up in a thread: the JVM, then HermiT on the shipped ontology and knowledge base
   (a whole run, then three runs for a few individuals' types, as a write's local check
   does), so that the JIT has compiled HermiT's paths before the first write;
3. serves each connection in a thread: the HMAC challenge with the key, the request, then
   :func:`kb.validation.hermit.classify` in this process. Runs go **one at a time** (the
   in-process HermiT's lock): writes on one host are serialised by the write lock anyway,
   and one JVM serving one run keeps the memory of the process bounded. A run queued behind
   another waits; its time limit starts when it runs.

HermiT's time limit is the client's (``HAIRKG_REASONER_TIMEOUT_S`` in the worker): the run is
interrupted here at the limit, and the answer is HermiT's error, as in process.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import struct
import sys
import threading
import time
from multiprocessing.connection import Connection, Listener, answer_challenge, deliver_challenge
from pathlib import Path

from kb.validation import hermit
from kb.validation.shared_reasoner.client import IO_TIMEOUT_S, bound_io, read_key

log = logging.getLogger("hairkg.reasoner")


def listen(socket_path: Path) -> Listener:
    """The listening socket, created with mode 0600 (no moment with wider permissions)."""
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    socket_path.unlink(missing_ok=True)  # left by a process that was killed
    previous = os.umask(0o177)
    try:
        listener = Listener(str(socket_path), family="AF_UNIX", backlog=64)
    finally:
        os.umask(previous)
    os.chmod(socket_path, 0o600)
    return listener


def warm_up() -> threading.Thread | None:
    """HermiT's first runs, on what writes reason over (see the module docstring)."""
    from rdflib import RDF, URIRef

    from kb.files.sources import load_asserted, union_graph
    from kb.validation.reasoning import infer

    def work() -> None:
        started = time.monotonic()
        graph = union_graph(load_asserted())
        infer(graph)
        named = sorted({str(s) for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)})
        for _ in range(3):
            infer(graph, types_of=named[:3])
        log.info("warm: HermiT ran on the shipped graph in %.1f s", time.monotonic() - started)

    return hermit.warm_up(work)


def answer(header: dict, document: bytes) -> dict:
    """One run: HermiT's output, or its error as it would be raised in process."""
    types_of = header.get("types_of")
    try:
        output = hermit.classify(document, timeout_s=float(header["timeout_s"]), types_of=types_of)
    except hermit.Inconsistent as error:
        return {"kind": "inconsistent", "message": str(error)}
    except hermit.HermitError as error:
        return {"kind": "error", "message": str(error)}
    return {"kind": "ok", "output": output}


def serve_connection(connection: Connection, key: bytes) -> None:
    started = time.monotonic()
    peer = _peer_pid(connection)
    try:
        bound_io(connection.fileno(), IO_TIMEOUT_S)
        deliver_challenge(connection, key)
        answer_challenge(connection, key)
        try:
            header = json.loads(connection.recv_bytes())
        except EOFError:  # a readiness probe: connected, authenticated, gone
            return
        document = connection.recv_bytes()
        result = answer(header, document)
        connection.send_bytes(json.dumps(result).encode("utf-8"))
        log.info(
            "run for pid %s: %s, %d bytes, %.3f s",
            peer,
            result["kind"],
            len(document),
            time.monotonic() - started,
        )
    except Exception as error:  # a client that left, a wrong key, a malformed request
        log.warning("connection from pid %s dropped: %s", peer, error)
    finally:
        connection.close()


def _peer_pid(connection: Connection) -> int:
    """The pid of the process at the other end (``SO_PEERCRED``), for the log."""
    sock = socket.socket(fileno=connection.fileno())
    try:
        credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return struct.unpack("3i", credentials)[0]
    except OSError:
        return 0
    finally:
        sock.detach()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb.validation.shared_reasoner.process")
    parser.add_argument("--socket", required=True, type=Path)
    parser.add_argument("--key-file", required=True, type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s [reasoner %(process)d] %(levelname)s %(message)s",
    )
    key = read_key(args.key_file)
    listener = listen(args.socket)
    log.info("listening on %s", args.socket)
    warm_up()
    while True:
        try:
            connection = listener.accept()  # no key given: the challenge is in the thread
        except OSError as error:
            log.warning("accept failed: %s", error)
            time.sleep(0.1)
            continue
        threading.Thread(
            target=serve_connection, args=(connection, key), name="reasoner-run", daemon=True
        ).start()


if __name__ == "__main__":
    sys.exit(main())
