"""Findings: what every check reports (rule, severity, node, file and line), prefixed names for
messages, and counts by severity."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from rdflib import URIRef

from kb.rdf import (
    PREFIXES,
)

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem (or note) found by validation."""

    severity: str  # 'error' | 'warning' | 'info'
    rule: str
    message: str
    node: str | None = None
    path: str | None = None
    line: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def short(term: object) -> str:
    """A prefixed name (``hk:Treatment``) when a hairkg prefix covers the IRI, else <IRI>."""
    text = str(term)
    if not isinstance(term, URIRef) and not (isinstance(term, str) and "://" in text):
        return text
    best = ""
    for name, ns in PREFIXES.items():
        if text.startswith(ns) and len(ns) > len(PREFIXES.get(best, "")):
            best = name
    if best:
        local = text[len(PREFIXES[best]) :]
        if re.fullmatch(r"[A-Za-z0-9_][\w.-]*", local or "_") and not local.endswith("."):
            return f"{best}:{local}"
    return f"<{text}>"


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    return counts
