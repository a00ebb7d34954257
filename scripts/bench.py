"""Benchmarks at scale: hairkg side by side with a raw Oxigraph server, rdflib-endpoint and
rdflib's in-memory engine, on the same synthetic graphs, queries and machine, in one run.

    scripts/bench                         # 10k, 100k and 1M triples -> docs/benchmarks/
    scripts/bench --sizes 10k --quick     # smallest size, few iterations (what the tests run)
    scripts/bench --sizes 10m --systems hairkg,oxigraph

Systems (run one after the other, never at the same time, so that each has both cores):

- ``hairkg``: ``hairkg serve --data-dir D`` (managed Oxigraph on ``D/oxigraph`` + gunicorn,
  2 workers x 8 threads); the JSON API and ``/sparql``.
- ``hairkg-remote``: ``hairkg serve --store-url`` in front of a raw ``oxigraph serve``.
- ``hairkg-virtuoso``: ``hairkg serve --store-kind virtuoso`` in front of a Virtuoso Open Source
  7 of its own (Debian's ``virtuoso-opensource``; the launcher of the tests,
  ``tests/system/virtuoso_engine.py``), loaded with Virtuoso's bulk loader and written through
  its update user. Not in the default systems: ``--systems hairkg-virtuoso``.
- ``oxigraph``: ``oxigraph serve --union-default-graph`` (the engine alone, SPARQL protocol).
- ``rdflib-endpoint``: ``rdflib-endpoint serve data.nq`` (rdflib Dataset, union default graph).
- ``rdflib``: ``rdflib.Dataset(default_union=True)`` queried in process (no HTTP), in a child
  process so that its memory is its own.

Each Oxigraph-based system reads a copy of one store bulk-loaded with ``oxigraph load`` (the
command ``hairkg serve`` runs on first start). Latency is measured client-side, one request at
a time over a keep-alive loopback connection, each request with a different parameter (so
hairkg's per-article answer memo is not hit); throughput with ``wrk`` (4 connections, 1
thread, cycling over the same parameters). Every latency figure is the median over
``--rounds`` rounds of that round's percentile; the spread of the per-round p50 is the noise.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import generate_synthetic  # noqa: E402

from kb.rdf import HK, KB, KB_GRAPH  # noqa: E402

VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
SYSTEMS = ("hairkg", "hairkg-remote", "oxigraph", "rdflib-endpoint", "rdflib")
EXTRA_SYSTEMS = ("hairkg-virtuoso",)
# cheapest first; "related" ranks ties in whatever order the engine finds them, which
# favours the engines, "related_ordered" breaks them by IRI, so that (like the JSON API's
# answer) the same request always gets the same five articles
QUERIES = ("entity", "twojoin", "autocomplete", "aggregate", "related", "related_ordered")
HK_ = str(HK)
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ALT_LABEL = "http://www.w3.org/2004/02/skos/core#altLabel"
SELECT_JSON = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples"


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# -- the queries ----------------------------------------------------------------------------

PREFIX = f"PREFIX hk: <{HK_}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


def sparql_for(kind: str, param: str) -> str:
    """The SPARQL each system runs (hairkg's JSON API answers the same question)."""
    if kind in ("related", "related_ordered"):  # articles sharing the most concepts
        tie_break = " ?other" if kind == "related_ordered" else ""
        return (
            PREFIX + "SELECT ?other (COUNT(DISTINCT ?c) AS ?shared) WHERE {\n"
            f"  <{param}> hk:about|hk:mentions ?c .\n"
            "  ?other hk:about|hk:mentions ?c .\n"
            f"  FILTER(?other != <{param}>)\n"
            f"}} GROUP BY ?other ORDER BY DESC(?shared){tie_break} LIMIT 5"
        )
    if kind == "entity":  # every triple of one concept, with the labels of what it links to
        return (
            PREFIX + f"CONSTRUCT {{ <{param}> ?p ?o . ?o rdfs:label ?l }} WHERE {{\n"
            f"  <{param}> ?p ?o OPTIONAL {{ ?o rdfs:label ?l }}\n}}"
        )
    if kind == "twojoin":  # treatments of a condition with their adverse effects
        return (
            PREFIX + "SELECT ?t ?tl ?ae ?al WHERE {\n"
            f"  ?t hk:treats <{param}> ; rdfs:label ?tl .\n"
            "  OPTIONAL { ?t hk:hasAdverseEffect ?ae . ?ae rdfs:label ?al }\n"
            "} ORDER BY ?tl ?al"
        )
    if kind == "autocomplete":  # labels and synonyms starting with what was typed
        return (
            PREFIX + "SELECT DISTINCT ?s ?l WHERE {\n"
            f"  ?s rdfs:label|<{ALT_LABEL}> ?l .\n"
            f'  FILTER(STRSTARTS(LCASE(STR(?l)), "{param}"))\n'
            "} LIMIT 10"
        )
    if kind == "aggregate":  # articles per hair loss disorder, over the whole graph
        return (
            PREFIX + "SELECT ?c (COUNT(?a) AS ?n) WHERE {\n"
            "  ?a hk:about ?c . ?c a hk:HairLossDisorder .\n"
            "} GROUP BY ?c ORDER BY DESC(?n) LIMIT 10"
        )
    raise ValueError(kind)


def api_path(kind: str, param: str) -> str | None:
    local = param.removeprefix(str(KB))
    if kind == "related":
        return f"/api/v1/articles/{local}/related?limit=5"
    if kind == "entity":
        return f"/api/v1/entities/{local}"
    if kind == "twojoin":
        return f"/api/v1/conditions/{local}/treatments"
    if kind == "autocomplete":
        return f"/api/v1/search?q={quote(param)}"
    return None  # no aggregate in the JSON API


# -- samples of parameters --------------------------------------------------------------------


def read_samples(path: Path, n: int = 1000, seed: int = 7) -> dict:
    """Parameters drawn from the data file: articles, concepts, treated conditions, prefixes."""
    articles, tags, concepts, labels, treated = [], {}, [], {}, set()
    article_type = f"<{HK_}Article>"
    about, mentions, treats = f"<{HK_}about>", f"<{HK_}mentions>", f"<{HK_}treats>"
    kb = f"<{KB_GRAPH}>"
    with path.open(encoding="utf-8") as f:
        for line in f:
            if not line.endswith(f"{kb} .\n"):
                continue
            s, p, rest = line.split(" ", 2)
            if p in (about, mentions):
                tags.setdefault(s[1:-1], []).append(rest.split(" ", 1)[0][1:-1])
            elif rest.startswith(article_type):
                articles.append(s[1:-1])
            elif p == treats:
                treated.add(rest.split(" ", 1)[0][1:-1])
            elif p == f"<{LABEL}>" and "/article-" not in s:
                concepts.append(s[1:-1])
                labels[s[1:-1]] = rest.rsplit('"', 1)[0].lstrip('"')
    rng = random.Random(seed)
    chosen = rng.sample(articles, min(n, len(articles)))
    concept_sample = rng.sample(concepts, min(n, len(concepts)))
    prefixes = [labels[c][:3].lower() for c in rng.choices(concepts, k=n)]
    source = next(a for a in chosen if len(tags.get(a, ())) >= 3)
    return {
        "related": chosen,
        "related_ordered": chosen,
        # for throughput: enough distinct articles that wrk's requests do not repeat (memo)
        "related_many": rng.sample(articles, min(20_000, len(articles))),
        "entity": concept_sample,
        "twojoin": sorted(treated)[:n] if len(treated) <= n else rng.sample(sorted(treated), n),
        "autocomplete": prefixes,
        "aggregate": ["-"],
        "fresh_source": source,
        "fresh_tags": tags[source],
        "articles": len(articles),
        "concepts": len(concepts),
    }


# -- processes and memory ---------------------------------------------------------------------


class Server:
    """A process we start (in its own session) and stop by its process group."""

    def __init__(self, name: str, command: list[str], log_path: Path, env: dict | None = None):
        self.name = name
        self.command = command
        self.log_path = log_path
        self.started_at = time.perf_counter()
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as out:
            self.process = subprocess.Popen(
                command,
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                env={**os.environ, **(env or {})},
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def tree_rss(pid: int) -> int:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


class PeakRss:
    """Samples the RSS of process trees every 50 ms; ``peak`` is the highest sum seen."""

    def __init__(self, pids: list[int]):
        self.pids = list(pids)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, sum(tree_rss(p) for p in self.pids))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, sum(tree_rss(p) for p in self.pids))
        return self.peak


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# -- HTTP ------------------------------------------------------------------------------------


