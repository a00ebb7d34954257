"""The phases of a full index build (issue 14: a store's first start), timed one by one.

    .venv/bin/python scripts/bench_build.py --size 1m [--work var/bench] [--out FILE]

Loads the data of scripts/bench.py (``var/bench/data/SIZE.nq``, generated when missing) into
a fresh Oxigraph store (``oxigraph load``), serves it with ``oxigraph serve`` and times, with
the wall-clock time and this process's CPU time of each (the engine's CPU is its own):

- the in-memory path, phase by phase: ``load_entity_triples``, ``load_articles``,
  ``build_indexes`` (the search and related indexes in Python objects) and
  ``SnapshotFiles.write`` (the columns written from them): what a full build did in its child
  process before, and what a worker still does when the child fails;
- when the code has them (``kb.read.building.parts``), the child's path now:
  ``load_index_parts`` (the articles read while the concept graph is built from the entity
  triples, then the search entries and links) and ``SnapshotFiles.write_parts`` (the columns
  written without the in-memory indexes).

The script only uses functions both versions have for the first part, so it can be copied into
an older checkout to measure it the same way. Prints a Markdown table; ``--out`` writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import bench  # noqa: E402
import generate_synthetic  # noqa: E402


def timed(phases: list[dict], name: str, action):
    """Runs ``action``, records its wall and CPU time under ``name``; its result."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = action()
    phases.append(
        {"phase": name, "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}
    )
    print(f"{name}: {phases[-1]['wall_s']:.2f} s ({phases[-1]['cpu_s']:.2f} s CPU)", flush=True)
    return result


def measure(store, scratch: Path) -> list[dict]:
    from kb.read import indexes, loading
    from kb.read.related_model import RelatedWeights
    from kb.read.snapshots import SnapshotFiles

    weights = RelatedWeights(links=dict(indexes.DEFAULT_LINK_WEIGHTS))
    phases: list[dict] = []
    version = store.version(max_age_s=0)
    triples = timed(phases, "load_entity_triples", lambda: loading.load_entity_triples(store))
    articles = timed(phases, "load_articles", lambda: loading.load_articles(store))
    built = timed(
        phases, "build_indexes", lambda: indexes.build_indexes(version, triples, articles, weights)
    )
    snapshots = SnapshotFiles(scratch / "in-memory", weights)
    timed(phases, "SnapshotFiles.write", lambda: snapshots.write(built))
    built = triples = articles = None  # their memory back before the next path
    try:
        from kb.read.building import parts
    except ImportError:  # a checkout from before the child's own path
        return phases
    loaded = timed(phases, "load_index_parts", lambda: parts.load_index_parts(store, weights))
    snapshots = SnapshotFiles(scratch / "parts", weights)
    timed(
        phases,
        "SnapshotFiles.write_parts",
        lambda: snapshots.write_parts(loaded, weights, parts.VERBS),
    )
    return phases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=sorted(generate_synthetic.SIZES))
    parser.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    parser.add_argument("--out", type=Path, default=None, help="JSON file (default: print)")
    args = parser.parse_args()
    data = args.work / "data" / f"{args.size}.nq"
    if not data.exists():
        data.parent.mkdir(parents=True, exist_ok=True)
        generate_synthetic.generate(generate_synthetic.SIZES[args.size], data, progress=False)
    from kb.store.client import SparqlStore

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="hairkg-bench-build-") as scratch:
        scratch = Path(scratch)
        location = scratch / "store"
        config = bench.Config(sizes=[args.size], systems=["hairkg"], out=args.work, work=args.work)
        bench.load_store(config, data, location)
        port = bench.free_port()
        engine = bench.start_oxigraph(location, port, scratch / "oxigraph.log")
        try:
            bench.wait_for(port, "/query?query=ASK%7B%7D", 60)
            store = SparqlStore.for_server(f"http://{bench.HOST}:{port}", timeout_s=300)
            phases = measure(store, scratch)
        finally:
            engine.stop()
            shutil.rmtree(location, ignore_errors=True)
    results = {
        "size": args.size,
        "phases": phases,
        "loadavg_before": load_before,
        "loadavg_after": os.getloadavg(),
    }
    print("| phase | wall | CPU of this process |\n|---|---|---|")
    for phase in phases:
        print(f"| `{phase['phase']}` | {phase['wall_s']:.2f} s | {phase['cpu_s']:.2f} s |")
    print(f"load average before {load_before}, after {results['loadavg_after']}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
