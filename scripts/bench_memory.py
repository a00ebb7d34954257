"""Memory of `hairkg serve` with 1, 2 and 4 workers, and its start time to the first related
answer (issue 14: indexes shared by the workers through memory maps).

    .venv/bin/python scripts/bench_memory.py --size 1m [--workers 1,2,4] [--out FILE]

Uses the data of scripts/bench.py (``var/bench/data/SIZE.nq``, generated when missing), loaded
with ``oxigraph load``. For each worker count, on a fresh copy of the loaded store: a first
start (which builds the index snapshot) and a restart (which maps it); after each start, the
time from launching ``hairkg serve`` to the first related answer, then, once every worker has
its indexes and has answered 300 related and 100 search requests, the RSS and the PSS (from
``/proc/PID/smaps_rollup``: a page shared by N processes counts 1/N in each, so the sum is the
memory really used) of every process: gunicorn master, workers, Oxigraph and the reasoner
process (a write token is configured, as in scripts/bench.py), the reasoner once it has warmed
up and been idle for two of its JVM's idle collections. Prints a Markdown table and
writes the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import bench  # noqa: E402
import generate_synthetic  # noqa: E402


def smaps_rollup(pid: int) -> dict[str, int]:
    """RSS and PSS of one process, bytes; PSS split into the process's own (anonymous) memory
    and the pages of mapped files (the snapshot, shared through the page cache)."""
    fields = {}
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {"rss": 0, "pss": 0}
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name in ("Rss", "Pss", "Pss_Anon", "Pss_File"):
            fields[name.lower()] = int(value.split()[0]) * 1024
    return fields


def process_kind(command: list[str]) -> str:
    text = " ".join(command)
    if "oxigraph" in text and " serve" in text:
        return "oxigraph"
    if "shared_reasoner" in text or "java" in command[0]:
        return "reasoner"
    return "worker"


def tree_memory(pid: int) -> list[dict]:
    import psutil

    root = psutil.Process(pid)
    out = []
    for process in [root, *root.children(recursive=True)]:
        try:
            command = process.cmdline()
        except psutil.Error:
            continue
        kind = "master" if process.pid == pid else process_kind(command)
        out.append({"pid": process.pid, "kind": kind, **smaps_rollup(process.pid)})
    return out


def log_count(path: Path, text: str) -> int:
    return path.read_text(errors="replace").count(text) if path.exists() else 0


def settle_reasoner(data_dir: Path, before: int, timeout_s: float = 300.0) -> None:
    """Waits until the reasoner process has warmed up (its log has more than ``before`` such
    lines), then for two of its JVM's idle collections (kb.validation.hermit.
    IDLE_GC_INTERVAL_MS): its memory is measured at rest, as it is between writes."""
    from kb.validation.hermit import IDLE_GC_INTERVAL_MS

    log = data_dir / "reasoner.log"
    deadline = time.monotonic() + timeout_s
    while log_count(log, "warm: HermiT ran") <= before and log_count(log, "warm-up failed") == 0:
        if time.monotonic() > deadline:
            raise TimeoutError("the reasoner process did not warm up")
        time.sleep(0.5)
    time.sleep(2 * IDLE_GC_INTERVAL_MS / 1000)


def one_start(data_dir: Path, workers: int, samples: dict, logs: Path) -> dict:
    port = bench.free_port()
    logs.unlink(missing_ok=True)
    warm_before = log_count(data_dir / "reasoner.log", "warm: HermiT ran")
    server = bench.Server(
        "hairkg",
        [
            str(bench.VENV_BIN / "hairkg"),
            "serve",
            "--data-dir",
            str(data_dir),
            "--workers",
            str(workers),
            "--host",
            bench.HOST,
            "--port",
            str(port),
        ],
        logs,
        env={
            "HAIRKG_LOG_LEVEL": "info",
            "HAIRKG_TOKENS": f"bench:{bench.BENCH_TOKEN}:write",
            "HAIRKG_TOKENS_FILE": "",
            "HAIRKG_RATE_LIMIT": "off",
        },
    )
    peak = bench.PeakRss([server.process.pid])  # the build child included (a worker's child)
    try:
        related = [bench.api_path("related", iri) for iri in samples["related"]]
        first = bench.wait_for(port, related[0], 900)
        launched_to_first = time.perf_counter() - server.started_at
        deadline = time.monotonic() + 900
        while log_count(logs, "indexes built:") < workers:  # every worker has its indexes
            if time.monotonic() > deadline:
                raise TimeoutError("not every worker built or loaded its indexes")
            bench.Client(port, 60).get(related[1])
            time.sleep(0.1)
        for path in related[:300] + [
            bench.api_path("autocomplete", p) for p in samples["autocomplete"][:100]
        ]:
            client = bench.Client(port, 60)  # a new connection: requests spread over workers
            status, _body, _t = client.get(path)
            client.close()
            if status != 200:
                raise RuntimeError(f"{path}: {status}")
        settle_reasoner(data_dir, warm_before)
        processes = tree_memory(server.process.pid)
        loaded = log_count(logs, "indexes loaded from")
    finally:
        peak_rss = peak.stop()
        server.stop()
    by_kind: dict[str, dict[str, int]] = {}
    for process in processes:
        kind = by_kind.setdefault(process["kind"], {"rss": 0, "pss": 0, "count": 0})
        kind["rss"] += process["rss"]
        kind["pss"] += process["pss"]
        kind["count"] += 1
    return {
        "first_related_s": launched_to_first,
        "first_related_after_ready_s": first,
        "workers_that_loaded_a_snapshot": loaded,
        "peak_rss": peak_rss,
        "rss": sum(p["rss"] for p in processes),
        "pss": sum(p["pss"] for p in processes),
        "by_kind": by_kind,
        "processes": processes,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=sorted(generate_synthetic.SIZES))
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default: print)")
    parser.add_argument(
        "--snapshot-from",
        type=Path,
        help="the indexes directory of a former run's data dir on the same data (DATA_DIR/"
        "indexes): copied into each fresh data dir, so only restarts are measured (a first "
        "start's build is the same child whatever the number of workers)",
    )
    args = parser.parse_args()
    data = args.work / "data" / f"{args.size}.nq"
    if not data.exists():
        data.parent.mkdir(parents=True, exist_ok=True)
        generate_synthetic.generate(generate_synthetic.SIZES[args.size], data, progress=False)
    samples = bench.read_samples(data)
    store = args.work / args.size / "memory-store"
    config = bench.Config(sizes=[args.size], systems=["hairkg"], out=args.work, work=args.work)
    bench.load_store(config, data, store)
    results: dict = {"size": args.size, "articles": samples["articles"], "runs": {}}
    results["loadavg_before"] = os.getloadavg()
    snapshot_from = None
    if args.snapshot_from:  # staged first: it may be in a data dir this run recreates
        snapshot_from = args.work / args.size / "snapshot-from"
        if snapshot_from.resolve() != args.snapshot_from.resolve():
            shutil.rmtree(snapshot_from, ignore_errors=True)
            shutil.copytree(args.snapshot_from, snapshot_from)
    for workers in [int(w) for w in args.workers.split(",")]:
        data_dir = args.work / args.size / f"memory-data-{workers}"
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        shutil.copytree(store, data_dir / "oxigraph")
        logs = args.work / args.size / "logs"
        if snapshot_from:
            shutil.copytree(snapshot_from, data_dir / "indexes")
            first = None
        else:
            first = one_start(data_dir, workers, samples, logs / f"memory-{workers}-first.log")
        again = one_start(data_dir, workers, samples, logs / f"memory-{workers}-restart.log")
        snapshot = sum(p.stat().st_size for p in (data_dir / "indexes").rglob("*") if p.is_file())
        results["runs"][str(workers)] = {"restart": again}
        if first is not None:
            results["runs"][str(workers)]["first_start"] = first
        results["runs"][str(workers)]["snapshot_bytes"] = snapshot
        if first is not None:
            print(f"{workers} worker(s): first start {summary(first)}")
        print(f"{workers} worker(s): restart {summary(again)}")
        print(f"{workers} worker(s): snapshot {mib(snapshot)}", flush=True)
        if args.out:  # after each worker count: a run cut short keeps what it measured
            args.out.write_text(json.dumps(results, indent=1))
    results["loadavg"] = os.getloadavg()
    print(table(results))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    return 0


def mib(value: int) -> str:
    return f"{value / 2**20:,.0f} MiB"


def summary(run: dict) -> str:
    first = run["first_related_s"]
    return f"first related {first:.2f} s, RSS {mib(run['rss'])}, PSS {mib(run['pss'])}"


def worker_split(run: dict) -> str:
    """The workers' PSS as their own heap + the snapshot pages they mapped (summed)."""
    workers = [p for p in run["processes"] if p["kind"] == "worker"]
    anon = sum(p.get("pss_anon", 0) for p in workers)
    mapped = sum(p.get("pss_file", 0) for p in workers)
    return f"heap {mib(anon)} + files {mib(mapped)}"


def table(results: dict) -> str:
    lines = [
        "| workers | start | first related answer | peak RSS (sum, sampled) | RSS, all processes "
        "| PSS, all processes | PSS of each worker | PSS of master / Oxigraph / reasoner |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for workers, runs in results["runs"].items():
        for name in ("first_start", "restart"):
            run = runs.get(name)
            if run is None:
                continue
            kinds = run["by_kind"]
            workers_pss = [p["pss"] for p in run["processes"] if p["kind"] == "worker"]
            lines.append(
                f"| {workers} | {name.replace('_', ' ')} | {run['first_related_s']:.2f} s "
                f"| {mib(run['peak_rss'])} | {mib(run['rss'])} | {mib(run['pss'])} "
                f"| {', '.join(mib(p) for p in workers_pss)} ({worker_split(run)}) "
                f"| {mib(kinds.get('master', {}).get('pss', 0))} / "
                f"{mib(kinds.get('oxigraph', {}).get('pss', 0))} / "
                f"{mib(kinds.get('reasoner', {}).get('pss', 0))} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
