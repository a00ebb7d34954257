"""What the concept graph costs a worker, pickled or memory-mapped, and how long a worker takes to
open an index snapshot (the restart path) (issue 14).

    .venv/bin/python scripts/bench_graph_snapshot.py --data var/bench/data/1m.nq --work DIR

Loads the N-Quads into a managed Oxigraph (``oxigraph load``, once per work directory), builds
the indexes from it with ``kb.read.indexes.load_indexes`` and writes, with the code on the path:

- the index snapshot (``kb.read.snapshots.SnapshotFiles``) into ``DIR/snapshots-TAG``;
- the concept graph alone, pickled (``DIR/graph.pickle``: what snapshots held before) and, when
  the code has it, as columns (``DIR/graph-columns``, ``kb.read.columnar.graph_columns``).

Then, ``--runs`` times each in a fresh interpreter that has imported the modules first, it opens
each form and reports the time and the process's memory added (``RssAnon`` from
``/proc/self/status``: the process's own heap, paid once per worker; ``RssFile``: pages of mapped
files, shared by every worker of the host through the page cache), then builds ``--cards``
entity cards of entities picked at random (seed 7) and reports again, and the time to build the
suggester's matcher from the graph (each worker builds it on its first suggestion).

Run it with another checkout first on ``PYTHONPATH`` to measure that code (``--tag`` names the
run); the store and the pickled graph are reused. Prints JSON.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pickle
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

PROBE = textwrap.dedent(
    """
    import gc, json, pickle, random, sys, time
    from pathlib import Path
    from kb.read.description.card import entity_card
    from kb.read.entities import entity_id
    from kb.read.indexes import DEFAULT_LINK_WEIGHTS
    from kb.read.related_model import RelatedWeights
    from kb.read.snapshots import SnapshotFiles
    from kb.suggest.engine import Suggester

    def memory():
        fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
        return {k: int(fields[k].split()[0]) * 1024 for k in ("RssAnon", "RssFile")}

    form, path, cards = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    gc.collect()
    before = memory()
    started = time.perf_counter()
    if form == "snapshot":
        weights = RelatedWeights(links=dict(DEFAULT_LINK_WEIGHTS))
        indexes = SnapshotFiles(path, weights).read()
        graph = indexes.graph
    elif form == "pickle":
        gc.disable()  # as SnapshotFiles.read does
        graph = pickle.loads(path.read_bytes())
        gc.enable()
    else:
        from kb.read.columnar.files import open_directory
        from kb.read.columnar.graph import MappedEntityGraph
        graph = MappedEntityGraph(open_directory(path, 1).arrays)
    opened_s = time.perf_counter() - started
    opened = memory()
    served = sorted(i for i in graph.entities() if (entity_id(i) or "hk:")[:3] != "hk:")
    times = []
    for iri in random.Random(7).sample(served, min(cards, len(served))):
        started = time.perf_counter()
        entity_card(graph, iri)
        times.append(time.perf_counter() - started)
    carded = memory()
    started = time.perf_counter()
    Suggester.from_graph(graph)
    suggester_s = time.perf_counter() - started
    times.sort()
    print(json.dumps({
        "open_s": opened_s,
        "anon_added": opened["RssAnon"] - before["RssAnon"],
        "file_added": opened["RssFile"] - before["RssFile"],
        "anon_after_cards": carded["RssAnon"] - before["RssAnon"],
        "file_after_cards": carded["RssFile"] - before["RssFile"],
        "card_p50_ms": times[len(times) // 2] * 1000,
        "card_p99_ms": times[int(len(times) * 0.99)] * 1000,
        "suggester_s": suggester_s,
    }))
    """
)


def build(data: Path, work: Path, tag: str) -> dict:
    """The store (once), the snapshot of this code, the graph pickled and as columns."""
    from kb.read.indexes import DEFAULT_LINK_WEIGHTS, load_indexes
    from kb.read.related_model import RelatedWeights
    from kb.read.snapshots import SnapshotFiles
    from kb.store.managed import ManagedOxigraph

    location = work / "store"
    if not (location / "loaded").exists():
        location.mkdir(parents=True, exist_ok=True)
        oxigraph = str(Path(sys.executable).parent / "oxigraph")
        subprocess.run(
            [oxigraph, "load", "--location", str(location), "--file", str(data)],
            check=True,
            capture_output=True,
        )
        (location / "loaded").write_text(str(data))
    engine = ManagedOxigraph(location, timeout_cap_s=300)
    engine.start(ready_timeout_s=300)
    try:
        weights = RelatedWeights(links=dict(DEFAULT_LINK_WEIGHTS))
        indexes = load_indexes(engine.store(timeout_s=300), weights)
    finally:
        engine.stop()
    built = {"version": indexes.version, "entity_subjects": len(indexes.graph.spo)}
    SnapshotFiles(work / f"snapshots-{tag}", weights).write(indexes)
    (work / "graph.pickle").write_bytes(pickle.dumps(indexes.graph, pickle.HIGHEST_PROTOCOL))
    try:
        from kb.read.columnar.files import write_directory
        from kb.read.columnar.graph_columns import graph_arrays
    except ImportError:  # code from before the graph's columns
        return built
    write_directory(work / "graph-columns", graph_arrays(indexes.graph), {}, {}, 1)
    return built


def probe(form: str, path: Path, cards: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, form, str(path), str(cards)],
        cwd=path.parent,  # not a checkout: ``-c`` puts the working directory first on the path
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--tag", default="now")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cards", type=int, default=300)
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict = {"tag": args.tag}
    if not args.no_build:
        results["built"] = build(args.data, args.work, args.tag)
    forms = {"snapshot": args.work / f"snapshots-{args.tag}", "pickle": args.work / "graph.pickle"}
    mapped_graph = importlib.util.find_spec("kb.read.columnar.graph") is not None  # this code
    if mapped_graph and (args.work / "graph-columns").exists():
        forms["columns"] = args.work / "graph-columns"
    for form, path in forms.items():
        runs = [probe(form, path, args.cards) for _ in range(args.runs)]
        results[form] = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        results[form]["runs"] = runs
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
