"""How long one suggestion takes: 10,000 words of article text (the corpus articles repeated),
parsed (text, or HTML through html.parser) and matched against the knowledge base's concepts.
Target: under 50 ms. Wall time suffers on a loaded machine: the CPU time is printed too.

    .venv/bin/python scripts/bench_suggest.py [--words 10000] [--runs 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.read.entities import EntityGraph  # noqa: E402
from kb.suggest.engine import Suggester  # noqa: E402
from kb.suggest.evaluate import local_triples  # noqa: E402
from kb.suggest.html import from_html  # noqa: E402
from kb.suggest.text import from_text  # noqa: E402

CORPUS = ROOT / "tests" / "suggest_corpus"


def article_text(words: int) -> str:
    parts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.md"))]
    parts += [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))]
    body, count = [], 0
    while count < words:
        for part in parts:
            body.append(part)
            count += len(part.split())
            if count >= words:
                break
    return "\n\n".join(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    started = time.perf_counter()
    suggester = Suggester.from_graph(EntityGraph(local_triples()))
    build_ms = (time.perf_counter() - started) * 1000
    text = article_text(args.words)
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    html = (
        "<html><head><title>Bench</title></head><body>"
        + "".join(
            f"<h2>{p.strip('# ')}</h2>" if p.startswith("#") else f"<p>{p}</p>" for p in paragraphs
        )
        + "</body></html>"
    )
    rows = []
    for name, make in (("text", lambda: from_text(text)), ("html", lambda: from_html(html))):
        make()
        suggester.suggest(make())  # warm-up
        times, cpu = [], []
        for _ in range(args.runs):
            c0, t0 = time.process_time(), time.perf_counter()
            result = suggester.suggest(make())
            c1, t1 = time.process_time(), time.perf_counter()
            times.append((t1 - t0) * 1000)
            cpu.append((c1 - c0) * 1000)
        rows.append((name, result.words, times, cpu, len(result.suggestions)))
    print(
        f"matcher: {len(suggester.concepts)} concepts, {len(suggester)} patterns, "
        f"built in {build_ms:.0f} ms (including reading the source files)"
    )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print("| input | words | wall median ms | wall p95 ms | CPU median ms | concepts |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, words, times, cpu, concepts in rows:
        p95 = sorted(times)[int(0.95 * (len(times) - 1))]
        print(
            f"| {name} | {words} | {statistics.median(times):.1f} | {p95:.1f} "
            f"| {statistics.median(cpu):.1f} | {concepts} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
