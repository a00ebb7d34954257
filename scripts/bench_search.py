"""Per-worker memory and latency of the search index, pickled (before) against memory-mapped
(issue 14: the search index shared by the workers through memory maps).

    .venv/bin/python scripts/bench_search.py --size 1m [--before-commit 8729e5f] [--out FILE]
    .venv/bin/python scripts/bench_search.py --size 10m --skip-before   # the mapped index only
    .venv/bin/python scripts/bench_search.py --snapshot DATA_DIR/indexes/indexes-...  # as served

Loads ``var/bench/data/SIZE.nq`` (scripts/bench.py's data, generated when missing; ``--data``
to use another file) into an Oxigraph of its own and reads the search entries as the server
does (``kb.read.indexes.load_indexes``). Then, each in a fresh process:

- before: the code of ``--before-commit`` (``git archive``, first on ``PYTHONPATH``) builds its
  ``SearchIndex``, pickles it, and the unpickling is measured as a worker's is (tracemalloc:
  the Python objects it holds, also after the queries below have filled its caches; RSS and
  anonymous memory added, from ``/proc/self/smaps_rollup``, in a run without tracemalloc);
- now: the search columns (``kb.read.columnar.search_columns``) are written to a directory and
  mapped (``MappedSearchIndex``); measured after the queries below, so that the vocabulary's
  decoded length buckets it caches are counted (its RSS counts the mapped pages it touched,
  shared by every worker through the page cache; its anonymous memory is its own);
- both: the p50 and p90 of 300 prefix queries (1-6 first characters of a label's word) and 300
  typo queries (a label's first one or two words, one edit in a word of 5 or more characters),
  timed in process, one at a time.
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(ROOT / "scripts"))

CHILD = r"""
import gc, json, pickle, resource, statistics, sys, time, tracemalloc
mode, work, trace = sys.argv[1], sys.argv[2], sys.argv[3] == "trace"
queries = json.load(open(f"{work}/queries.json"))


def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096


def anonymous():
    # this process's anonymous memory: its own heap, not the mapped files' page cache
    for line in open("/proc/self/smaps_rollup"):
        if line.startswith("Anonymous:"):
            return int(line.split()[1]) * 1024


