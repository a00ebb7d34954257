"""`/sparql` on never-repeated queries, hairkg against a raw Oxigraph server (issue 14, part 2).

    .venv/bin/python scripts/bench_sparql.py --size 1m           # the figure of docs/benchmarks.md
    .venv/bin/python scripts/bench_sparql.py --size 1m --baseline OTHER/bin/hairkg   # before/after
    .venv/bin/python scripts/bench_sparql.py --size 10k --seconds 3 --rounds 1

The throughput rows of ``scripts/bench.py`` whose query texts never repeat
(``sparql:entity_unique``, ``sparql:twojoin_unique``: ``wrk -t1 -c4``, each request's text
made new by a trailing comment with a request counter), on the same data and store as
``make bench``, without the rest of that run (cold starts, latency, freshness).

Unlike ``make bench``, the systems are all started first (``oxigraph serve
--union-default-graph`` on a copy of the loaded store; ``hairkg serve``, 2 workers, on another
copy; with ``--baseline``, a second ``hairkg serve`` of another installation, e.g. the code
before a change) and the rounds are interleaved (round 1 of every system, then round 2, ...):
on a machine shared with other work, the systems then meet the same background load. Each row
also gives the CPU per request of the engine and of everything else (hairkg's master and
workers) from the processes' user + system time, which such load disturbs less than the rate.
hairkg's ``/sparql`` answer cache stays on (it cannot help: no text repeats); the rate limit
is off.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench
import generate_synthetic

ROWS = (("entity", "entity_unique"), ("twojoin", "twojoin_unique"))


def tree_cpu_s(pid: int) -> dict[str, float]:
    """User + system CPU seconds so far of a process and its children: the engine (an
    ``oxigraph`` process), the reasoner process (warming HermiT up at start, which no query
    uses) and the rest (hairkg's master and workers)."""
    import psutil

    root = psutil.Process(pid)
    spent = {"engine": 0.0, "proxy": 0.0, "reasoner": 0.0}
    for process in (root, *root.children(recursive=True)):
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            if "oxigraph" in process.name():
                part = "engine"
            elif any("shared_reasoner" in arg for arg in process.cmdline()):
                part = "reasoner"
            else:
                part = "proxy"
            spent[part] += times.user + times.system
    return spent


class System:
    def __init__(self, name: str, server: bench.Server, target: bench.Target):
        self.name, self.server, self.target = name, server, target
        self.rates: dict[str, list[float]] = {row: [] for _kind, row in ROWS}
        self.cpu: dict[str, dict[str, float]] = {
            row: {"engine": 0.0, "proxy": 0.0, "requests": 0.0} for _kind, row in ROWS
        }

    def round(self, cfg: bench.Config, samples: dict) -> None:
        for kind, row in ROWS:
            requests = [self.target.request("sparql", kind, p) for p in samples[kind][:500]]
            paths = [path for path, _accept in requests]
            before = tree_cpu_s(self.server.process.pid)
            ran = bench.wrk_run(
                cfg, self.target.port, paths, requests[0][1], f"{self.name}-{row}", unique=True
            )
            after = tree_cpu_s(self.server.process.pid)
            if "rps" not in ran:
                raise RuntimeError(f"{self.name} {row}: {ran}")
            self.rates[row].append(ran["rps"])
            for part in ("engine", "proxy"):
                self.cpu[row][part] += after[part] - before[part]
            self.cpu[row]["requests"] += ran["rps"] * cfg.wrk_seconds
            bench.log(f"  {self.name} {row}: {ran['rps']} req/s")

    def summary(self) -> dict:
        out = {}
        for _kind, row in ROWS:
            rates, cpu = self.rates[row], self.cpu[row]
            out[row] = {
                "rps": statistics.median(rates),
                "rps_min": min(rates),
                "rps_max": max(rates),
                "rounds": len(rates),
                # per request (requests: each round's rate x its duration)
                "engine_cpu_ms": round(cpu["engine"] / cpu["requests"] * 1000, 3),
                "rest_cpu_ms": round(cpu["proxy"] / cpu["requests"] * 1000, 3),
            }
        return out


def start_hairkg(name: str, store: Path, work: Path, command: str = "") -> System:
    data_dir = work / f"{name}-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir()
    shutil.copytree(store, data_dir / "oxigraph")
    port = bench.free_port()
    server = bench.start_hairkg(
        ["--data-dir", str(data_dir)], port, work / f"{name}.log", command=command
    )
    return System(name, server, bench.Target("hairkg", port, "/sparql", api=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=sorted(generate_synthetic.SIZES))
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default="", help="another installation's hairkg command")
    parser.add_argument("--work", type=Path, default=None, help="work directory (default: temp)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="hairkg-bench-sparql-"))
    work.mkdir(parents=True, exist_ok=True)
    cfg = bench.Config(
        sizes=[args.size],
        systems=["hairkg", "oxigraph"],
        out=work,
        work=work,
        rounds=1,
        wrk_seconds=args.seconds,
    )
    data = work / f"{args.size}.nq"
    if not data.exists():
        generate_synthetic.generate(generate_synthetic.SIZES[args.size], data, progress=False)
    samples = bench.read_samples(data)
    store = work / "store"
    bench.load_store(cfg, data, store)

    systems: list[System] = []
    try:
        copy = work / "oxigraph-copy"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(store, copy)
        port = bench.free_port()
        oxigraph = bench.start_oxigraph(copy, port, work / "oxigraph.log")
        target = bench.Target("oxigraph", port, "/query", api=False)
        systems.append(System("oxigraph", oxigraph, target))
        systems.append(start_hairkg("hairkg", store, work))
        if args.baseline:
            systems.append(start_hairkg("baseline", store, work, args.baseline))
        bench.wait_for(systems[0].target.port, "/query?query=ASK%7B%7D", 120)
        related = bench.api_path("related", samples["related"][-1])
        for system in systems[1:]:
            bench.wait_for(system.target.port, "/healthz", 600)
            for _ in range(10):  # both workers up, with their indexes
                bench.wait_for(system.target.port, related, 600)
        load = os.getloadavg()[0]
        for round_no in range(args.rounds):
            bench.log(f"round {round_no + 1}")
            for system in systems:
                system.round(cfg, samples)
        results = {
            "size": args.size,
            "command": " ".join(["scripts/bench_sparql.py", *(argv or sys.argv[1:])]),
            "machine": bench.machine(),
            "loadavg_before_after": [load, os.getloadavg()[0]],
            "systems": {system.name: system.summary() for system in systems},
        }
    finally:
        for system in systems:
            system.server.stop()

    print(f"never-repeated /sparql queries at {args.size}, wrk -t1 -c4 -d{args.seconds}s:")
    print(f"load average {results['loadavg_before_after']}")
    engine = results["systems"]["oxigraph"]
    for _kind, row in ROWS:
        for name, figures in results["systems"].items():
            r = figures[row]
            ratio = f"{r['rps'] / engine[row]['rps']:.2f}x" if engine[row]["rps"] else "-"
            print(
                f"  {row} {name}: {r['rps']:.0f} req/s ({r['rps_min']:.0f}-{r['rps_max']:.0f}), "
                f"{ratio} the Oxigraph server; CPU per request: engine {r['engine_cpu_ms']} ms, "
                f"the rest {r['rest_cpu_ms']} ms"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
