#!/usr/bin/env python3
"""Bounded mixed load against hairkg on loopback: SPARQL queries, JSON API reads (search,
entity cards, related content) and authenticated writes from several concurrent clients, with
one client running a query that hits the time limit over and over, for a fixed duration.

    .venv/bin/python scripts/loadtest.py --duration 60            # starts its own server
    .venv/bin/python scripts/loadtest.py --url http://127.0.0.1:8000 --token SECRET

Without ``--url`` it starts ``hairkg serve`` on a fresh data dir (2 workers, rate limit off,
a write token of its own). Each write inserts one triple with a unique number into a graph of
its own and carries the number in its change message. Afterwards the graph and the change
history are read back: every acknowledged write (200) must be in the store exactly once and
recorded once in the history; writes that were refused (503 busy, 429) or whose outcome is
unknown (connection error) are counted apart.

It prints throughput, latency percentiles and errors per kind of request, and exits 1 when a
requirement fails: any 5xx (the slow query's own 503 at the time limit excepted, it is the
expected answer), any failed connection, a lost or duplicated write, or a gap longer than
``--max-read-gap`` seconds without an answered read. ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEARCH_TERMS = [
    "alopecia", "minoxidil", "finasteride", "microneedling", "prp", "telogen", "hair loss",
    "laser", "dandruff", "areata", "alopcia", "ketoconazole", "scalp", "dutasteride",
]  # fmt: skip
SPARQL_QUERIES = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
    "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?label LIMIT 50",
    "SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n)",
    "ASK { ?s ?p ?o }",
]
# A cross join that runs until the time limit stops it (tests/system/test_sparql_limits.py).
SLOW_QUERY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    read_answers: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status: int | str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][str(status)] += 1
            if kind not in ("write", "slow query") and status == 200:
                self.read_answers.append(time.monotonic())


def request(url, method="GET", body=None, headers=None, timeout=60.0):
    """(status, headers, body); status is "error:<Name>" when no HTTP answer came."""
    data = body.encode() if isinstance(body, str) else body
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers or {}), error.read()
    except (OSError, urllib.error.URLError) as error:
        return f"error:{type(error).__name__}", {}, b""


class LoadTest:
    def __init__(self, base: str, token: str, args):
        self.base = base.rstrip("/")
        self.token = token
        self.args = args
        self.stats = Stats()
        self.stop = threading.Event()
        self.run_id = uuid.uuid4().hex[:10]
        self.graph = f"urn:x-loadtest:{self.run_id}"
        self.acknowledged: dict[int, str] = {}  # write number -> change id
        self.refused: dict[int, int | str] = {}
        self.unknown: set[int] = set()
        self.counter = 0
        self.counter_lock = threading.Lock()
        self.entities: list[str] = []
        self.articles: list[str] = []

    # -- set-up -------------------------------------------------------------------------

    def discover(self) -> None:
        status, _, body = request(f"{self.base}/api/v1/articles?limit=100")
        if status == 200:
            self.articles = [a["id"] for a in json.loads(body).get("items", [])]
        for term in ("alopecia", "minoxidil", "microneedling", "scalp", "hair"):
            status, _, body = request(f"{self.base}/api/v1/search?q={term}&limit=20")
            if status == 200:
                self.entities += [i["id"] for i in json.loads(body).get("items", []) if "id" in i]
        self.entities = sorted(set(self.entities)) or ["alopecia"]

    # -- clients ------------------------------------------------------------------------

    def reader(self, seed: int) -> None:
        rnd = random.Random(seed)
        while not self.stop.is_set():
            roll = rnd.random()
            if roll < 0.3:
                kind = "sparql"
                query = rnd.choice(SPARQL_QUERIES)
                url = f"{self.base}/sparql"
                body = urllib.parse.urlencode({"query": query})
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/sparql-results+json",
                }
                method = "POST"
            else:
                method, body, headers = "GET", None, {}
                if roll < 0.55:
                    kind = "search"
                    q = urllib.parse.quote(rnd.choice(SEARCH_TERMS))
                    url = f"{self.base}/api/v1/search?q={q}"
                elif roll < 0.8:
                    kind = "entity"
                    url = f"{self.base}/api/v1/entities/{rnd.choice(self.entities)}"
                else:
                    kind = "related"
                    if self.articles:
                        url = f"{self.base}/api/v1/articles/{rnd.choice(self.articles)}/related"
                    else:
                        url = f"{self.base}/api/v1/search?q=alopecia"
            started = time.monotonic()
            status, _, _ = request(url, method, body, headers)
            self.stats.record(kind, status, time.monotonic() - started)

    def writer(self) -> None:
        while not self.stop.is_set():
            with self.counter_lock:
                self.counter += 1
                n = self.counter
            update = (
                f"INSERT DATA {{ GRAPH <{self.graph}> {{ <{self.graph}/write/{n}> "
                f"<urn:x-loadtest:number> {n} }} }}"
            )
            headers = {
                "Content-Type": "application/sparql-update",
                "Authorization": f"Bearer {self.token}",
                "X-Change-Message": f"loadtest {self.run_id} write {n}",
            }
            started = time.monotonic()
            status, answer_headers, _ = request(
                f"{self.base}/sparql", "POST", update, headers, timeout=180
            )
            self.stats.record("write", status, time.monotonic() - started)
            if status == 200:
                self.acknowledged[n] = answer_headers.get("X-Hairkg-Change", "")
            elif isinstance(status, int):
                self.refused[n] = status
                if status in (429, 503):
                    time.sleep(0.2)
            else:
                self.unknown.add(n)

    def slow_query(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            status, _, body = request(
                f"{self.base}/sparql",
                "POST",
                urllib.parse.urlencode(
                    {"query": SLOW_QUERY, "timeout": str(self.args.slow_query_timeout)}
                ),
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/sparql-results+json",
                },
                timeout=120,
            )
            expected = status == 503 and b"time limit" in body
            self.stats.record("slow query", "503 time limit" if expected else status,
                              time.monotonic() - started)  # fmt: skip

    # -- run and check ------------------------------------------------------------------

    def run(self) -> dict:
        self.discover()
        threads = [
            threading.Thread(target=self.reader, args=(i,), daemon=True)
            for i in range(self.args.clients)
        ]
        threads += [
            threading.Thread(target=self.writer, daemon=True) for _ in range(self.args.writers)
        ]
        if self.args.slow_query:
            threads.append(threading.Thread(target=self.slow_query, daemon=True))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        self.stop.wait(self.args.duration)
        self.stop.set()
        stopped = time.monotonic()
        for thread in threads:
            thread.join(timeout=200)
        return self.report(stopped - started, started)

    def found_writes(self) -> list[int]:
        query = f"SELECT ?n WHERE {{ GRAPH <{self.graph}> {{ ?s <urn:x-loadtest:number> ?n }} }}"
        status, _, body = request(
            f"{self.base}/sparql",
            "POST",
            urllib.parse.urlencode({"query": query}),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/sparql-results+json",
            },
        )
        if status != 200:
            raise SystemExit(f"loadtest: could not read the writes back: {status} {body[:300]}")
        rows = json.loads(body)["results"]["bindings"]
        return [int(row["n"]["value"]) for row in rows]

    def history_writes(self) -> list[int]:
        marker = f"loadtest {self.run_id} write "
        numbers, offset = [], 0
        while True:
            status, _, body = request(f"{self.base}/api/v1/history?limit=200&offset={offset}")
            if status != 200:
                raise SystemExit(f"loadtest: could not read the history: {status}")
            page = json.loads(body)
            items = page.get("items", [])
            for item in items:
                message = item.get("message") or ""
                if message.startswith(marker):
                    numbers.append(int(message[len(marker) :]))
            offset += len(items)
            if not items or offset >= page.get("total", 0):
                return numbers

    def report(self, elapsed: float, started: float) -> dict:
        found = self.found_writes()
        history = self.history_writes()
        acknowledged = set(self.acknowledged)
        found_set = set(found)
        lost = sorted(acknowledged - found_set)
        duplicated = sorted(
            {n for n in history if history.count(n) > 1} | {n for n in found if found.count(n) > 1}
        )
        missing_history = sorted(acknowledged - set(history))
        unexplained = sorted(found_set - acknowledged - self.unknown)
        kinds = {}
        total = server_errors = failed_connections = 0
        for kind, values in sorted(self.stats.latencies.items()):
            ms = sorted(v * 1000 for v in values)
            statuses = dict(sorted(self.stats.statuses[kind].items()))
            five = sum(c for s, c in statuses.items() if s.isdigit() and s.startswith("5"))
            conn = sum(c for s, c in statuses.items() if s.startswith("error"))
            server_errors += five
            failed_connections += conn
            total += len(values)
            kinds[kind] = {
                "requests": len(values),
                "per_second": round(len(values) / elapsed, 1),
                "statuses": statuses,
                "p50_ms": round(percentile(ms, 50), 1),
                "p90_ms": round(percentile(ms, 90), 1),
                "p99_ms": round(percentile(ms, 99), 1),
                "max_ms": round(ms[-1], 1),
                "mean_ms": round(statistics.fmean(ms), 1),
            }
        answers = sorted([started, *(t for t in self.stats.read_answers if t <= started + elapsed)])
        answers.append(started + elapsed)
        read_gap = max((b - a for a, b in itertools.pairwise(answers)), default=0)
        result = {
            "duration_s": round(elapsed, 1),
            "clients": {
                "readers": self.args.clients,
                "writers": self.args.writers,
                "slow_query": self.args.slow_query,
            },
            "requests": total,
            "per_second": round(total / elapsed, 1),
            "server_errors_5xx": server_errors,
            "failed_connections": failed_connections,
            "longest_read_gap_s": round(read_gap, 2),
            "kinds": kinds,
            "writes": {
                "attempted": self.counter,
                "acknowledged": len(acknowledged),
                "found": len(found_set & acknowledged),
                "lost": lost,
                "duplicated": duplicated,
                "missing_from_history": missing_history,
                "refused": dict(_count(self.refused.values())),
                "outcome_unknown": len(self.unknown),
                "found_but_not_acknowledged": unexplained,
            },
        }
        failures = []
        if server_errors:
            failures.append(f"{server_errors} 5xx answers")
        if failed_connections:
            failures.append(f"{failed_connections} requests without an HTTP answer")
        if lost:
            failures.append(f"{len(lost)} acknowledged writes lost")
        if duplicated:
            failures.append(f"{len(duplicated)} writes duplicated")
        if missing_history:
            failures.append(f"{len(missing_history)} acknowledged writes missing in the history")
        if unexplained:
            failures.append(f"{len(unexplained)} writes found that were refused")
        if not acknowledged and self.args.writers:
            failures.append("no write was acknowledged")
        if read_gap > self.args.max_read_gap:
            failures.append(f"reads stalled for {read_gap:.1f} s")
        result["failures"] = failures
        return result


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    k = (len(values) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (k - low)


def _count(values):
    counts: dict[str, int] = defaultdict(int)
    for value in values:
        counts[str(value)] += 1
    return sorted(counts.items())


def print_report(result: dict) -> None:
    print(
        f"{result['requests']} requests in {result['duration_s']} s "
        f"({result['per_second']}/s), 5xx: {result['server_errors_5xx']}, "
        f"no answer: {result['failed_connections']}, "
        f"longest gap between answered reads: {result['longest_read_gap_s']} s"
    )
    print(f"{'kind':<12}{'requests':>9}{'/s':>7}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}"
          f"{'max ms':>9}  statuses")  # fmt: skip
    for kind, k in result["kinds"].items():
        print(
            f"{kind:<12}{k['requests']:>9}{k['per_second']:>7}{k['p50_ms']:>9}{k['p90_ms']:>9}"
            f"{k['p99_ms']:>9}{k['max_ms']:>9}  {k['statuses']}"
        )
    w = result["writes"]
    print(
        f"writes: {w['attempted']} attempted, {w['acknowledged']} acknowledged, {w['found']} "
        f"of them found, lost {len(w['lost'])}, duplicated {len(w['duplicated'])}, refused "
        f"{w['refused']}, outcome unknown {w['outcome_unknown']}"
    )
    print("FAIL: " + "; ".join(result["failures"]) if result["failures"] else "PASS")


# -- a server of its own ----------------------------------------------------------------------


def start_own_server(args) -> tuple[subprocess.Popen, str, str, Path]:
    from kb.store.managed import free_port

    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="hairkg-loadtest-"))
    if args.release_dir and not (data_dir / "build").exists():
        shutil.copytree(args.release_dir, data_dir / "build")
    token = secrets.token_urlsafe(24)
    port = free_port()
    env = {
        **os.environ,
        "HAIRKG_TOKENS": f"loadtest:{token}:write",
        "HAIRKG_TOKENS_FILE": "",
        "HAIRKG_RATE_LIMIT": "off",
        "HAIRKG_WRITE_VALIDATION": args.validation,
    }
    log = (data_dir / "server.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--data-dir",
         str(data_dir), "--workers", str(args.workers)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"loadtest: hairkg serve exited; see {data_dir / 'server.log'}")
        if request(base + "/healthz", timeout=2)[0] == 200:
            return process, base, token, data_dir
        time.sleep(0.3)
    process.kill()
    raise SystemExit("loadtest: hairkg serve did not become ready")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running hairkg (loopback); default: start one")
    parser.add_argument("--token", help="a write token for --url (or HAIRKG_LOADTEST_TOKEN)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--clients", type=int, default=6, help="concurrent readers")
    parser.add_argument("--writers", type=int, default=2, help="concurrent writers")
    parser.add_argument("--no-slow-query", dest="slow_query", action="store_false",
                        help="no client running a query into the time limit")  # fmt: skip
    parser.add_argument("--slow-query-timeout", type=float, default=5.0)
    parser.add_argument("--max-read-gap", type=float, default=10.0,
                        help="fail if no read was answered for this many seconds")  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="own server: worker processes")
    parser.add_argument("--validation", default="full", choices=["full", "shapes", "off"],
                        help="own server: validation of each write")  # fmt: skip
    parser.add_argument("--data-dir", help="own server: data dir (default: a new temp dir)")
    parser.add_argument("--release-dir", help="own server: a built release to start from")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)

    process = None
    if args.url:
        host = urllib.parse.urlsplit(args.url).hostname
        if host not in ("127.0.0.1", "localhost", "::1"):
            parser.error("the load test drives loopback servers only")
        token = args.token or os.environ.get("HAIRKG_LOADTEST_TOKEN", "")
        if args.writers and not token:
            parser.error("writes need --token (or HAIRKG_LOADTEST_TOKEN), or --writers 0")
        base = args.url
    else:
        process, base, token, data_dir = start_own_server(args)
        print(f"hairkg serve on {base}, data dir {data_dir}", file=sys.stderr)
    try:
        result = LoadTest(base, token, args).run()
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    print_report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
