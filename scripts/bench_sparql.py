"""`/sparql` on never-repeated queries, hairkg against a raw Oxigraph server (issue 14, part 2).

    .venv/bin/python scripts/bench_sparql.py --size 1m           # the figure of docs/benchmarks.md
    .venv/bin/python scripts/bench_sparql.py --size 10k --seconds 3 --rounds 1

Only the throughput rows of ``scripts/bench.py`` whose query texts never repeat
(``sparql:entity_unique``, ``sparql:twojoin_unique``: ``wrk -t1 -c4``, each request's text
made new by a trailing comment with a request counter), on the same data, store and method as
``make bench``, without the rest of that run (cold starts, latency, freshness). The systems run
one after the other: ``oxigraph serve --union-default-graph`` on a copy of the loaded store,
then ``hairkg serve`` (2 workers) on another copy, with its ``/sparql`` answer cache left on
(it cannot help: no text repeats) and the rate limit off.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench
import generate_synthetic

ROWS = (("entity", "entity_unique"), ("twojoin", "twojoin_unique"))


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its children so far."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for process in (root, *root.children(recursive=True)):
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def measure(cfg: bench.Config, port: int, target: bench.Target, samples: dict, pid: int) -> dict:
    """The rows, each with the server's CPU per request (all its processes, engine included;
    requests counted as the median rate x duration x rounds): a figure that other work on a
    shared machine disturbs less than the rate itself."""
    out = {}
    for kind, row in ROWS:
        requests = [target.request("sparql", kind, p) for p in samples[kind][:500]]
        paths = [path for path, _accept in requests]
        before = tree_cpu_s(pid)
        out[row] = bench.wrk_run(
            cfg, port, paths, requests[0][1], f"{target.name}-{row}", unique=True
        )
        spent = tree_cpu_s(pid) - before
        served = out[row].get("rps", 0) * cfg.wrk_seconds * cfg.rounds
        if served:
            out[row]["server_cpu_ms_per_request"] = round(spent / served * 1000, 3)
        bench.log(f"  {target.name} {row}: {out[row]}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=sorted(generate_synthetic.SIZES))
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None, help="work directory (default: temp)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="hairkg-bench-sparql-"))
    cfg = bench.Config(
        sizes=[args.size],
        systems=["hairkg", "oxigraph"],
        out=work,
        work=work,
        rounds=args.rounds,
        wrk_seconds=args.seconds,
    )
    data = work / f"{args.size}.nq"
    if not data.exists():
        generate_synthetic.generate(generate_synthetic.SIZES[args.size], data, progress=False)
    samples = bench.read_samples(data)
    store = work / "store"
    bench.load_store(cfg, data, store)
    results: dict = {"size": args.size, "machine": bench.machine(), "systems": {}}

    copy = work / "oxigraph-copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(store, copy)
    port = bench.free_port()
    server = bench.start_oxigraph(copy, port, work / "oxigraph.log")
    try:
        bench.wait_for(port, "/query?query=ASK%7B%7D", 120)
        load = os.getloadavg()[0]
        target = bench.Target("oxigraph", port, "/query", api=False)
        results["systems"]["oxigraph"] = measure(cfg, port, target, samples, server.process.pid)
        results["systems"]["oxigraph"]["loadavg_before_after"] = [load, os.getloadavg()[0]]
    finally:
        server.stop()

    data_dir = work / "hairkg-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir()
    shutil.copytree(store, data_dir / "oxigraph")
    port = bench.free_port()
    server = bench.start_hairkg(["--data-dir", str(data_dir)], port, work / "hairkg.log")
    try:
        bench.wait_for(port, "/healthz", 600)
        related = bench.api_path("related", samples["related"][-1])
        for _ in range(10):  # both workers up, with their indexes
            bench.wait_for(port, related, 600)
        load = os.getloadavg()[0]
        target = bench.Target("hairkg", port, "/sparql", api=True)
        results["systems"]["hairkg"] = measure(cfg, port, target, samples, server.process.pid)
        results["systems"]["hairkg"]["loadavg_before_after"] = [load, os.getloadavg()[0]]
    finally:
        server.stop()

    print(f"never-repeated /sparql queries at {args.size}, wrk -t1 -c4 -d{args.seconds}s:")
    for _kind, row in ROWS:
        ours = results["systems"]["hairkg"][row].get("rps")
        theirs = results["systems"]["oxigraph"][row].get("rps")
        ratio = f"{ours / theirs:.2f}x" if ours and theirs else "-"
        cpu = [
            results["systems"][name][row].get("server_cpu_ms_per_request")
            for name in ("hairkg", "oxigraph")
        ]
        print(
            f"  {row}: hairkg {ours} req/s, Oxigraph server {theirs} req/s: {ratio}; "
            f"server CPU per request {cpu[0]} ms vs {cpu[1]} ms"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
