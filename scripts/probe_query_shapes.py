"""Where does the engine fall over? Deep and wide SPARQL shapes against the real engines.

For each query shape (nested groups, nested OPTIONAL, sub-SELECTs, parentheses, unary
chains, nested calls, property paths, UNION/OPTIONAL counts, VALUES, and updates) this sends
the shape at growing sizes to

- ``server``: the ``oxigraph serve`` binary hairkg manages (``kb.store.managed``), on a
  fresh store holding a small chain graph; a crash is the process exiting (Rust's
  ``fatal runtime error: stack overflow`` aborts the whole engine), and it is restarted;
- ``embedded``: pyoxigraph in a worker-like thread of a child Python process (the write
  gate runs SPARQL Update there, ``hairkg query`` runs queries there); a crash is the child
  dying by a signal.

It reports, per shape and engine, the smallest size seen to crash, the smallest size that
took more than a second, and the largest size that fits in the service's query length limit
(``Settings.max_query_length``; nothing longer reaches an engine). The limits in
``kb/sparql_guard.py`` sit well below the crash figures (docs/sparql.md, "Query shape limits").

    .venv/bin/python scripts/probe_query_shapes.py                # every shape, both engines
    .venv/bin/python scripts/probe_query_shapes.py --engine server --shape groups
    .venv/bin/python scripts/probe_query_shapes.py --json shapes.json

Takes a few minutes on 2 cores (crashes cost an engine restart each).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.settings import Settings  # noqa: E402
from kb.store.managed import free_port, oxigraph_binary  # noqa: E402

MAX_LENGTH = Settings().max_query_length
SLOW_S = 1.0
REQUEST_TIMEOUT_S = 20.0
LADDER = [10, 25, 50, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500,
          10_000, 15_000, 20_000, 30_000, 50_000]  # fmt: skip

P = "PREFIX : <http://example.org/> "
TRIPLE = "?s :p ?o"


def _q(body: str) -> str:
    return P + "SELECT * WHERE { " + body + " } LIMIT 1"


SHAPES: dict[str, tuple[str, Callable[[int], str]]] = {
    # name: (kind, generator of the text at size n)
    "groups": ("query", lambda n: _q("{" * n + TRIPLE + "}" * n)),
    "optional-nested": ("query", lambda n: _q(TRIPLE + " OPTIONAL { ?s :p ?o " * n + "}" * n)),
    "subselect-nested": (
        "query",
        lambda n: _q("{ SELECT * WHERE { " * n + TRIPLE + " } }" * n),
    ),
    "filter-parens": ("query", lambda n: _q(TRIPLE + " FILTER(" + "(" * n + "?o" + ")" * n + ")")),
    "not-chain": ("query", lambda n: _q(TRIPLE + " FILTER(" + "!" * n + "BOUND(?o))")),
    "minus-chain": ("query", lambda n: _q(TRIPLE + " FILTER(" + "- " * n + "1 = 1)")),
    "calls-nested": (
        "query",
        lambda n: _q(TRIPLE + " FILTER(" + "STR(" * n + "?o" + ")" * n + ")"),
    ),
    "path-sequence": ("query", lambda n: _q("?s " + "/".join([":p"] * n) + " ?o")),
    "path-parens": ("query", lambda n: _q("?s " + "(" * n + ":p" + ")" * n + " ?o")),
    "path-star-sequence": ("query", lambda n: _q("?s " + "/".join([":p*"] * n) + " ?o")),
    "path-alternatives": ("query", lambda n: _q("?s " + "|".join([":p"] * n) + " ?o")),
    "plus-chain": ("query", lambda n: _q(TRIPLE + " FILTER(?o != 1" + " + 1" * n + ")")),
    "or-chain": ("query", lambda n: _q(TRIPLE + " FILTER(" + " || ".join(["?o = 1"] * n) + ")")),
    "path-inverse-chain": ("query", lambda n: _q("?s " + "^" * n + ":p ?o")),
    "bnode-nesting": ("query", lambda n: _q("?s :p " + "[ :p " * n + "?o" + " ]" * n)),
    "groups-flat": ("query", lambda n: _q(TRIPLE + " {}" * n)),
    "union-flat": ("query", lambda n: _q(" UNION ".join(["{ ?s :p ?o }"] * n))),
    "optional-flat": ("query", lambda n: _q(TRIPLE + " OPTIONAL { ?s :p ?o }" * n)),
    "values-rows": (
        "query",
        lambda n: _q(TRIPLE + " VALUES ?o { " + " ".join(str(i) for i in range(n)) + " }"),
    ),
    "values-columns": (
        "query",
        lambda n: _q(
            TRIPLE
            + " VALUES ("
            + " ".join(f"?v{i}" for i in range(n))
            + ") { ("
            + " 1" * n
            + " ) }"
        ),
    ),
    # Updates match nothing (:q has no triples): what they cost is the engine's own work.
    "update-where-groups": (
        "update",
        lambda n: P + "INSERT { ?s :r ?o } WHERE { " + "{" * n + "?s :q ?o" + "}" * n + " }",
    ),
    "update-where-parens": (
        "update",
        lambda n: (
            P + "INSERT { ?s :r ?o } WHERE { ?s :q ?o FILTER(" + "(" * n + "?o" + ")" * n + ") }"
        ),
    ),
    "update-where-path": (
        "update",
        lambda n: P + "INSERT { ?s :r ?o } WHERE { ?s " + "/".join([":q"] * n) + " ?o }",
    ),
    "update-where-union": (
        "update",
        lambda n: P + "INSERT { ?s :r ?o } WHERE { " + " UNION ".join(["{ ?s :q ?o }"] * n) + " }",
    ),
    "delete-where-triples": (
        "update",
        lambda n: (
            P + "DELETE WHERE { " + " . ".join(f"?s{i} :q ?s{i + 1}" for i in range(n)) + " }"
        ),
    ),
    "update-operations": (
        "update",
        lambda n: P + " ; ".join(["INSERT DATA { GRAPH :g { :a :r 1 } }"] * n),
    ),
}

CHAIN = 2000  # triples of the data graph: a chain :n0 :p :n1 :p ... plus a loop back


def data_nt() -> str:
    lines = [
        f"<http://example.org/n{i}> <http://example.org/p> <http://example.org/n{i + 1}> ."
        for i in range(CHAIN)
    ]
    lines.append(f"<http://example.org/n{CHAIN}> <http://example.org/p> <http://example.org/n0> .")
    return "\n".join(lines) + "\n"


# -- the server -------------------------------------------------------------------------


class Server:
    def __init__(self, workdir: Path):
        self.location = workdir / "store"
        self.log = workdir / "oxigraph.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        data = workdir / "data.nt"
        data.write_text(data_nt())
        subprocess.run(
            [oxigraph_binary(), "load", "--location", str(self.location), "--file", str(data)],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [oxigraph_binary(), "serve", "--location", str(self.location), "--bind",
                 f"127.0.0.1:{self.port}", "--union-default-graph"],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                self._post("/query", "query", "ASK {}", 2)
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("oxigraph did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def _post(self, path: str, field: str, text: str, timeout: float) -> int:
        body = urllib.parse.urlencode({field: text}).encode()
        request = urllib.request.Request(self.url + path, data=body, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        request.add_header("Accept", "application/sparql-results+json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                answer.read()
                return answer.status
        except urllib.error.HTTPError as error:
            error.read()
            return error.code

    def run(self, kind: str, text: str) -> tuple[str, float]:
        """('ok'|'rejected'|'crash'|'timeout', seconds)."""
        path, field = ("/query", "query") if kind == "query" else ("/update", "update")
        started = time.monotonic()
        try:
            status = self._post(path, field, text, REQUEST_TIMEOUT_S)
            outcome = "ok" if status < 400 else "rejected"
        except TimeoutError:
            outcome = "timeout"
        except OSError:
            outcome = "error"
        elapsed = time.monotonic() - started
        if self.process.poll() is not None or outcome == "error":
            # wait a moment: a crash may land just after the connection dropped
            deadline = time.monotonic() + 2
            while self.process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            if self.process.poll() is not None:
                self.restarts += 1
                self.start()
                return "crash", elapsed
        if outcome == "timeout":  # stop whatever still runs
            self.stop()
            self.start()
        return outcome, elapsed


# -- embedded pyoxigraph ----------------------------------------------------------------

_CHILD = r"""
import sys, threading, time
import pyoxigraph as ox
kind, text, data = sys.argv[1], sys.stdin.read(), sys.argv[2]
store = ox.Store()
store.load(path=data, format=ox.RdfFormat.N_TRIPLES)
out = {}
def work():
    started = time.monotonic()
    try:
        if kind == "query":
            result = store.query(text, use_default_graph_as_union=True)
            for _ in result:
                pass
        else:
            store.update(text)
        out["r"] = "ok"
    except SyntaxError:
        out["r"] = "rejected"
    except Exception as e:
        out["r"] = "rejected"
    out["t"] = time.monotonic() - started
