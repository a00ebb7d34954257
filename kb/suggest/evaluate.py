"""Evaluating the suggester on a labelled corpus: the tags each article of the local files has, and
precision and recall per article."""

from __future__ import annotations

from collections import Counter

from kb.rdf import HK
from kb.rdf import KB as KB_NS
from kb.read.entities import (
    entity_id,
    graph_term,
)
from kb.suggest.engine import ABOUT, MENTIONS, Suggester
from kb.suggest.html import from_html, looks_like_html
from kb.suggest.text import (
    Document,
    from_text,
)


def document_from_file_text(content: str, *, html: bool | None = None) -> Document:
    """Plain text, Markdown or HTML (``html=None``: decided from the content)."""
    if html is None:
        html = looks_like_html(content)
    return from_html(content) if html else from_text(content)


def local_triples(root=None) -> list[tuple]:
    """The asserted triples of the source files (no reasoner: labels and types suffice)."""
    from kb.validation.release import load_asserted_quads

    out = []
    for quad in load_asserted_quads(root):
        s, o = graph_term(quad.subject), graph_term(quad.object)
        if isinstance(s, str) and o is not None:
            out.append((s, quad.predicate.value, o))
    return out


def article_tags(triples: list[tuple], article_iri: str) -> tuple[set[str], set[str]]:
    """The hk:about and hk:mentions ids of one article in ``triples``."""
    about, mentions = set(), set()
    for s, p, o in triples:
        if s == article_iri and isinstance(o, str):
            if p == str(HK.about):
                about.add(entity_id(o))
            elif p == str(HK.mentions):
                mentions.add(entity_id(o))
    return about, mentions - about


def read_document(path) -> Document:
    """A file as a document: HTML by extension (.html, .htm) or content, else text/Markdown."""
    from pathlib import Path

    path = Path(path)
    content = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".html", ".htm", ".xhtml"):
        return from_html(content)
    if path.suffix.lower() in (".md", ".markdown", ".txt", ".text"):
        return from_text(content)
    return document_from_file_text(content)


def precision_recall(found: set[str], expected: set[str]) -> tuple[float, float]:
    hits = len(found & expected)
    precision = hits / len(found) if found else (1.0 if not expected else 0.0)
    recall = hits / len(expected) if expected else 1.0
    return precision, recall


def evaluate_corpus(suggester: Suggester, triples: list[tuple], corpus_dir) -> dict:
    """Per-article and pooled (micro-averaged) precision and recall of about and mentions
    against ``corpus_dir/expected.json`` (a 'reference' article is read from the graph)."""
    import json
    from pathlib import Path

    corpus_dir = Path(corpus_dir)
    spec = json.loads((corpus_dir / "expected.json").read_text(encoding="utf-8"))
    rows = []
    totals = {role: Counter() for role in (ABOUT, MENTIONS)}
    for name, expected in spec.items():
        if name.startswith("_"):
            continue
        if "reference" in expected:
            want_about, want_mentions = article_tags(triples, str(KB_NS) + expected["reference"])
        else:
            want_about, want_mentions = set(expected["about"]), set(expected["mentions"])
        result = suggester.suggest(read_document(corpus_dir / name))
        got_about, got_mentions = set(result.ids(ABOUT)), set(result.ids(MENTIONS))
        row = {"article": name, "words": result.words}
        for role, got, want in (
            (ABOUT, got_about, want_about),
            (MENTIONS, got_mentions, want_mentions),
        ):
            p, r = precision_recall(got, want)
            row[role] = {
                "precision": round(p, 3),
                "recall": round(r, 3),
                "missed": sorted(want - got),
                "extra": sorted(got - want),
            }
            totals[role].update(tp=len(got & want), found=len(got), expected=len(want))
        rows.append(row)
    pooled = {}
    for role, t in totals.items():
        pooled[role] = {
            "precision": round(t["tp"] / t["found"], 3) if t["found"] else 1.0,
            "recall": round(t["tp"] / t["expected"], 3) if t["expected"] else 1.0,
            "found": t["found"],
            "expected": t["expected"],
            "correct": t["tp"],
        }
    return {"articles": rows, "pooled": pooled}