class Client:
    def __init__(self, port: int, timeout: float):
        self.port, self.timeout = port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def get(self, path: str, accept: str = "application/json") -> tuple[int, bytes, float]:
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            started = time.perf_counter()
            try:
                self.conn.request("GET", path, headers={"Accept": accept})
                response = self.conn.getresponse()
                body = response.read()
                return response.status, body, time.perf_counter() - started
            except (http.client.HTTPException, ConnectionError) as error:
                self.close()
                if attempt:
                    raise OSError(str(error)) from error
            except TimeoutError:
                self.close()
                raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def wait_for(port: int, path: str, timeout: float, accept: str = "application/json") -> float:
    """Seconds until ``GET path`` answers 200 (measured from now)."""
    started = time.perf_counter()
    client = Client(port, timeout=max(5.0, timeout))
    while True:
        with contextlib.suppress(OSError, TimeoutError):
            status, _body, _t = client.get(path, accept)
            if status == 200:
                client.close()
                return time.perf_counter() - started
        if time.perf_counter() - started > timeout:
            client.close()
            raise TimeoutError(f"{path} on port {port} not ready after {timeout:g} s")
        time.sleep(0.02)


def export_commit(revision: str, into: Path) -> Path:
    """The ``kb`` and ``ontology`` packages of ``revision`` (``git archive``) in ``into``: the
    code to put first on ``PYTHONPATH`` to measure that commit beside this checkout."""
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "kb", "ontology"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# -- statistics ----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarise_rounds(rounds: list[list[float]]) -> dict:
    """Per-round p50/p95/p99 in ms, then the median over rounds and the spread of p50."""
    per_round = [
        {q: percentile(r, f) * 1000 for q, f in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}
        for r in rounds
        if r
    ]
    if not per_round:
        return {}
    p50s = [r["p50"] for r in per_round]
    return {
        "p50_ms": statistics.median(p50s),
        "p95_ms": statistics.median(r["p95"] for r in per_round),
        "p99_ms": statistics.median(r["p99"] for r in per_round),
        "p50_min_ms": min(p50s),
        "p50_max_ms": max(p50s),
        "n": sum(len(r) for r in rounds),
        "rounds": len(per_round),
    }


# -- configuration ---------------------------------------------------------------------------


@dataclass
class Config:
    sizes: list[str]
    systems: list[str]
    out: Path
    work: Path
    rounds: int = 3
    max_reps: int = 200  # per query per round
    budget_s: float = 3.0  # per query per round (at least min_reps requests)
    min_reps: int = 3
    request_timeout_s: float = 60.0
    wrk_seconds: int = 5
    wrk_connections: int = 4
    fresh_runs: int = 3
    brute_force_samples: int = 20
    quick: bool = False
    sparql_cache_mb: int | None = None  # hairkg's answer cache and front; None: its default
    start_timeout_s: float = 600.0  # a first start builds the indexes: 7 min at 10M, loaded
    keep_store: bool = False  # reuse the store loaded from the same data file by a former run
    results: dict = field(default_factory=dict)


# -- one system ------------------------------------------------------------------------------


class Target:
    """How to ask a running system each query: SPARQL path, JSON API path."""

    def __init__(self, name: str, port: int, sparql_path: str | None, api: bool):
        self.name, self.port, self.sparql_path, self.api = name, port, sparql_path, api

    def interfaces(self, kind: str) -> list[str]:
        out = []
        if self.api and api_path(kind, "x") is not None:
            out.append("api")
        # hairkg's /sparql is measured on the queries the engine answers fast; its related
        # answer is the API (the same engine's SPARQL for it is measured on `oxigraph`).
        if self.sparql_path and not (self.api and kind.startswith("related")):
            out.append("sparql")
        return out

    def request(self, interface: str, kind: str, param: str) -> tuple[str, str]:
        if interface == "api":
            return api_path(kind, param), "application/json"
        accept = GRAPH_ACCEPT if kind == "entity" else SELECT_JSON
        if self.name == "rdflib-endpoint" and kind == "entity":
            accept = "text/turtle"
        query = urlencode({"query": sparql_for(kind, param)})
        return f"{self.sparql_path}?{query}", accept


def measure_latency(cfg: Config, target: Target, samples: dict, restart=None) -> dict:
    """{(interface, kind): summary} over cfg.rounds rounds; each request a new parameter."""
    results: dict = {}
    raw: dict = {}
    cursor: dict = {}
    skipped: dict = {}
    client = Client(target.port, timeout=cfg.request_timeout_s)
    for round_no in range(cfg.rounds):
        for kind in QUERIES:
            for interface in target.interfaces(kind):
                key = f"{interface}:{kind}"
                if key in skipped:
                    continue
                params = samples[kind]
                times: list[float] = []
                started = time.perf_counter()
                while len(times) < cfg.max_reps:
                    i = cursor.get(key, 0)
                    cursor[key] = i + 1
                    path, accept = target.request(interface, kind, params[i % len(params)])
                    try:
                        status, body, seconds = client.get(path, accept)
                    except (TimeoutError, OSError) as error:
                        skipped[key] = f"no answer within {cfg.request_timeout_s:g} s ({error})"
                        client.close()
                        if restart:
                            restart()
                        break
                    if status != 200:
                        skipped[key] = f"HTTP {status}: {body[:200]!r}"
                        break
                    times.append(seconds)
                    elapsed = time.perf_counter() - started
                    if len(times) >= cfg.min_reps and elapsed > cfg.budget_s:
                        break
                raw.setdefault(key, []).append(times)
            log(f"  {target.name}: round {round_no + 1} {kind} done")
    for key, rounds in raw.items():
        summary = summarise_rounds(rounds)
        if key in skipped:
            summary["skipped"] = skipped[key]
        results[key] = summary
    for key, reason in skipped.items():
        results.setdefault(key, {"skipped": reason})
    client.close()
    return results


