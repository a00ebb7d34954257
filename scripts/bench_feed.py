"""Measures what the change feed's watch asks the store (docs/feed.md).

    .venv/bin/python scripts/bench_feed.py [--calls 200]

Loads the release graph (built into a temporary directory) into a managed Oxigraph and times
the two queries of ``kb.feed.watch.ChangeWatch``: the dataset version lookup (every
``feed_store_poll_s`` per process with open streams) and the newest change number (after the
version changed). Prints the median and 95th percentile in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.feed.events import latest_number  # noqa: E402
from kb.store.managed import ManagedOxigraph  # noqa: E402
from kb.validation.release import build_release  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    calls = parser.parse_args().calls
    with tempfile.TemporaryDirectory() as tmp:
        build_release(Path(tmp) / "build")
        engine = ManagedOxigraph(Path(tmp) / "oxigraph", timeout_cap_s=60)
        engine.start()
        try:
            store = engine.store(timeout_s=60)
            store.load_nquads((Path(tmp) / "build" / "release.nq").read_bytes())
            store.update(store.set_version_update("seed"))
            for name, call in (
                ("dataset version", lambda: store.version(max_age_s=0)),
                ("newest change number", lambda: latest_number(store)),
            ):
                times = []
                for _ in range(calls):
                    started = time.perf_counter()
                    call()
                    times.append((time.perf_counter() - started) * 1000)
                p95 = sorted(times)[int(len(times) * 0.95) - 1]
                print(f"{name}: median {statistics.median(times):.2f} ms, p95 {p95:.2f} ms")
        finally:
            engine.stop()


if __name__ == "__main__":
    main()
