"""Profile editor writes: new articles through the write gate, against a running store.

    .venv/bin/python scripts/profile_write.py --store-url http://127.0.0.1:PORT \
        --about androgenetic-alopecia --mentions topical-minoxidil [--runs 5] [--validation full]

PORT is the engine's (``hairkg serve`` prints "store ready at ..."; with ``--store-url`` it is
that server). Each run adds one article (a new id) tagged like a real one, scoped and validated
on its neighbourhood exactly as ``POST /api/v1/edit/articles`` does, and prints its seconds;
the last run's cProfile (cumulative time) follows. The articles stay in the store: use a copy.
The figures of docs/editing.md's "Measured at 1M triples" paragraph come from this script.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.store.client import SparqlStore  # noqa: E402
from kb.writes import documents as editor  # noqa: E402
from kb.writes.gate import Scope, gate_for  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store-url", required=True, help="the engine's base URL (/query ...)")
    parser.add_argument("--about", required=True, help="a concept id (kb: local name)")
    parser.add_argument("--mentions", nargs="*", default=[], help="more concept ids")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--validation", choices=("full", "shapes"), default="full")
    parser.add_argument("--top", type=int, default=30, help="profile rows to print")
    args = parser.parse_args(argv)

    store = SparqlStore.for_server(args.store_url, timeout_s=120)
    with tempfile.TemporaryDirectory(prefix="hairkg-profile-") as lock_dir:
        gate = gate_for(store, Path(lock_dir), args.validation)
        profile = None
        for run in range(args.runs):
            article = f"profile-write-{int(time.time() * 1000)}-{run}"
            iri, quads = editor.article_quads(
                {
                    "id": article,
                    "url": f"https://publisher.example/profile/{article}",
                    "title": f"Profile write {article}",
                    "date": "2025-01-01",
                    "about": [args.about],
                    "mentions": args.mentions,
                }
            )
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            result = gate.apply(
                lambda memory, quads=quads: memory.bulk_extend(quads),
                author="profile",
                message="scripts/profile_write.py",
                scope=Scope(frozenset({iri.value if hasattr(iri, "value") else str(iri)})),
            )
            profile.disable()
            seconds = time.perf_counter() - started
            print(f"run {run + 1}: {seconds:.3f} s, validated {result.validated}", flush=True)
    if profile is not None:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