thread = threading.Thread(target=work)  # a request thread, as in a gunicorn worker
thread.start(); thread.join()
print(out["r"], out["t"])
"""


class Embedded:
    def __init__(self, workdir: Path):
        self.data = workdir / "data.nt"
        if not self.data.exists():
            self.data.write_text(data_nt())
        self.restarts = 0

    def run(self, kind: str, text: str) -> tuple[str, float]:
        try:
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, kind, str(self.data)],
                input=text,
                capture_output=True,
                text=True,
                timeout=REQUEST_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            return "timeout", REQUEST_TIMEOUT_S
        if done.returncode != 0:
            return "crash", 0.0
        outcome, seconds = done.stdout.split()
        return outcome, float(seconds)


# -- the probe --------------------------------------------------------------------------


def probe(engine, name: str, kind: str, make: Callable[[int], str], tries: int) -> dict:
    sizes = [n for n in LADDER if len(make(n)) <= MAX_LENGTH]
    fits = max(sizes) if sizes else 0
    # the largest n that fits the length limit, for the record
    low, high = fits, fits * 2
    while len(make(high)) <= MAX_LENGTH:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if len(make(middle)) <= MAX_LENGTH else (low, middle)
    fits = low
    if fits not in sizes:
        sizes.append(fits)
    ok_max, crash_min, slow_min, rejected_min, seen = 0, None, None, None, {}
    for n in sizes:
        outcomes = [engine.run(kind, make(n)) for _ in range(tries)]
        seen[n] = outcomes
        if any(o == "crash" for o, _ in outcomes):
            crash_min = n
            break
        worst = max(t for _, t in outcomes)
        if slow_min is None and (worst > SLOW_S or any(o == "timeout" for o, _ in outcomes)):
            slow_min = n
        if rejected_min is None and all(o == "rejected" for o, _ in outcomes):
            rejected_min = n
        ok_max = n
        if any(o == "timeout" for o, _ in outcomes):
            break
    if crash_min is not None:  # bisect between the last size that survived and the crash
        low, high = ok_max, crash_min
        while high - low > max(1, low // 20):
            middle = (low + high) // 2
            outcomes = [engine.run(kind, make(middle)) for _ in range(tries)]
            seen[middle] = outcomes
            if any(o == "crash" for o, _ in outcomes):
                high = middle
            else:
                low = middle
        crash_min = high
    return {
        "shape": name,
        "kind": kind,
        "crash_at": crash_min,
        "survived": ok_max if crash_min is None else low,
        "slow_at": slow_min,
        "rejected_at": rejected_min,
        "fits_length_limit": fits,
        "runs": {str(n): [[o, round(t, 3)] for o, t in v] for n, v in sorted(seen.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", choices=["server", "embedded", "both"], default="both")
    parser.add_argument("--shape", action="append", choices=sorted(SHAPES), help="repeatable")
    parser.add_argument("--tries", type=int, default=2, help="runs per size (crashes vary)")
    parser.add_argument("--json", help="write every run to this file")
    args = parser.parse_args(argv)
    shapes = args.shape or list(SHAPES)
    engines = ["server", "embedded"] if args.engine == "both" else [args.engine]
    results = []
    with tempfile.TemporaryDirectory(prefix="hairkg-probe-") as tmp:
        workdir = Path(tmp)
        for engine_name in engines:
            if engine_name == "server":
                engine = Server(workdir)
                engine.start()
            else:
                engine = Embedded(workdir)
            try:
                for name in shapes:
                    kind, make = SHAPES[name]
                    found = probe(engine, name, kind, make, args.tries)
                    found["engine"] = engine_name
                    results.append(found)
                    print(
                        f"{engine_name:8} {name:22} crash at {found['crash_at'] or '-':>6}  "
                        f"survived {found['survived']:>6}  slow (>1 s) at "
                        f"{found['slow_at'] or '-':>6}  rejected at "
                        f"{found['rejected_at'] or '-':>6}  fits {found['fits_length_limit']:>6}",
                        flush=True,
                    )
            finally:
                if engine_name == "server":
                    engine.stop()
    print()
    print("| shape | engine | crashes at | survived | slow (> 1 s) at | fits 100k chars |")
    print("|---|---|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['shape']} | {r['engine']} | {r['crash_at'] or '—'} | {r['survived']} | "
            f"{r['slow_at'] or '—'} | {r['fits_length_limit']} |"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
