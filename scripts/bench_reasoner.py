"""What HermiT costs in a new JVM with the JIT the project starts it with (the quick compiler
only, ``kb.validation.hermit.JIT_CLIENT_ONLY``) against the JVM's default (both compilers).

    .venv/bin/python scripts/bench_reasoner.py [--runs 10] [--rounds 2]

Each round starts one fresh process per JIT setting (alternating, so a shared machine's load
falls on both alike); each process starts the in-process JVM, classifies the shipped graph
(the ontology and ``kb/data``: what every whole-graph validation of a write reasons over)
``--runs`` times, and reports the wall time of every run, its CPU time (user + system, every
thread of the process: the JIT compilers and the collector included) and its RSS after the
runs and after 12 s idle (two of the JVM's idle collections, ``IDLE_GC_INTERVAL_MS``).
Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {
    "quick compiler only (shipped)": None,
    "JVM default (both compilers)": "-XX:TieredStopAtLevel=4",
}


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def one_process(runs: int, jit_option: str | None) -> dict:
    sys.path.insert(0, str(ROOT))
    from kb.files.sources import load_sources, source_files, union_graph
    from kb.validation import hermit

    if jit_option is not None:
        hermit.JIT_CLIENT_ONLY = jit_option
    document = union_graph(load_sources(source_files()).dataset).serialize(
        format="nt", encoding="utf-8"
    )
    before = resource.getrusage(resource.RUSAGE_SELF)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        hermit.classify(document, timeout_s=300)
        seconds.append(round(time.perf_counter() - started, 2))
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    busy = rss_kib()
    time.sleep(2 * hermit.IDLE_GC_INTERVAL_MS / 1000 + 2)
    return {
        "runs_s": seconds,
        "cpu_s": round(cpu, 1),
        "rss_mib": busy // 1024,
        "idle_rss_mib": rss_kib() // 1024,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(one_process(args.runs, args.child or None)))
        return 0
    rows = []
    for round_number in range(1, args.rounds + 1):
        for name, option in SETTINGS.items():
            done = subprocess.run(
                [sys.executable, __file__, "--runs", str(args.runs), f"--child={option or ''}"],
                capture_output=True,
                text=True,
                check=True,
            )
            rows.append((round_number, name, json.loads(done.stdout.splitlines()[-1])))
    print(
        f"| round | JIT | first run | runs 2-{args.runs} (median) | CPU, {args.runs} runs "
        "| RSS after | RSS idle |"
    )
    print("|---|---|---|---|---|---|---|")
    for round_number, name, r in rows:
        later = sorted(r["runs_s"][1:])
        median = later[len(later) // 2] if later else float("nan")
        print(
            f"| {round_number} | {name} | {r['runs_s'][0]:.2f} s | {median:.2f} s | "
            f"{r['cpu_s']:.1f} s | {r['rss_mib']} MiB | {r['idle_rss_mib']} MiB |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
