"""Precision and recall of tag suggestions on tests/suggest_corpus (the seed article, whose
tags in the knowledge base are the reference, and the test articles with expected sets).

    .venv/bin/python scripts/eval_suggest.py            # table
    .venv/bin/python scripts/eval_suggest.py --json     # everything, with missed/extra ids
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.read.entities import EntityGraph  # noqa: E402
from kb.suggest.engine import Suggester  # noqa: E402
from kb.suggest.evaluate import evaluate_corpus, local_triples  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument("--corpus", type=Path, default=ROOT / "tests" / "suggest_corpus")
    args = parser.parse_args()
    triples = local_triples()
    suggester = Suggester.from_graph(EntityGraph(triples))
    report = evaluate_corpus(suggester, triples, args.corpus)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print("| article | words | about P | about R | mentions P | mentions R |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in report["articles"]:
        a, m = row["about"], row["mentions"]
        print(
            f"| {row['article']} | {row['words']} | {a['precision']:.2f} | {a['recall']:.2f} "
            f"| {m['precision']:.2f} | {m['recall']:.2f} |"
        )
    a, m = report["pooled"]["about"], report["pooled"]["mentions"]
    print(
        f"| **all (pooled)** | | **{a['precision']:.2f}** | **{a['recall']:.2f}** "
        f"| **{m['precision']:.2f}** | **{m['recall']:.2f}** |"
    )
    for row in report["articles"]:
        for role in ("about", "mentions"):
            r = row[role]
            if r["missed"] or r["extra"]:
                print(f"{row['article']} {role}: missed {r['missed']} extra {r['extra']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