# Appended to a /sparql path by wrk_run(unique=True): a comment line with the request's
# number ends the query text, so no query text is ever sent twice (no answer cache can help).
UNIQUE_SUFFIX = "%0A%23"


def wrk_run(
    cfg: Config, port: int, paths: list[str], accept: str, label: str, unique: bool = False
) -> dict:
    """wrk cycling over ``paths``; with ``unique``, each request's query text made new by a
    trailing comment with a request counter (the paths must end with the query parameter)."""
    if not shutil.which("wrk"):
        return {"skipped": "wrk is not installed (apt-get install wrk)"}
    script = cfg.work / f"wrk-{label}.lua"
    quoted = ",\n".join(json.dumps(p) for p in paths)
    path = f'paths[n % #paths + 1] .. "{UNIQUE_SUFFIX}" .. n' if unique else "paths[n % #paths + 1]"
    script.write_text(
        "local paths = {\n" + quoted + "\n}\nlocal n = 0\n"
        f'wrk.headers["Accept"] = "{accept}"\n'
        "request = function()\n  n = n + 1\n"
        f'  return wrk.format("GET", {path})\nend\n'
    )
    rates, errors = [], 0
    for _ in range(cfg.rounds):
        result = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{cfg.wrk_connections}",
                f"-d{cfg.wrk_seconds}s",
                "--timeout",
                f"{int(cfg.request_timeout_s)}s",
                "-s",
                str(script),
                f"http://{HOST}:{port}",
            ],
            capture_output=True,
            text=True,
            timeout=cfg.wrk_seconds + cfg.request_timeout_s + 30,
            check=False,
        )
        found = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
        if not found:
            return {"skipped": f"wrk failed: {result.stdout[-300:]} {result.stderr[-300:]}"}
        rates.append(float(found.group(1)))
        bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", result.stdout)
        timeouts = re.search(r"timeout (\d+)", result.stdout)
        errors += int(bad.group(1)) if bad else 0
        errors += int(timeouts.group(1)) if timeouts else 0
    return {
        "rps": statistics.median(rates),
        "rps_min": min(rates),
        "rps_max": max(rates),
        "errors": errors,
        "rounds": len(rates),
        "connections": cfg.wrk_connections,
        "seconds": cfg.wrk_seconds,
    }


def measure_throughput(cfg: Config, target: Target, samples: dict, latency: dict) -> dict:
    out = {}
    tests = [("sparql", "entity"), ("api", "entity"), ("api", "autocomplete"), ("api", "related")]
    tests.append(("sparql", "related"))
    # never-repeated query texts (what real SPARQL clients send): every request a new text
    tests += [("sparql", "entity_unique"), ("sparql", "twojoin_unique")]
    for interface, row in tests:
        kind = row.removesuffix("_unique")
        if interface not in target.interfaces(kind):
            continue
        key = f"{interface}:{row}"
        summary = latency.get(f"{interface}:{kind}", {})
        if "skipped" in summary:
            out[key] = {"skipped": "latency run did not answer: " + summary["skipped"][:120]}
            continue
        if summary.get("p50_ms", 0) > 5000:
            out[key] = {"skipped": f"one answer takes {summary['p50_ms'] / 1000:.1f} s (p50)"}
            continue
        params = samples["related_many"] if kind == "related" else samples[kind][:500]
        requests = [target.request(interface, kind, p) for p in params]
        out[key] = wrk_run(
            cfg,
            target.port,
            [r[0] for r in requests],
            requests[0][1],
            f"{target.name}-{key}",
            unique=row != kind,
        )
        log(f"  {target.name}: throughput {key}: {out[key]}")
    return out


# -- brute-force check of the related answers ---------------------------------------------------


