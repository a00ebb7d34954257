"""Related-content latency of one worker on a written index snapshot, this code against an
earlier commit's, on the same snapshot and the same articles (issue 14: related at 10M).

    .venv/bin/python scripts/bench_related.py --data-dir var/bench/10m/memory-data-2 \\
        [--before-commit REV] [--queries 300] [--rounds 2]

``--data-dir``: a data dir of ``hairkg serve`` whose ``indexes/`` holds a snapshot (the newest
is used; ``scripts/bench_memory.py`` leaves one per size in ``var/bench/SIZE/memory-data-N``).
Each round runs, in a fresh process each, the code of ``--before-commit`` (``git archive``,
first on ``PYTHONPATH``; it must read the same snapshot format) and this checkout's, one after
the other so that a shared machine's load falls on both alike. A process maps the snapshot as
a worker does (``MappedRelatedIndex``), then asks the 5 related articles of ``--queries``
articles drawn at random (seeded: the same ones in every process), one at a time, and reports
the p50/p90/p99 and mean of each query's wall time and of its CPU time (the thread's). The
answers (articles and scores) of both codes are compared: any difference is printed and fails.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "p50": at(0.5),
        "p90": at(0.9),
        "p99": at(0.99),
        "mean": round(sum(values) / len(values) * 1000, 2),
    }


def child(data_dir: Path, queries: int) -> dict:
    from kb.read.columnar.files import open_directory
    from kb.read.columnar.graph import MappedEntityGraph
    from kb.read.columnar.related import MappedRelatedIndex
    from kb.read.snapshots import _REST, SNAPSHOT_FORMAT

    snapshots = sorted((data_dir / "indexes").glob("indexes-*"), key=lambda p: p.stat().st_mtime)
    opened = open_directory(snapshots[-1], SNAPSHOT_FORMAT)
    if opened is None:
        raise SystemExit(f"no readable snapshot (format {SNAPSHOT_FORMAT}) in {data_dir}")
    gc.disable()
    _indexes, links = pickle.loads(opened.files[_REST])
    gc.enable()
    graph = MappedEntityGraph(opened.arrays)
    related = MappedRelatedIndex(opened.arrays, labeller=graph.label, **links)
    rows = random.Random(7).sample(range(related._n), queries)
    wall, cpu, answers = [], [], []
    for row in rows:
        article = related._article(row)
        started, started_cpu = time.perf_counter(), time.thread_time()
        found = related.related(article, 5)
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
        answers.append([[a.iri, repr(score)] for a, score, _reasons in found])
    return {
        "articles": related._n,
        "wall": percentiles(wall),
        "cpu": percentiles(cpu),
        "answers": answers,
    }


def run(code: Path, data_dir: Path, queries: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--data-dir",
            str(data_dir),
            "--queries",
            str(queries),
            "--child",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the run of {code} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--before-commit", default=None)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.data_dir, args.queries)))
        return 0
    codes = {"now": ROOT}
    with tempfile.TemporaryDirectory(prefix="bench-related-") as work:
        if args.before_commit:
            sys.path.insert(0, str(ROOT / "scripts"))
            import bench

            before = bench.export_commit(args.before_commit, Path(work) / "before")
            codes = {f"before ({args.before_commit})": before, **codes}
        rows, reference = [], None
        for round_number in range(1, args.rounds + 1):
            for name, code in codes.items():
                result = run(code, args.data_dir, args.queries)
                if reference is None:
                    reference = result["answers"]
                elif result["answers"] != reference:
                    differ = sum(a != b for a, b in zip(result["answers"], reference, strict=True))
                    print(f"{name}: {differ} of {args.queries} answers differ", file=sys.stderr)
                    return 1
                rows.append((round_number, name, result))
    print(
        f"{rows[0][2]['articles']:,} articles, {args.queries} queries (5 related each); "
        "the answers of every run are identical"
    )
    print("| round | code | wall p50 / p90 / p99 / mean | CPU p50 / p90 / p99 / mean |")
    print("|---|---|---|---|")
    for round_number, name, r in rows:
        w, c = r["wall"], r["cpu"]
        print(
            f"| {round_number} | {name} | {w['p50']} / {w['p90']} / {w['p99']} / {w['mean']} ms "
            f"| {c['p50']} / {c['p90']} / {c['p99']} / {c['mean']} ms |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
