"""Where a related-content answer's time goes on a served index snapshot (issue 14: related
throughput at 10M).

    .venv/bin/python scripts/profile_related.py DATA_DIR/indexes [--articles 200]

Maps the newest snapshot in ``DATA_DIR/indexes`` as a worker does (``SnapshotFiles.read``, the
server's default weights), then answers the top 10 related articles for ``--articles`` articles
(every 97th row, the ranking's memo emptied before each), timed one at a time in process;
prints the p50/p90/p99, the number of articles the heaviest query concept is on, and the
functions that took the most time under cProfile (first those of mapping the snapshot).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.read.indexes import related_weights  # noqa: E402
from kb.read.snapshots import SnapshotFiles  # noqa: E402
from kb.settings import Settings  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("indexes", type=Path, help="DATA_DIR/indexes of a served store")
    parser.add_argument("--articles", type=int, default=200)
    args = parser.parse_args()
    settings = Settings()
    weights = related_weights(settings)
    opening = cProfile.Profile()
    started = time.perf_counter()
    opening.enable()
    indexes = SnapshotFiles(args.indexes, weights).read()
    opening.disable()
    if indexes is None:
        raise SystemExit(f"{args.indexes}: no snapshot of this code and these weights")
    print(f"mapped in {time.perf_counter() - started:.2f} s (a worker's restart), under cProfile:")
    pstats.Stats(opening).sort_stats("tottime").print_stats(5)
    related = indexes.related
    articles = list(related.articles.values())[::97][: args.articles]
    times, heaviest = [], []
    profile = cProfile.Profile()
    for article in articles:
        related._memo.clear()
        terms = related.query_terms(article)
        heaviest.append(max((related.df(c) for c in terms), default=0))
        started = time.perf_counter()
        profile.enable()
        related.related(article, 10)
        profile.disable()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    n = len(times)
    print(
        f"{n} articles of {len(related.articles)}: p50 {times[n // 2]:.2f} ms, "
        f"p90 {times[int(n * 0.9)]:.2f} ms, p99 {times[min(n - 1, int(n * 0.99))]:.2f} ms"
    )
    heaviest.sort()
    print(f"most-used query concept per article: median {heaviest[n // 2]:,} articles")
    pstats.Stats(profile).sort_stats("tottime").print_stats(8)
    return 0


if __name__ == "__main__":
    sys.exit(main())
