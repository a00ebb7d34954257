"""Measures the candidate stores on hairkg's own queries, for the store choice in
docs/architecture.md.

    .venv/bin/python scripts/bench_store.py [--runs 30] [--scale 0]

Each competency question of kb/queries/*.rq runs against the same release graph in:
rdflib's in-memory engine, pyoxigraph in process (memory and on disk) and an Oxigraph server
over HTTP through kb.store.client.SparqlStore (hairkg's default). ``--scale N`` adds N synthetic
articles tagged with the real concepts, to see how each engine grows. Prints a Markdown table
of medians in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import rdflib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.rdf import HK, KB, KB_GRAPH, PREFIXES, SCHEMA  # noqa: E402
from kb.store.managed import ManagedOxigraph  # noqa: E402
from kb.validation.release import release_quads  # noqa: E402


def synthetic_quads(quads: list[ox.Quad], articles: int, seed: int = 7) -> list[ox.Quad]:
    """Articles tagged about/mentions with the real concepts, Zipf-skewed."""
    concepts = sorted(
        {
            str(q.object.value)
            for q in quads
            if str(q.predicate.value) in (str(HK.about), str(HK.mentions))
        }
    )
    if not concepts:
        return []
    rng = random.Random(seed)
    weights = [1 / (rank + 1) for rank in range(len(concepts))]
    graph = ox.NamedNode(str(KB_GRAPH))
    out = []
    for i in range(articles):
        article = ox.NamedNode(f"{KB}synthetic-article-{i}")
        out.append(
            ox.Quad(
                article,
                ox.NamedNode(PREFIXES["rdf"] + "type"),
                ox.NamedNode(str(HK.Article)),
                graph,
            )
        )
        out.append(
            ox.Quad(
                article,
                ox.NamedNode(str(SCHEMA.url)),
                ox.NamedNode(f"https://hairclinic.example/a/{i}"),
                graph,
            )
        )
        for j, concept in enumerate(rng.choices(concepts, weights, k=4)):
            predicate = HK.about if j == 0 else HK.mentions
            out.append(ox.Quad(article, ox.NamedNode(str(predicate)), ox.NamedNode(concept), graph))
    return out


def timed(run, runs: int) -> float:
    run()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--scale", type=int, default=0, help="synthetic articles to add")
    args = parser.parse_args()

    quads = list(release_quads())
    quads += synthetic_quads(quads, args.scale)
    queries = {p.stem: p.read_text() for p in sorted((ROOT / "kb" / "queries").glob("*.rq"))}
    prologue = "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items())

    with tempfile.TemporaryDirectory() as tmp:
        nquads = Path(tmp) / "data.nq"
        ox.serialize(quads, output=str(nquads), format=ox.RdfFormat.N_QUADS)

        rdflib_graph = rdflib.Dataset(default_union=True)
        start = time.perf_counter()
        rdflib_graph.parse(str(nquads), format="nquads")
        load = {"rdflib in memory": time.perf_counter() - start}

        memory = ox.Store()
        start = time.perf_counter()
        memory.load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        load["pyoxigraph in memory"] = time.perf_counter() - start

        disk = ox.Store(str(Path(tmp) / "disk"))
        start = time.perf_counter()
        disk.load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        disk.flush()
        load["pyoxigraph on disk"] = time.perf_counter() - start

        server_dir = Path(tmp) / "server"
        from kb.store.managed import load_file

        start = time.perf_counter()
        load_file(server_dir, nquads)
        load["Oxigraph server (HTTP, hairkg default)"] = time.perf_counter() - start
        server = ManagedOxigraph(server_dir, timeout_cap_s=60)
        server.start()
        store = server.store(timeout_s=60)

        systems = {
            "rdflib in memory": lambda q: list(rdflib_graph.query(prologue + q)),
            "pyoxigraph in memory": lambda q: list(
                memory.query(q, prefixes=PREFIXES, use_default_graph_as_union=True)
            ),
            "pyoxigraph on disk": lambda q: list(
                disk.query(q, prefixes=PREFIXES, use_default_graph_as_union=True)
            ),
            "Oxigraph server (HTTP, hairkg default)": lambda q: store.query(prologue + q).body,
        }
        try:
            print(f"{len(quads)} quads; median of {args.runs} runs, ms\n")
            print("| query | " + " | ".join(systems) + " |")
            print("|---|" + "---|" * len(systems))
            print("| load (s) | " + " | ".join(f"{load[s]:.2f}" for s in systems) + " |")
            for name, text in queries.items():
                cells = [
                    f"{timed(lambda run=run, text=text: run(text), args.runs):.2f}"
                    for run in systems.values()
                ]
                print(f"| {name} | " + " | ".join(cells) + " |")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
