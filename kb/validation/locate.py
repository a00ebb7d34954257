"""Where a finding is in the source files: the line that names a referenced or deprecated term."""

from __future__ import annotations

from pathlib import Path

from rdflib import URIRef

from kb.files.sources import (
    SourceFile,
    display_path,
)
from kb.validation.findings import Finding, short


def pinpoint_references(findings: list[Finding], files: list[SourceFile]) -> list[Finding]:
    """Move a dangling or deprecated reference from the line of the subject that uses it to
    the line where the reference itself is written (the first one in that block)."""
    real = {display_path(f.path): Path(f.path) for f in files}
    texts: dict[str, list[str]] = {}
    out = []
    for f in findings:
        if f.rule in ("dangling_reference", "deprecated_reference") and f.path and f.line:
            target = f.node if f.rule == "dangling_reference" else _deprecated_term(f.message)
            if target and f.path in real:
                if f.path not in texts:
                    texts[f.path] = real[f.path].read_text(encoding="utf-8").splitlines()
                line = _find_token(texts[f.path], f.line, target)
                if line:
                    f = Finding(f.severity, f.rule, f.message, f.node, f.path, line)
        out.append(f)
    return out


def _deprecated_term(message: str) -> str | None:
    import re

    m = re.search(r"uses deprecated \w+ (\S+)", message)
    if not m:
        return None
    token = m.group(1).rstrip(";")
    if token.startswith("<"):
        return token[1:-1]
    from kb.rdf import PREFIXES

    name, _, local = token.partition(":")
    return PREFIXES[name] + local if name in PREFIXES else None


def _find_token(lines: list[str], start: int, iri: str) -> int | None:
    """First line at or after ``start`` (1-based) that writes ``iri`` (prefixed or full)."""
    import re

    tokens = [f"<{iri}>"]
    prefixed = short(URIRef(iri))
    if not prefixed.startswith("<"):
        tokens.append(prefixed)
    pattern = re.compile(
        "|".join(
            re.escape(t) + (r"(?![\w.:-]*[\w:-])" if not t.startswith("<") else "") for t in tokens
        )
    )
    for n in range(max(start - 1, 0), len(lines)):
        if n > start - 1 and lines[n][:1] not in (" ", "\t", ""):
            break  # the next subject's block: stop
        if pattern.search(lines[n]):
            return n + 1
    return None