def timed(index):
    out = {}
    for kind, qs in queries.items():
        times = []
        for q in qs:
            started = time.perf_counter()
            index.search(q, limit=10)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        out[kind] = {"p50_ms": times[len(times) // 2], "p90_ms": times[int(len(times) * 0.9)]}
    return out


if mode == "before":
    from kb.read.search import Entry, SearchIndex
    rows = pickle.load(open(f"{work}/entries.pickle", "rb"))
    built = pickle.dumps(SearchIndex([Entry(*r[:4], frozenset(r[4]), *r[5:]) for r in rows]))
    del rows
    gc.collect()
    before, before_anonymous = rss(), anonymous()
    if trace:
        tracemalloc.start()
    gc.disable()
    index = pickle.loads(built)
    gc.enable()
    result = {"rss_added": rss() - before, "anonymous_added": anonymous() - before_anonymous}
    result["pickle_bytes"] = len(built)
    if trace:
        result["python_objects"] = tracemalloc.get_traced_memory()[0]
        timed(index)  # fills its caches (the typo tier's key cuts per length)
        result["python_objects_after_queries"] = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
else:
    from pathlib import Path
    from kb.read.columnar.files import open_directory
    from kb.read.columnar.search import MappedSearchIndex
    before, before_anonymous = rss(), anonymous()
    if trace:
        tracemalloc.start()
    columns = Path(work) / "columns"
    fmt = json.loads((columns / "manifest.json").read_text())["format"]
    index = MappedSearchIndex(open_directory(columns, fmt).arrays)
    result = {"python_objects_mapped": tracemalloc.get_traced_memory()[0]} if trace else {}
    timed(index)  # fills the per-process caches (the vocabulary's decoded length buckets)
    result["buckets_decoded"] = sum(len(b) for b in index._buckets.values())
    if trace:
        result["python_objects"] = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    result["rss_added"] = rss() - before
    result["anonymous_added"] = anonymous() - before_anonymous
    result["columns_bytes"] = sum(
        p.stat().st_size for p in columns.iterdir() if p.name.startswith("search.")
    )
result["latency"] = timed(index)
print(json.dumps(result))
"""


def search_entries(data: Path, work: Path):
    """The search entries of ``data``, read as the server reads them."""
    import bench

    from kb.read.indexes import DEFAULT_LINK_WEIGHTS, load_indexes
    from kb.read.related_model import RelatedWeights
    from kb.store.managed import ManagedOxigraph

    store_dir = work / "store"
    config = bench.Config(sizes=["x"], systems=["hairkg"], out=work, work=work)
    bench.load_store(config, data, store_dir)
    engine = ManagedOxigraph(store_dir, timeout_cap_s=600)
    engine.start()
    try:
        store = engine.store(timeout_s=600)
        weights = RelatedWeights(links=dict(DEFAULT_LINK_WEIGHTS))
        return load_indexes(store, weights).search.live_entries()
    finally:
        engine.stop()


def queries(entries, count: int = 300, seed: int = 7) -> dict[str, list[str]]:
    rng = random.Random(seed)
    prefix, typo = [], []
    while len(prefix) < count or len(typo) < count:
        words = rng.choice(entries).label.split()
        word = rng.choice(words)
        if len(prefix) < count:
            prefix.append(word[: rng.randint(1, 6)])
        long = [i for i, w in enumerate(words[:2]) if len(w) >= 5 and w.isalpha()]
        if long and len(typo) < count:
            typed = list(words[:2])
            i = rng.choice(long)
            at = rng.randrange(1, len(typed[i]) - 1)
            typed[i] = typed[i][:at] + typed[i][at + 1 :]  # one letter dropped
            typo.append(" ".join(typed))
    return {"prefix": prefix, "typo": typo}


def run_child(mode: str, work: Path, pythonpath: str) -> dict:
    """The child's figures: RSS and latency untraced, Python objects traced (another run)."""
    env = {**os.environ, "PYTHONPATH": pythonpath}
    out = {}
    for trace in ("plain", "trace"):
        done = subprocess.run(
            [sys.executable, "-c", CHILD, mode, str(work), trace],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        if trace == "trace":
            out |= {k: v for k, v in figures.items() if k.startswith("python_objects")}
        else:
            out |= figures
    return out


def mapped_snapshot_queries(snapshot: Path, work: Path) -> None:
    """``work/columns`` is ``snapshot``; the queries are made from its live entries."""
    from kb.read.columnar.files import open_directory
    from kb.read.columnar.search import MappedSearchIndex

    fmt = json.loads((snapshot / "manifest.json").read_text())["format"]
    opened = open_directory(snapshot, fmt)
    if opened is None:
        raise SystemExit(f"{snapshot}: no complete index snapshot there")
    entries = MappedSearchIndex(opened.arrays).live_entries()
    print(f"{len(entries)} entries in {snapshot.name}")
    (work / "queries.json").write_text(json.dumps(queries(entries)))
    (work / "columns").unlink(missing_ok=True)
    (work / "columns").symlink_to(snapshot.resolve(), target_is_directory=True)


def main() -> int:
    import generate_synthetic

    from kb.read.columnar.files import write_directory
    from kb.read.columnar.search_columns import search_arrays

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1m", choices=sorted(generate_synthetic.SIZES))
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--before-commit", default="8729e5f")
    parser.add_argument(
        "--skip-before", action="store_true", help="measure the mapped index only (e.g. at 10M)"
    )
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--work", type=Path, default=None, help="kept; its entries reused")
    parser.add_argument(
        "--snapshot",
        type=Path,
        help="an index snapshot directory of hairkg serve (DATA_DIR/indexes/indexes-...): its "
        "search columns are measured as they are, nothing is built (implies --skip-before)",
    )
    args = parser.parse_args()
    data = args.data or ROOT / "var" / "bench" / "data" / f"{args.size}.nq"
    if not data.exists():
        data.parent.mkdir(parents=True, exist_ok=True)
        generate_synthetic.generate(generate_synthetic.SIZES[args.size], data, progress=False)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        if args.snapshot:
            args.skip_before = True
            mapped_snapshot_queries(args.snapshot, work)
        elif not (work / "entries.pickle").exists():
            started = time.perf_counter()
            entries = search_entries(data, work)
            print(f"{len(entries)} entries read in {time.perf_counter() - started:.0f} s")
            rows = [
                (e.id, e.iri, e.label, e.type, sorted(e.types), e.synonyms, e.url, e.deprecated)
                for e in entries
            ]
            (work / "entries.pickle").write_bytes(pickle.dumps(rows))
            (work / "queries.json").write_text(json.dumps(queries(entries)))
            write_directory(work / "columns", search_arrays(entries), {}, {}, 1)
            del entries, rows
        before_code = work / "before"
        if not args.skip_before and not before_code.exists():
            import bench

            bench.export_commit(args.before_commit, before_code)
        results = {
            "size": str(args.snapshot) if args.snapshot else args.size,
            "before_commit": None if args.skip_before else args.before_commit,
            "before": None if args.skip_before else run_child("before", work, str(before_code)),
            "now": run_child("now", work, str(ROOT)),
            "loadavg": os.getloadavg(),
        }
    print(json.dumps(results, indent=1))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