def check_related(cfg: Config, port: int, store, samples: dict) -> dict:
    """The API's top 10 for a few articles equals the exact brute-force ranking (the reference
    implementation of tests/unit/test_api_related_index.py) over an index built from the store."""
    import importlib.util

    from kb.read.indexes import load_indexes, related_weights
    from kb.settings import Settings

    spec = importlib.util.spec_from_file_location(
        "related_reference", ROOT / "tests" / "unit" / "test_api_related_index.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    settings = Settings()
    weights = related_weights(settings)
    indexes = load_indexes(store, weights)
    client = Client(port, timeout=cfg.request_timeout_s)
    checked, mismatches = 0, []
    for iri in samples["related"][: cfg.brute_force_samples]:
        source = indexes.related.articles[iri]
        expected = module.brute_force(indexes.related, source, 10)
        local = iri.removeprefix(str(KB))
        status, body, _t = client.get(f"/api/v1/articles/{local}/related?limit=10")
        if status != 200:
            mismatches.append({"article": local, "status": status})
            continue
        got = [(item["iri"], item["score"]) for item in json.loads(body)["items"]]
        same = [g[0] for g in got] == [e[0] for e in expected] and all(
            abs(g[1] - round(e[1], 6)) < 1e-6 for g, e in zip(got, expected, strict=True)
        )
        checked += 1
        if not same:
            mismatches.append({"article": local, "api": got[:3], "exact": expected[:3]})
    client.close()
    return {"checked": checked, "mismatches": mismatches, "k": 10, "equal": not mismatches}


# -- freshness ---------------------------------------------------------------------------------


BENCH_TOKEN = "bench-writer-secret"


def measure_freshness(cfg: Config, port: int, samples: dict) -> dict:
    """Seconds from sending ``POST /api/v1/edit/articles`` (one new article copying the tags of
    an existing one, through the write gate: validation, history record) to the article
    appearing in the related answer of the article whose tags it copies, and to 5 answers in a
    row showing it (a new connection each time, so both workers answer)."""
    source = samples["fresh_source"]
    tags = samples["fresh_tags"]
    local = source.removeprefix(str(KB))
    runs = []
    for n in range(cfg.fresh_runs):
        new_id = f"article-fresh-{n}-{int(time.time())}"
        document = {
            "id": new_id,
            "url": f"https://publisher.example/articles/0000/{new_id}",
            "title": f"Fresh article {new_id}",
            "date": "2025-01-01",
            "about": [tags[0].removeprefix(str(KB))],
            "mentions": [t.removeprefix(str(KB)) for t in tags[1:]],
        }
        conn = http.client.HTTPConnection(HOST, port, timeout=cfg.request_timeout_s)
        sent = time.perf_counter()
        conn.request(
            "POST",
            "/api/v1/edit/articles",
            body=json.dumps(document).encode(),
            headers={
                "Authorization": f"Bearer {BENCH_TOKEN}",
                "Content-Type": "application/json",
            },
        )
        response = conn.getresponse()
        answer = response.read()
        conn.close()
        accepted = time.perf_counter() - sent
        if response.status != 201:
            raise RuntimeError(f"the write was refused: {response.status} {answer[:500]!r}")
        first = stable = None
        streak = 0
        while time.perf_counter() - sent < 120:
            client = Client(port, timeout=cfg.request_timeout_s)
            status, body, _t = client.get(f"/api/v1/articles/{local}/related?limit=50")
            client.close()
            seen = status == 200 and new_id in body.decode()
            if seen:
                streak += 1
                first = first or time.perf_counter() - sent
                if streak >= 5:
                    stable = time.perf_counter() - sent
                    break
            else:
                streak = 0
            time.sleep(0.01)
        runs.append({"first_s": first, "stable_s": stable, "write_s": accepted})
        log(f"  freshness run {n + 1}: {runs[-1]}")
    firsts = [r["first_s"] for r in runs if r["first_s"] is not None]
    stables = [r["stable_s"] for r in runs if r["stable_s"] is not None]
    writes = [r["write_s"] for r in runs]
    return {
        "runs": runs,
        "first_s": statistics.median(firsts) if firsts else None,
        "stable_s": statistics.median(stables) if stables else None,
        "write_s": statistics.median(writes) if writes else None,
        "how": "POST /api/v1/edit/articles (write gate, default validation) to the article in "
        "the related answer; times from sending the POST",
    }


# -- the systems --------------------------------------------------------------------------------


def oxigraph_bin() -> str:
    return str(VENV_BIN / "oxigraph")


def load_store(cfg: Config, data: Path, location: Path) -> dict:
    if location.exists():
        shutil.rmtree(location)
    location.mkdir(parents=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [oxigraph_bin(), "load", "--location", str(location), "--file", str(data)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    peak = PeakRss([process.pid])
    _out, err = process.communicate()
    seconds = time.perf_counter() - started
    rss = peak.stop()
    if process.returncode:
        raise RuntimeError(f"oxigraph load failed: {err.decode()[-500:]}")
    return {"load_s": seconds, "load_peak_rss": rss, "disk_bytes": dir_size(location)}


def kept_or_loaded_store(cfg: Config, data: Path, location: Path) -> dict:
    """``load_store``'s figures; with ``cfg.keep_store``, those of the former load of the same
    data file into ``location`` (its size and modification time recorded beside it), without
    loading again (a 10M load takes 1-4 min)."""
    record = location.parent / "store-load.json"
    stat = data.stat()
    source = {"data": str(data), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if cfg.keep_store and location.exists() and record.exists():
        former = json.loads(record.read_text())
        if former.get("source") == source:
            log(f"  kept the store loaded from {data} by a former run")
            return former["figures"]
    record.unlink(missing_ok=True)
    figures = load_store(cfg, data, location)
    record.write_text(json.dumps({"source": source, "figures": figures}))
    return figures


def start_oxigraph(location: Path, port: int, logs: Path) -> Server:
    # No --timeout-s: Oxigraph 0.5.13 then keeps one thread per query alive for the whole
    # timeout (oxigraph/oxigraph#1874), and a few thousand queries/s exhaust the threads.
    return Server(
        "oxigraph",
        [
            oxigraph_bin(),
            "serve",
            "--location",
            str(location),
            "--bind",
            f"{HOST}:{port}",
            "--union-default-graph",
        ],
        logs,
    )


def start_hairkg(
    args: list[str],
    port: int,
    logs: Path,
    cache_mb: int | None = None,
    command: str = "",
    env: dict | None = None,
) -> Server:
    """``hairkg serve`` (``command``: another installation's ``hairkg``, e.g. a baseline)."""
    return Server(
        "hairkg",
        [
            command or str(VENV_BIN / "hairkg"),
            "serve",
            *args,
            "--host",
            HOST,
            "--port",
            str(port),
            "--query-timeout-cap",
            "120",
        ],
        logs,
        env={
            "HAIRKG_LOG_LEVEL": "warning",
            "HAIRKG_TOKENS": f"bench:{BENCH_TOKEN}:write",
            "HAIRKG_TOKENS_FILE": "",
            "HAIRKG_RATE_LIMIT": "off",
            # the server's default unless --sparql-cache-mb says otherwise
            **({"HAIRKG_SPARQL_CACHE_MB": str(cache_mb)} if cache_mb is not None else {}),
            **(env or {}),
        },
    )


def run_oxigraph(cfg: Config, size: str, store: Path, samples: dict) -> dict:
    out: dict = {"cold_start": []}
    port = free_port()
    logs = cfg.work / size / "logs" / "oxigraph.log"
    server = None
    for _ in range(cfg.rounds):
        server = start_oxigraph(store, port, logs)
        out["cold_start"].append({"ready_s": wait_for(port, "/query?query=ASK%7B%7D", 120)})
        if len(out["cold_start"]) < cfg.rounds:
            server.stop()
    peak = PeakRss([server.process.pid])
    target = Target("oxigraph", port, "/query", api=False)
    out["latency"] = measure_latency(cfg, target, samples)
    out["throughput"] = measure_throughput(cfg, target, samples, out["latency"])
    out["peak_rss"] = peak.stop()
    out["rss_end"] = tree_rss(server.process.pid)
    server.stop()
    return out


def _hairkg_session(
    cfg, size, samples, args, logs, extra_pids=(), store_url=None, store=None, env=None
) -> dict:
    """``store``: the engine's store for the related check (default: an Oxigraph server at
    ``store_url``); ``env``: for ``hairkg serve`` (a store password)."""
    from kb.store.client import SparqlStore

    out: dict = {"cold_start": []}
    port = free_port()
    server = None
    related = api_path("related", samples["related"][-1])
    try:
        for _ in range(cfg.rounds):
            server = start_hairkg(args, port, logs, cfg.sparql_cache_mb, env=env)
            healthz = wait_for(port, "/healthz", 300)
            first_related = wait_for(port, related, cfg.start_timeout_s)
            start = {"healthz_s": healthz, "first_related_s": healthz + first_related}
            out["cold_start"].append(start)
            log(f"  hairkg cold start: {out['cold_start'][-1]}")
            if len(out["cold_start"]) < cfg.rounds:
                server.stop()
        # both workers build their indexes: wait until a burst of requests all succeed fast
        for _ in range(10):
            wait_for(port, related, cfg.start_timeout_s)
        peak = PeakRss([server.process.pid, *extra_pids])
        if store_url is None:
            store_url = managed_store_url(logs)
        out["store_url"] = store_url
        store = store or SparqlStore.for_server(store_url, timeout_s=300)
        out["related_check"] = check_related(cfg, port, store, samples)
        log(f"  related check: {out['related_check']['equal']}")
        target = Target("hairkg", port, "/sparql", api=True)
        out["latency"] = measure_latency(cfg, target, samples)
        out["throughput"] = measure_throughput(cfg, target, samples, out["latency"])
        out["rss_steady"] = tree_rss(server.process.pid) + sum(tree_rss(p) for p in extra_pids)
        out["freshness"] = measure_freshness(cfg, port, samples)
        out["peak_rss"] = peak.stop()
    finally:  # also when a start times out: never leave a server behind (it would hold the
        if server is not None:  # data dir the next run recreates)
            server.stop()
    return out


def managed_store_url(logs: Path) -> str:
    text = logs.read_text(errors="replace")
    found = re.findall(r"store ready at (http://\S+)", text)
    if not found:
        raise RuntimeError(f"no 'store ready at' line in {logs}")
    return found[-1]


def run_hairkg(cfg: Config, size: str, store: Path, samples: dict) -> dict:
    data_dir = cfg.work / size / "hairkg-data"
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    shutil.copytree(store, data_dir / "oxigraph")  # a loaded store: no build on start
    logs = cfg.work / size / "logs" / "hairkg.log"
    logs.unlink(missing_ok=True)
    out = _hairkg_session(cfg, size, samples, ["--data-dir", str(data_dir)], logs)
    out["disk_bytes"] = dir_size(data_dir / "oxigraph")
    return out


def run_hairkg_remote(cfg: Config, size: str, store: Path, samples: dict) -> dict:
    location = cfg.work / size / "remote-store"
    if location.exists():
        shutil.rmtree(location)
    shutil.copytree(store, location)
    oxi_port = free_port()
    oxi = start_oxigraph(location, oxi_port, cfg.work / size / "logs" / "remote-oxigraph.log")
    try:
        wait_for(oxi_port, "/query?query=ASK%7B%7D", 120)
        url = f"http://{HOST}:{oxi_port}"
        logs = cfg.work / size / "logs" / "hairkg-remote.log"
        return _hairkg_session(
            cfg,
            size,
            samples,
            ["--store-url", url],
            logs,
            extra_pids=[oxi.process.pid],
            store_url=url,
        )
    finally:
        oxi.stop()


def run_hairkg_virtuoso(cfg: Config, size: str, data: Path, samples: dict) -> dict:
    """hairkg in front of a Virtuoso of its own, bulk-loaded from the same N-Quads."""
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "system")]
    from virtuoso_engine import UPDATE_PASSWORD, UPDATE_USER, Virtuoso

    from kb.store.client import SparqlStore
    from kb.store.engines import endpoints_for

    location = cfg.work / size / "virtuoso"
    if location.exists():
        shutil.rmtree(location)
    # 800 MB of buffers (Virtuoso's advice for a few million triples), no row cap below
    # what the index load reads, queries up to the client's limit
    engine = Virtuoso(location, buffers=100000, max_rows=50_000_000, max_execution_s=300)
    engine.start()
    try:
        started = time.perf_counter()
        peak = PeakRss([engine.process.pid])
        engine.bulk_load(data)
        load = {"load_s": time.perf_counter() - started, "load_peak_rss": peak.stop()}
        log(f"  virtuoso bulk load: {load}")
        url = engine.url + "/sparql"
        store = SparqlStore.for_endpoints(
            endpoints_for(url, kind="virtuoso", user=UPDATE_USER, password=UPDATE_PASSWORD),
            timeout_s=300,
        )
        out = _hairkg_session(
            cfg,
            size,
            samples,
            [
                "--store-url",
                url,
                "--store-kind",
                "virtuoso",
                "--store-user",
                UPDATE_USER,
                "--data-dir",
                str(cfg.work / size / "hairkg-virtuoso"),
            ],
            cfg.work / size / "logs" / "hairkg-virtuoso.log",
            extra_pids=[engine.process.pid],
            store_url=url,
            store=store,
            env={"HAIRKG_STORE_PASSWORD": UPDATE_PASSWORD},
        )
        out.update(load)
        out["disk_bytes"] = dir_size(location)
        return out
    finally:
        engine.stop()


def run_rdflib_endpoint(cfg: Config, size: str, data: Path, samples: dict) -> dict:
    port = free_port()
    logs = cfg.work / size / "logs" / "rdflib-endpoint.log"
    command = [
        str(VENV_BIN / "rdflib-endpoint"),
        "serve",
        str(data),
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    state: dict = {}

    def start():
        server = Server("rdflib-endpoint", command, logs)
        peak = PeakRss([server.process.pid])
        ready = wait_for(port, "/?query=ASK%7B%7D", 1800, SELECT_JSON)
        state.update(server=server, peak=peak)
        return ready, peak

    ready, peak = start()
    out: dict = {"cold_start": [{"ready_s": ready}], "load_s": ready, "load_peak_rss": peak.peak}
    restarts = []

    def restart():  # a query past the client's limit keeps the server busy: start afresh
        state["server"].stop()
        out["peak_rss_before_restart"] = max(out.get("peak_rss_before_restart", 0), peak.stop())
        seconds, _peak = start()
        restarts.append(seconds)

    target = Target("rdflib-endpoint", port, "/", api=False)
    out["latency"] = measure_latency(cfg, target, samples, restart=restart)
    out["throughput"] = measure_throughput(cfg, target, samples, out["latency"])
    out["restarts_s"] = restarts
    out["peak_rss"] = max(state["peak"].stop(), out.get("peak_rss_before_restart", 0))
    state["server"].stop()
    return out


def run_rdflib(cfg: Config, size: str, data: Path, samples: dict) -> dict:
    """rdflib in a child process; queries timed there (no HTTP), limited by SIGALRM."""
    jobs = {
        "data": str(data),
        "rounds": cfg.rounds,
        "max_reps": cfg.max_reps,
        "budget_s": cfg.budget_s,
        "min_reps": cfg.min_reps,
        "timeout_s": int(cfg.request_timeout_s),
        "queries": {k: [sparql_for(k, p) for p in samples[k][:300]] for k in QUERIES},
    }
    job_file = cfg.work / size / "rdflib-jobs.json"
    job_file.write_text(json.dumps(jobs))
    result = subprocess.run(
        [sys.executable, __file__, "--rdflib-child", str(job_file)],
        capture_output=True,
        text=True,
        check=False,
        timeout=7200,
    )
    if result.returncode:
        return {"error": result.stderr[-2000:]}
    child = json.loads(result.stdout)
    latency = {}
    for kind, info in child["latency"].items():
        summary = summarise_rounds(info["rounds"])
        if info.get("skipped"):
            summary["skipped"] = info["skipped"]
        latency[f"inprocess:{kind}"] = summary
    return {
        "load_s": child["load_s"],
        "peak_rss": child["peak_rss"],
        "latency": latency,
        "cold_start": [{"ready_s": child["load_s"]}],
    }


def rdflib_child(job_file: str) -> int:
    import resource

    from rdflib import Dataset

    jobs = json.loads(Path(job_file).read_text())
    started = time.perf_counter()
    ds = Dataset(default_union=True)
    ds.parse(jobs["data"], format="nquads")
    load_s = time.perf_counter() - started

    class Timeout(Exception):
        pass

    def alarm(_signum, _frame):
        raise Timeout

    signal.signal(signal.SIGALRM, alarm)
    latency: dict = {}
    for _round in range(jobs["rounds"]):
        for kind in QUERIES:
            info = latency.setdefault(kind, {"rounds": [], "cursor": 0})
            if info.get("skipped"):
                continue
            texts = jobs["queries"][kind]
            times: list[float] = []
            begun = time.perf_counter()
            while len(times) < jobs["max_reps"]:
                text = texts[info["cursor"] % len(texts)]
                info["cursor"] += 1
                signal.alarm(jobs["timeout_s"])
                t0 = time.perf_counter()
                try:
                    list(ds.query(text))
                except Timeout:
                    info["skipped"] = f"no answer within {jobs['timeout_s']} s"
                    break
                finally:
                    signal.alarm(0)
                times.append(time.perf_counter() - t0)
                if (
                    len(times) >= jobs["min_reps"]
                    and time.perf_counter() - begun > jobs["budget_s"]
                ):
                    break
            info["rounds"].append(times)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    json.dump({"load_s": load_s, "peak_rss": peak, "latency": latency}, sys.stdout)
    return 0


# -- the run ------------------------------------------------------------------------------------


def machine() -> dict:
    import importlib.metadata as md

    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    versions = {}
    for name in ("pyoxigraph", "oxigraph", "rdflib", "rdflib-endpoint", "gunicorn", "flask"):
        with contextlib.suppress(md.PackageNotFoundError):
            versions[name] = md.version(name)
    wrk = ""
    if shutil.which("wrk"):
        probe = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        wrk = (probe.stdout + probe.stderr).strip().splitlines()[0]
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
        "wrk": wrk,
        "commit": commit,
        "modified_files": sorted(line[3:] for line in dirty if line.strip()),
    }


def run_size(cfg: Config, size: str) -> dict:
    data = cfg.work / "data" / f"{size}.nq"
    triples = generate_synthetic.SIZES[size]
    if not data.exists():
        log(f"generating {data}")
        summary = generate_synthetic.generate(triples, data, progress=not cfg.quick)
    else:
        summary = {"file": str(data)}
    samples = read_samples(data)
    summary.update(articles=samples["articles"], concepts=samples["concepts"])
    summary["triples"] = sum(1 for _ in data.open(encoding="utf-8"))
    out: dict = {"data": summary, "systems": {}}
    store = cfg.work / size / "store"
    oxigraph_systems = {"hairkg", "hairkg-remote", "oxigraph"} & set(cfg.systems)
    if oxigraph_systems:
        log(f"{size}: oxigraph load")
        out["store_load"] = kept_or_loaded_store(cfg, data, store)
        log(f"{size}: {out['store_load']}")
    runners = {
        "hairkg-virtuoso": lambda: run_hairkg_virtuoso(cfg, size, data, samples),
        "oxigraph": lambda: run_oxigraph(cfg, size, store, samples),
        "hairkg-remote": lambda: run_hairkg_remote(cfg, size, store, samples),
        "hairkg": lambda: run_hairkg(cfg, size, store, samples),
        "rdflib-endpoint": lambda: run_rdflib_endpoint(cfg, size, data, samples),
        "rdflib": lambda: run_rdflib(cfg, size, data, samples),
    }
    for name in ("oxigraph", "hairkg-remote", "hairkg", "hairkg-virtuoso", *SYSTEMS[3:]):
        if name not in cfg.systems:
            continue
        log(f"{size}: {name}")
        started = time.perf_counter()
        load_before = os.getloadavg()[0]
        try:
            result = runners[name]()
        except Exception as error:  # keep the other systems' figures
            log(f"{size}: {name} failed: {error!r}")
            result = {"error": repr(error)}
        result["wall_s"] = time.perf_counter() - started
        # other work on the machine shows here (1-minute load average, 2 cores)
        result["loadavg_before_after"] = [load_before, os.getloadavg()[0]]
        if name in oxigraph_systems and "store_load" in out:
            result.setdefault("load_s", out["store_load"]["load_s"])
            result.setdefault("load_peak_rss", out["store_load"]["load_peak_rss"])
            result.setdefault("disk_bytes", out["store_load"]["disk_bytes"])
        out["systems"][name] = result
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="hairkg benchmarks at scale")
    parser.add_argument("--sizes", default="10k,100k,1m", help="comma-separated: 10k,100k,1m,10m")
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help=f"comma-separated, of {', '.join(SYSTEMS + EXTRA_SYSTEMS)} (default: all but "
        f"{', '.join(EXTRA_SYSTEMS)})",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=3.0, help="seconds per query per round")
    parser.add_argument("--wrk-seconds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    parser.add_argument("--quick", action="store_true", help="few iterations (for the tests)")
    parser.add_argument(
        "--start-timeout",
        type=float,
        default=600.0,
        help="seconds to the first related answer of hairkg's first start (it builds the indexes)",
    )
    parser.add_argument(
        "--keep-store",
        action="store_true",
        help="reuse the store a former run loaded from the same data file (no new bulk load)",
    )
    parser.add_argument("--no-plot", action="store_true")
    parser.add_argument(
        "--sparql-cache-mb",
        type=int,
        help="hairkg's /sparql answer cache per worker (HAIRKG_SPARQL_CACHE_MB; 0: off)",
    )
    parser.add_argument(
        "--merge", action="store_true", help="keep the other systems' figures in --out"
    )
    parser.add_argument("--report", type=Path, help="print Markdown tables of a results.json")
    parser.add_argument("--rdflib-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rdflib_child:
        return rdflib_child(args.rdflib_child)
    if args.report:
        results = json.loads(args.report.read_text())
        print(report(results))
        if not args.no_plot:
            plot(results, args.report.parent / "latency-vs-size.png")
        return 0
    cfg = Config(
        sizes=[s.strip() for s in args.sizes.split(",") if s.strip()],
        systems=[s.strip() for s in args.systems.split(",") if s.strip()],
        out=args.out,
        work=args.work,
        rounds=args.rounds,
        budget_s=args.budget,
        wrk_seconds=args.wrk_seconds,
        request_timeout_s=args.timeout,
        quick=args.quick,
        sparql_cache_mb=args.sparql_cache_mb,
        start_timeout_s=args.start_timeout,
        keep_store=args.keep_store,
    )
    if args.quick:
        cfg.rounds, cfg.max_reps, cfg.budget_s, cfg.min_reps = 1, 5, 0.5, 2
        cfg.wrk_seconds, cfg.fresh_runs, cfg.brute_force_samples = 1, 1, 3
        cfg.request_timeout_s = min(cfg.request_timeout_s, 30.0)
    unknown = set(cfg.systems) - {*SYSTEMS, *EXTRA_SYSTEMS} or set(cfg.sizes) - set(
        generate_synthetic.SIZES
    )
    if unknown:
        parser.error(f"unknown: {sorted(unknown)}")
    cfg.work.mkdir(parents=True, exist_ok=True)
    cfg.out.mkdir(parents=True, exist_ok=True)
    results = {
        "command": "scripts/bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "settings": {
            k: getattr(cfg, k)
            for k in (
                "rounds",
                "max_reps",
                "budget_s",
                "min_reps",
                "request_timeout_s",
                "wrk_seconds",
                "wrk_connections",
                "fresh_runs",
                "brute_force_samples",
                "quick",
                "sparql_cache_mb",
            )
        },
        "queries": {k: sparql_for(k, "PARAM") for k in QUERIES},
        "sizes": {},
    }
    results_file = cfg.out / "results.json"
    if args.merge and results_file.exists():
        previous = json.loads(results_file.read_text())
        previous.setdefault("merged_commands", []).append(results["command"])
        previous["machine_at_merge"] = results["machine"]
        previous.setdefault("queries", {}).update(results["queries"])
        results = previous
    for size in cfg.sizes:
        fresh = run_size(cfg, size)
        if args.merge:
            merge_size(results, size, fresh)
        else:
            results["sizes"][size] = fresh
        write_outputs(cfg, results, results_file)  # after each size: partial runs are kept
    if not args.no_plot:
        plot(results, cfg.out / "latency-vs-size.png")
    (cfg.out / "tables.md").write_text(report(results))
    log(f"wrote {results_file}")
    return 0


def merge_size(results: dict, size: str, fresh: dict) -> None:
    """Puts a size's fresh figures into ``results``, keeping the systems not re-run if they
    were measured on the same data; figures of other data (the generator changed since) are
    dropped, so that no table mixes two graphs under one heading."""
    previous = results["sizes"].get(size)
    same_data = previous is not None and all(
        previous.get("data", {}).get(k) == fresh["data"].get(k)
        for k in ("triples", "articles", "concepts")
    )
    if not same_data:
        if previous is not None:
            kept = sorted(set(previous["systems"]) - set(fresh["systems"]))
            log(f"{size}: the data changed; dropping the earlier figures of {kept}")
        results["sizes"][size] = fresh
        return
    previous["systems"].update(fresh["systems"])
    if "store_load" in fresh:
        previous["store_load"] = fresh["store_load"]


def write_outputs(cfg: Config, results: dict, results_file: Path) -> None:
    results_file.write_text(json.dumps(results, indent=1, default=str) + "\n")
    with (cfg.out / "results.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["size", "system", "metric", "value", "unit", "detail"])
        for row in flat_rows(results):
            writer.writerow(row)


def flat_rows(results: dict):
    for size, per_size in results["sizes"].items():
        for system, r in per_size["systems"].items():
            for metric in ("load_s", "wall_s"):
                if metric in r:
                    yield size, system, metric, round(r[metric], 4), "s", ""
            for metric in ("load_peak_rss", "peak_rss", "rss_steady", "disk_bytes"):
                if metric in r:
                    yield size, system, metric, r[metric], "bytes", ""
            for i, start in enumerate(r.get("cold_start", [])):
                for k, v in start.items():
                    yield size, system, f"cold_start.{k}", round(v, 4), "s", f"run {i + 1}"
            for key, s in r.get("latency", {}).items():
                for q in ("p50_ms", "p95_ms", "p99_ms", "p50_min_ms", "p50_max_ms"):
                    if q in s:
                        yield size, system, f"latency.{key}.{q}", round(s[q], 4), "ms", s["n"]
                if "skipped" in s:
                    yield size, system, f"latency.{key}", "", "", s["skipped"]
            for key, s in r.get("throughput", {}).items():
                if "rps" in s:
                    yield (
                        size,
                        system,
                        f"throughput.{key}",
                        s["rps"],
                        "req/s",
                        (f"min {s['rps_min']} max {s['rps_max']} errors {s['errors']}"),
                    )
                else:
                    yield size, system, f"throughput.{key}", "", "", s.get("skipped", "")
            fresh = r.get("freshness")
            if fresh:
                for k in ("first_s", "stable_s", "write_s"):
                    if k in fresh:
                        yield (
                            size,
                            system,
                            f"freshness.{k}",
                            fresh[k],
                            "s",
                            json.dumps(fresh["runs"]),
                        )
            check = r.get("related_check")
            if check:
                yield size, system, "related_check.equal", check["equal"], "", check["checked"]


COLUMNS = (
    ("hairkg", "api", "hairkg API"),
    ("hairkg", "sparql", "hairkg /sparql"),
    ("hairkg-remote", "api", "hairkg remote API"),
    ("hairkg-remote", "sparql", "hairkg remote /sparql"),
    ("hairkg-virtuoso", "api", "hairkg on Virtuoso API"),
    ("hairkg-virtuoso", "sparql", "hairkg on Virtuoso /sparql"),
    ("oxigraph", "sparql", "Oxigraph server"),
    ("rdflib-endpoint", "sparql", "rdflib-endpoint"),
    ("rdflib", "inprocess", "rdflib in process"),
)
SYSTEM_NAMES = {
    "hairkg": "hairkg (embedded)",
    "hairkg-remote": "hairkg (remote store)",
    "hairkg-virtuoso": "hairkg (Virtuoso store)",
    "oxigraph": "Oxigraph server",
    "rdflib-endpoint": "rdflib-endpoint",
    "rdflib": "rdflib in process",
}


def _ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def _s(value) -> str:
    return f"{value:.2f} s" if isinstance(value, int | float) else "never (timeout)"


def _mib(value) -> str:
    return f"{value / 2**20:.0f} MiB" if value else "-"


def report(results: dict) -> str:
    """Markdown tables: per size, latency (p50 / p95 / p99 ms, p50 spread), load, memory,
    cold start, throughput, freshness."""
    lines = []
    for size, per_size in results["sizes"].items():
        data = per_size["data"]
        systems = per_size["systems"]
        lines.append(
            f"### {size}: {data.get('triples', 0):,} triples, {data.get('articles', 0):,} "
            f"articles, {data.get('concepts', 0):,} concepts\n"
        )
        present = [
            c
            for c in COLUMNS
            if any(k.startswith(c[1] + ":") for k in systems.get(c[0], {}).get("latency", {}))
        ]
        lines.append("Latency, ms: p50 / p95 / p99 (range of the per-round p50; requests)\n")
        lines.append("| query | " + " | ".join(c[2] for c in present) + " |")
        lines.append("|---" * (len(present) + 1) + "|")
        for kind in QUERIES:
            cells = []
            for system, interface, _label in present:
                s = systems[system].get("latency", {}).get(f"{interface}:{kind}")
                if not s:
                    cells.append("n/a")
                elif "p50_ms" not in s:
                    cells.append("no answer: " + s.get("skipped", "")[:40])
                else:
                    cell = f"{_ms(s['p50_ms'])} / {_ms(s['p95_ms'])} / {_ms(s['p99_ms'])}"
                    cell += f" ({_ms(s['p50_min_ms'])}-{_ms(s['p50_max_ms'])}; {s['n']})"
                    if "skipped" in s:
                        cell += " then no answer in time"
                    cells.append(cell)
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
        lines.append("")
        lines.append(
            "| system | bulk load | load peak RSS | on disk | cold start: ready | "
            "cold start: first related | peak RSS (serving) | load avg before/after |"
        )
        lines.append("|---|---|---|---|---|---|---|---|")
        for name, r in systems.items():
            if "error" in r:
                lines.append(f"| {SYSTEM_NAMES[name]} | error: {r['error'][:80]} |||||||")
                continue
            starts = r.get("cold_start", [])
            ready = [s.get("healthz_s", s.get("ready_s")) for s in starts]
            first = [s["first_related_s"] for s in starts if "first_related_s" in s]
            med = lambda xs: f"{statistics.median(xs):.2f} s (n={len(xs)})" if xs else "-"  # noqa: E731
            load = r.get("loadavg_before_after", ["", ""])
            lines.append(
                f"| {SYSTEM_NAMES[name]} | {r.get('load_s', 0):.2f} s | "
                f"{_mib(r.get('load_peak_rss'))} | {_mib(r.get('disk_bytes'))} | {med(ready)} | "
                f"{med(first)}"
                + (f", 1st start {first[0]:.2f} s" if len(first) > 1 else "")
                + f" | {_mib(r.get('peak_rss'))} | "
                + (f"{load[0]:.1f} / {load[1]:.1f} |" if load[0] != "" else "- |")
            )
        lines.append("")
        rows = []
        for name, r in systems.items():
            for key, t in r.get("throughput", {}).items():
                if "rps" in t:
                    value = (
                        f"{t['rps']:.0f} ({t['rps_min']:.0f}-{t['rps_max']:.0f}), "
                        f"errors {t['errors']}"
                    )
                else:
                    value = "not run: " + t.get("skipped", "")[:70].replace("\n", " ")
                rows.append(f"| {SYSTEM_NAMES[name]} | {key} | {value} |")
        if rows:
            lines.append("Throughput, requests/s with wrk (median (min-max) of rounds)\n")
            lines.append("| system | interface:query | requests/s |")
            lines.append("|---|---|---|")
            lines.extend(rows)
            lines.append("")
        for name in ("hairkg", "hairkg-remote", "hairkg-virtuoso"):
            r = systems.get(name, {})
            fresh, check = r.get("freshness"), r.get("related_check")
            if fresh:
                runs = ", ".join(
                    f"{x['first_s']:.2f}/{x['stable_s']:.2f}" if x["stable_s"] else "timeout"
                    for x in fresh["runs"]
                )
                how = (
                    f" from sending POST /api/v1/edit/articles (the write answered after "
                    f"{_s(fresh['write_s'])})"
                    if fresh.get("write_s") is not None
                    else " from the accepted update"
                )
                lines.append(
                    f"- {SYSTEM_NAMES[name]}: a new article appears in related answers after "
                    f"{_s(fresh['first_s'])} (median){how}, in every answer after "
                    f"{_s(fresh['stable_s'])} "
                    f"(runs first/stable: {runs})."
                )
            if check:
                lines.append(
                    f"- {SYSTEM_NAMES[name]}: related top-{check['k']} equal to the exact "
                    f"brute-force ranking for {check['checked']} articles: {check['equal']}."
                )
        lines.append("")
    lines.extend(targets(results))
    return "\n".join(lines)


def targets(results: dict) -> list[str]:
    """Issue 6's section 3 figures (its targets are at 1M triples; else the largest size
    measured), computed from the rows above (the docs' target table quotes these)."""
    size = (
        "1m"
        if "1m" in results["sizes"]
        else max(results["sizes"], key=lambda z: results["sizes"][z]["data"].get("triples", 0))
    )
    systems = results["sizes"][size]["systems"]

    def lat(system: str, key: str, field: str = "p50_ms"):
        return systems.get(system, {}).get("latency", {}).get(key, {}).get(field)

    def rps(system: str, key: str):
        return systems.get(system, {}).get("throughput", {}).get(key, {}).get("rps")

    def ratio(a, b) -> str:
        return f"{a / b:.2f}x" if a and b else "-"

    rows = []
    for name in ("hairkg", "hairkg-remote", "hairkg-virtuoso"):
        if name not in systems or "error" in systems[name]:
            continue
        label = SYSTEM_NAMES[name]
        api50, api99 = lat(name, "api:related"), lat(name, "api:related", "p99_ms")
        rows.append(f"| {label}: related p50 / p99 | {_ms(api50 or 0)} / {_ms(api99 or 0)} ms |")
        for kind in ("related_ordered", "related"):
            engine = lat("oxigraph", f"sparql:{kind}")
            rows.append(
                f"| {label}: related, times faster than `{kind}` SPARQL on the Oxigraph "
                f"server (p50) | {ratio(engine, api50)} |"
            )
        fresh = systems[name].get("freshness") or {}
        if fresh.get("first_s") is not None:
            rows.append(
                f"| {label}: new article in related answers (median) | "
                f"{fresh['first_s']:.2f} s (write {_s(fresh.get('write_s'))}) |"
            )
        rows.append(
            f"| {label}: `/sparql` entity throughput / Oxigraph server's | "
            f"{ratio(rps(name, 'sparql:entity'), rps('oxigraph', 'sparql:entity'))} |"
        )
        for row in ("entity_unique", "twojoin_unique"):
            rows.append(
                f"| {label}: `/sparql` never-repeated {row.removesuffix('_unique')} throughput "
                f"/ Oxigraph server's | "
                f"{ratio(rps(name, f'sparql:{row}'), rps('oxigraph', f'sparql:{row}'))} |"
            )
        for kind, path in (("entity", "entity"), ("autocomplete", "search")):
            rows.append(
                f"| {label}: {path} p50, throughput | {_ms(lat(name, f'api:{kind}') or 0)} ms, "
                f"{rps(name, f'api:{kind}') or 0:.0f} req/s |"
            )
        starts = [s["first_related_s"] for s in systems[name].get("cold_start", [])]
        if starts:
            later = starts[1:] or starts
            rows.append(
                f"| {label}: cold start to the first related answer (median of later "
                f"starts; first start) | {statistics.median(later):.2f} s; {starts[0]:.2f} s |"
            )
    if not rows:
        return []
    return [
        f"### Issue 6 targets, computed for {size}\n",
        "| figure | value |",
        "|---|---|",
        *rows,
        "",
    ]


def plot(results: dict, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no plot (pip install -e '.[bench]')")
        return
    sizes = list(results["sizes"])
    kinds = [k for k in QUERIES]
    fig, axes = plt.subplots(1, len(kinds), figsize=(4 * len(kinds), 4), squeeze=False)
    series = [
        ("hairkg", "api", "hairkg JSON API", "tab:blue"),
        ("hairkg", "sparql", "hairkg /sparql", "tab:cyan"),
        ("hairkg-remote", "api", "hairkg remote JSON API", "tab:purple"),
        ("hairkg-virtuoso", "api", "hairkg on Virtuoso JSON API", "tab:brown"),
        ("oxigraph", "sparql", "Oxigraph server", "tab:green"),
        ("rdflib-endpoint", "sparql", "rdflib-endpoint", "tab:red"),
        ("rdflib", "inprocess", "rdflib in process (no HTTP)", "tab:orange"),
    ]
    handles = {}
    for ax, kind in zip(axes[0], kinds, strict=True):
        for system, interface, label, colour in series:
            xs, ys = [], []
            for size in sizes:
                per_size = results["sizes"][size]
                r = per_size["systems"].get(system, {})
                s = r.get("latency", {}).get(f"{interface}:{kind}", {})
                if "p50_ms" in s and "skipped" not in s:
                    xs.append(per_size["data"].get("triples", 0))
                    ys.append(s["p50_ms"])
            if xs:
                (line,) = ax.plot(xs, ys, marker="o", label=label, color=colour)
                handles[label] = line
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(kind)
        ax.set_xlabel("triples")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("p50 latency, ms (log)")
    if handles:
        fig.legend(
            handles.values(), handles.keys(), loc="lower center", ncol=len(handles), fontsize=8
        )
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
