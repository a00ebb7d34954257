"""A deterministic synthetic content graph for benchmarks, shaped like hairkg's own data.

    .venv/bin/python scripts/generate_synthetic.py --triples 1000000 --out var/bench/1m.nq
    .venv/bin/python scripts/generate_synthetic.py --triples 10000 --out /tmp/10k.nq --validate

Writes N-Quads into the graphs a release uses: the shipped ontology in ``graph/ontology``, the
synthetic knowledge base in ``graph/kb`` and the dataset version in ``graph/meta`` (so that a
store loaded from the file is versioned like one loaded by ``hairkg serve``). No inferred graph:
the benchmarked queries read asserted triples only.

Content, for a target of T triples (same seed, same T -> same bytes):

- ``T / 200`` concepts: conditions (some ``hk:HairLossDisorder`` with ``skos:broader``),
  treatments (drugs and procedures that ``hk:treats`` conditions, ``hk:actsThrough``
  mechanisms and have ``hk:hasAdverseEffect``), mechanisms (``hk:mechanismInvolvedIn`` a
  condition) and adverse effects. Each has one label (mirrored as ``skos:prefLabel``), one
  unique definition with its source, and exact synonyms mirrored as ``skos:altLabel``. Every
  clinical link has its supported claim (stated in one synthetic source document, at the
  synthetic "no study cited" evidence level), as the shapes require of real data.
- articles (the rest of the budget, about 11.4 triples each) with ``schema:url``, a title, a
  summary, a date, 1-3 ``hk:about`` and 0-6 ``hk:mentions`` concepts drawn from a Zipf law
  (exponent 1) over a shuffled concept order: at 1M triples the most used concept is on about
  40% of the ~83k articles, most concepts are on a few dozen.

These pass the shipped SHACL shapes and the quality rules (``--validate`` checks it).
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.rdf import (  # noqa: E402
    HK,
    KB,
    KB_GRAPH,
    META_GRAPH,
    ONTOLOGY_GRAPH,
)

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
OWL_NAMED_INDIVIDUAL = "http://www.w3.org/2002/07/owl#NamedIndividual"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OBO = "http://purl.obolibrary.org/obo/"
OBOINOWL = "http://www.geneontology.org/formats/oboInOwl#"
SCHEMA = "http://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
XSD = "http://www.w3.org/2001/XMLSchema#"

SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
PUBLISHER = "https://publisher.example/articles/"
ZIPF_EXPONENT = 1.0

_SYLLABLE_TEXT = (
    "ba ce di fo gu ka le mi no pu ra se ti vo zu "
    "bel cor dan fen gal hor jin kal lum mor nex pol quin ros tal ven xan yor zel ter"
)
_SYLLABLES = _SYLLABLE_TEXT.split()

# kind -> (share of concepts, rdf:type, label suffix)
KINDS = {
    "condition": (0.20, None, "alopecia"),
    "treatment": (0.35, None, ""),
    "mechanism": (0.25, str(HK.SignallingPathway), "pathway"),
    "adverse": (0.20, str(HK.AdverseEffect), "reaction"),
}


@dataclass(frozen=True)
class Concept:
    index: int
    kind: str
    iri: str
    label: str
    cls: str


def pseudo_word(n: int) -> str:
    """A distinct pronounceable word for each n >= 0 (bijective base-len(_SYLLABLES))."""
    base = len(_SYLLABLES)
    n += base * base  # at least three syllables
    parts = []
    while n:
        n, digit = divmod(n, base)
        parts.append(_SYLLABLES[digit])
    return "".join(reversed(parts))


def iri(value: str) -> str:
    return f"<{value}>"


def lit(text: str, lang: str | None = "en", datatype: str | None = None) -> str:
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    )
    if datatype:
        return f'"{escaped}"^^<{datatype}>'
    return f'"{escaped}"@{lang}' if lang else f'"{escaped}"'


class Progress:
    """A one-line progress bar on stderr (no dependency)."""

    def __init__(self, total: int, label: str, enabled: bool = True):
        self.total, self.label, self.enabled = max(1, total), label, enabled
        self.started = time.monotonic()
        self._shown = -1

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        percent = done * 100 // self.total
        if percent == self._shown:
            return
        self._shown = percent
        bar = "#" * (percent // 4)
        elapsed = time.monotonic() - self.started
        print(
            f"\r{self.label} [{bar:<25}] {percent:3d}% {elapsed:6.1f}s",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self.enabled:
            self.update(self.total)
            print(file=sys.stderr, flush=True)


def make_concepts(n: int, rng: random.Random) -> list[Concept]:
    out = []
    counts = {k: max(2, round(n * share)) for k, (share, _c, _s) in KINDS.items()}
    index = 0
    for kind, count in counts.items():
        for j in range(count):
            word = pseudo_word(index)
            if kind == "condition":
                suffix = ("alopecia", "syndrome", "folliculitis")[j % 3]
                label = f"{word} {suffix}"
                # the first conditions are roots; later ones are hair loss disorders
                cls = str(HK.Condition) if j < max(1, count // 10) else str(HK.HairLossDisorder)
            elif kind == "treatment":
                if j % 2:
                    label, cls = f"{word}ine", str(HK.Drug)
                else:
                    label, cls = f"{word} therapy", str(HK.Procedure)
            else:
                _share, cls, suffix = KINDS[kind]
                label = f"{word} {suffix}"
            slug = label.replace(" ", "-")
            out.append(Concept(index, kind, f"{KB}{slug}", label, cls))
            index += 1
    return out


SYNTHETIC_SOURCE = f"{KB}synthetic-source-document"
SYNTHETIC_LEVEL = f"{KB}synthetic-evidence-level-no-study"


def _claim_context_lines(g: str) -> list[str]:
    """The source document and the evidence level every synthetic claim refers to."""
    out = []
    source, level = iri(SYNTHETIC_SOURCE), iri(SYNTHETIC_LEVEL)
    for p, value in (
        (RDF_TYPE, iri(OWL_NAMED_INDIVIDUAL)),
        (RDF_TYPE, iri(str(HK.SourceDocument))),
        (RDFS_LABEL, lit("synthetic source document")),
        (SCHEMA + "url", lit("https://publisher.example/synthetic-source", None)),
        (DCTERMS + "publisher", lit("synthetic benchmark data", None)),
    ):
        out.append(f"{source} {iri(p)} {value} {g} .")
    definition = "An evidence level for synthetic benchmark claims, which cite no study."
    for p, value in (
        (RDF_TYPE, iri(OWL_NAMED_INDIVIDUAL)),
        (RDF_TYPE, iri(str(HK.EvidenceLevel))),
        (RDFS_LABEL, lit("synthetic: no study cited")),
        (SKOS + "prefLabel", lit("synthetic: no study cited")),
        (OBO + "IAO_0000115", lit(definition)),
        (OBO + "IAO_0000119", lit("synthetic benchmark data", None)),
        (str(HK.evidenceRank), lit("8", None, XSD + "integer")),
        (str(HK.highestCertainty), iri(str(HK.LowCertainty))),
        (str(HK.studyBased), lit("false", None, XSD + "boolean")),
    ):
        out.append(f"{level} {iri(p)} {value} {g} .")
    return out


def concept_lines(concepts: list[Concept], rng: random.Random) -> list[str]:
    by_kind: dict[str, list[Concept]] = {}
    for c in concepts:
        by_kind.setdefault(c.kind, []).append(c)
    conditions, mechanisms, adverse = by_kind["condition"], by_kind["mechanism"], by_kind["adverse"]
    # Targets of links are Zipf-skewed too: a few conditions have many treatments.
    cond_cum = list(itertools.accumulate(1 / (r + 1) for r in range(len(conditions))))
    g = iri(str(KB_GRAPH))
    lines = _claim_context_lines(g)
    claims = itertools.count(1)

    def clinical(s: str, predicate: str, o: str) -> None:
        """A clinical link and the supported claim behind it (docs/modelling.md)."""
        lines.append(f"{s} {iri(predicate)} {o} {g} .")
        n = next(claims)
        claim = iri(f"{KB}synthetic-claim-{n}")
        rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
        for p, value in (
            (RDF_TYPE, iri(OWL_NAMED_INDIVIDUAL)),
            (RDF_TYPE, iri(str(HK.Claim))),
            (RDFS_LABEL, lit(f"synthetic claim {n}")),
            (rdf + "subject", s),
            (rdf + "predicate", iri(predicate)),
            (rdf + "object", o),
            (str(HK.claimStatus), iri(str(HK.Supported))),
            (str(HK.statedIn), iri(SYNTHETIC_SOURCE)),
            (str(HK.evidenceLevel), iri(SYNTHETIC_LEVEL)),
            (str(HK.certainty), iri(str(HK.LowCertainty))),
            (SKOS + "editorialNote", lit("Synthetic benchmark data: no study.")),
        ):
            lines.append(f"{claim} {iri(p)} {value} {g} .")

    for c in concepts:
        s = iri(c.iri)
        add = lines.append
        add(f"{s} {iri(RDF_TYPE)} {iri(OWL_NAMED_INDIVIDUAL)} {g} .")
        add(f"{s} {iri(RDF_TYPE)} {iri(c.cls)} {g} .")
        add(f"{s} {iri(RDFS_LABEL)} {lit(c.label)} {g} .")
        add(f"{s} {iri(SKOS + 'prefLabel')} {lit(c.label)} {g} .")
        kind_text = {
            "condition": "condition of the scalp",
            "treatment": "treatment for hair loss",
            "mechanism": "signalling pathway",
            "adverse": "adverse effect of a treatment",
        }[c.kind]
        definition = f"A synthetic {kind_text}, number {c.index}, called {c.label}."
        add(f"{s} {iri(OBO + 'IAO_0000115')} {lit(definition)} {g} .")
        add(f"{s} {iri(OBO + 'IAO_0000119')} {lit('synthetic benchmark data', None)} {g} .")
        synonyms = [f"{c.label.split()[0][:4].upper()}-{c.index}"]
        if c.index % 2 == 0:
            synonyms.append(f"{c.label} variant {c.index}")
        for text in synonyms:
            add(f"{s} {iri(OBOINOWL + 'hasExactSynonym')} {lit(text)} {g} .")
            add(f"{s} {iri(SKOS + 'altLabel')} {lit(text)} {g} .")
        if c.kind == "condition" and c.cls == str(HK.HairLossDisorder):
            # an earlier condition: the hierarchy has no cycles
            parent = conditions[rng.randrange(c.index - conditions[0].index)]
            add(f"{s} {iri(SKOS + 'broader')} {iri(parent.iri)} {g} .")
        elif c.kind == "treatment":
            targets = {
                conditions[bisect.bisect_left(cond_cum, rng.random() * cond_cum[-1])]
                for _ in range(rng.randint(1, 3))
            }
            for t in sorted(targets, key=lambda x: x.index):
                clinical(s, str(HK.treats), iri(t.iri))
            for m in sorted(
                rng.sample(mechanisms, min(len(mechanisms), rng.randint(1, 2))),
                key=lambda x: x.index,
            ):
                clinical(s, str(HK.actsThrough), iri(m.iri))
            for a in sorted(
                rng.sample(adverse, min(len(adverse), rng.randint(1, 3))), key=lambda x: x.index
            ):
                clinical(s, str(HK.hasAdverseEffect), iri(a.iri))
        elif c.kind == "mechanism":
            t = conditions[rng.randrange(len(conditions))]
            clinical(s, str(HK.mechanismInvolvedIn), iri(t.iri))
    return lines


def ontology_lines() -> list[str]:
    import pyoxigraph as ox

    from ontology import ONTOLOGY_FILE

    graph = ox.NamedNode(str(ONTOLOGY_GRAPH))
    quads = [
        ox.Quad(t.subject, t.predicate, t.object, graph)
        for t in ox.parse(path=str(ONTOLOGY_FILE), format=ox.RdfFormat.TURTLE)
    ]
    # Blank nodes get stable labels so that the same input gives the same bytes.
    text = ox.serialize(quads, format=ox.RdfFormat.N_QUADS).decode()
    labels: dict[str, str] = {}

    def stable(token: str) -> str:
        return labels.setdefault(token, f"_:onto{len(labels)}")

    out = []
    for line in text.splitlines():
        if "_:" in line:
            parts = line.split(" ")
            line = " ".join(stable(p) if p.startswith("_:") else p for p in parts)
        out.append(line)
    return out


TOPICS = (
    "what the evidence says about",
    "a practical guide to",
    "questions and answers on",
    "new research on",
    "living with",
    "how doctors approach",
)


def generate(triples: int, out: Path, *, seed: int = 42, progress: bool = True) -> dict:
    """Writes the graph; returns a summary (counts, parameters, version)."""
    rng = random.Random(seed)
    n_concepts = max(40, triples // 200)
    concepts = make_concepts(n_concepts, rng)
    onto = ontology_lines()
    head = onto + concept_lines(concepts, rng)
    per_article = 11.4  # measured mean, used only to size the article count
    n_articles = max(10, round((triples - len(head) - 1) / per_article))

    popularity = concepts[:]
    random.Random(seed + 1).shuffle(popularity)
    cum = list(itertools.accumulate(1 / (r + 1) ** ZIPF_EXPONENT for r in range(len(popularity))))
    total_weight = cum[-1]
    version = f"synthetic-{triples}-{seed}"
    g = iri(str(KB_GRAPH))
    t_article, t_label, t_title = iri(str(HK.Article)), iri(RDFS_LABEL), iri(DCTERMS + "title")
    t_type, t_named = iri(RDF_TYPE), iri(OWL_NAMED_INDIVIDUAL)
    t_url, t_date = iri(SCHEMA + "url"), iri(SCHEMA + "datePublished")
    t_abstract, t_about, t_mentions = (
        iri(DCTERMS + "abstract"),
        iri(str(HK.about)),
        iri(str(HK.mentions)),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    bar = Progress(n_articles, f"generating {out.name}", progress)
    random_ = rng.random
    with out.open("w", encoding="utf-8") as f:
        for line in head:
            f.write(line + "\n")
        count += len(head)
        meta = iri(str(META_GRAPH))
        f.write(
            f"<{META_GRAPH}#dataset> {iri(str(HK.datasetVersion))} {lit(version, None)} {meta} .\n"
        )
        count += 1
        buffer = []
        for i in range(n_articles):
            n_tags = rng.randint(1, 3) + rng.randint(0, 6)
            tags = []
            seen = set()
            for _ in range(n_tags):
                c = popularity[bisect.bisect_left(cum, random_() * total_weight)]
                if c.index not in seen:
                    seen.add(c.index)
                    tags.append(c)
            n_about = min(len(tags), rng.randint(1, 3))
            main = tags[0]
            slug = main.label.replace(" ", "-")
            a = f"<{KB}article-{i:07d}>"
            title = f"{TOPICS[i % len(TOPICS)].capitalize()} {main.label} ({i})"
            year = 2005 + i % 20
            date = f"{year}-{1 + i % 12:02d}-{1 + i % 28:02d}"
            summary = f"This article covers {main.label}" + (
                f", with notes on {tags[1].label}." if len(tags) > 1 else "."
            )
            add = buffer.append
            add(f"{a} {t_type} {t_named} {g} .")
            add(f"{a} {t_type} {t_article} {g} .")
            add(f"{a} {t_label} {lit(title)} {g} .")
            add(f"{a} {t_title} {lit(title)} {g} .")
            add(f"{a} {t_url} {lit(f'{PUBLISHER}{year}/{slug}-{i}', None, XSD + 'anyURI')} {g} .")
            add(f"{a} {t_date} {lit(date, None, XSD + 'date')} {g} .")
            add(f"{a} {t_abstract} {lit(summary)} {g} .")
            for j, c in enumerate(tags):
                add(f"{a} {t_about if j < n_about else t_mentions} <{c.iri}> {g} .")
            if len(buffer) > 50_000:
                f.write("\n".join(buffer) + "\n")
                count += len(buffer)
                buffer.clear()
                bar.update(i)
        if buffer:
            f.write("\n".join(buffer) + "\n")
            count += len(buffer)
    bar.close()
    by_kind = {k: sum(1 for c in concepts if c.kind == k) for k in KINDS}
    return {
        "file": str(out),
        "triples": count,
        "target": triples,
        "seed": seed,
        "articles": n_articles,
        "concepts": len(concepts),
        "concepts_by_kind": by_kind,
        "version": version,
        "sha256": _sha256(out),
    }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def validate_file(path: Path, reason: bool) -> int:
    """Runs kb.validation.validate.validate_graph on the file; prints the counts; returns errors."""
    from rdflib import Dataset

    from kb.validation.validate import validate_graph

    meta = f"<{META_GRAPH}>"
    data = "".join(
        line for line in path.open(encoding="utf-8") if not line.rstrip().endswith(f"{meta} .")
    )
    ds = Dataset()
    ds.parse(data=data, format="nquads")  # the meta graph (dataset version) is not content
    report = validate_graph(ds, reason=reason, progress=lambda m: print("  " + m, file=sys.stderr))
    print(f"validation: {report.counts()} in {report.stats}", file=sys.stderr)
    for finding in report.errors[:20]:
        print(f"  {finding.rule}: {finding.message}", file=sys.stderr)
    return len(report.errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    size = parser.add_mutually_exclusive_group(required=True)
    size.add_argument("--triples", type=int, help="target number of triples")
    size.add_argument("--size", choices=sorted(SIZES), help="a named size")
    parser.add_argument("--out", type=Path, required=True, help="N-Quads file to write")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--validate", action="store_true", help="run SHACL and quality checks")
    parser.add_argument("--reason", action="store_true", help="with --validate: run HermiT too")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    triples = args.triples or SIZES[args.size]
    started = time.monotonic()
    summary = generate(triples, args.out, seed=args.seed, progress=not args.quiet)
    print(
        f"wrote {summary['triples']} triples ({summary['articles']} articles, "
        f"{summary['concepts']} concepts) to {args.out} in {time.monotonic() - started:.1f} s",
        file=sys.stderr,
    )
    if args.validate:
        return 1 if validate_file(args.out, args.reason) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
