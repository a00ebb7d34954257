"""``hairkg diff OLD NEW``: which terms were added, removed, changed or deprecated.

OLD and NEW are each a Turtle file, a folder (a checkout-like tree with ``ontology/`` and
``kb/data/``, or a folder of ``.ttl`` files) or ``git:REV`` (the ``ontology/hairkg.ttl`` and
``kb/data/*.ttl`` of that git revision of the working directory's repository).

A *term* is a named subject with a label or a type. For each term present in both, the
statements about it are compared: label and definition changes are named, every other
changed statement is an *axiom* change (blank-node structures such as
``owl:equivalentClass [ ... ]`` are compared as their canonical Turtle text). A term whose
``owl:deprecated true`` is new in NEW is listed as deprecated (with its replacement).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef

from kb.rdf import IAO_DEFINITION, IAO_TERM_REPLACED_BY


class DiffError(Exception):
    pass


@dataclass
class TermChange:
    iri: str
    curie: str
    label: str
    kind: str = ""
    old_label: str | None = None
    new_label: str | None = None
    old_definition: str | None = None
    new_definition: str | None = None
    added_axioms: list[str] = field(default_factory=list)
    removed_axioms: list[str] = field(default_factory=list)
    replaced_by: list[str] = field(default_factory=list)
    # the labels of the terms the added and removed statements name (CURIE -> label)
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = {"iri": self.iri, "curie": self.curie, "label": self.label}
        if self.kind:
            d["kind"] = self.kind
        for key in ("old_label", "new_label", "old_definition", "new_definition"):
            value = getattr(self, key)
            if value is not None:
                d[_camel(key)] = value
        if self.added_axioms:
            d["addedAxioms"] = self.added_axioms
        if self.removed_axioms:
            d["removedAxioms"] = self.removed_axioms
        if self.replaced_by:
            d["replacedBy"] = self.replaced_by
        if self.labels:
            d["labels"] = self.labels
        return d


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


@dataclass
class TermDiff:
    old: str
    new: str
    added: list[TermChange] = field(default_factory=list)
    removed: list[TermChange] = field(default_factory=list)
    changed: list[TermChange] = field(default_factory=list)
    deprecated: list[TermChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.deprecated)

    def to_dict(self) -> dict:
        return {
            "old": self.old,
            "new": self.new,
            "summary": {
                "added": len(self.added),
                "removed": len(self.removed),
                "changed": len(self.changed),
                "deprecated": len(self.deprecated),
            },
            "added": [t.to_dict() for t in self.added],
            "removed": [t.to_dict() for t in self.removed],
            "changed": [t.to_dict() for t in self.changed],
            "deprecated": [t.to_dict() for t in self.deprecated],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        out = [f"hairkg diff {self.old} -> {self.new}"]
        if self.empty:
            out.append("no term changed")
        for title, items in (
            ("added", self.added),
            ("removed", self.removed),
            ("deprecated", self.deprecated),
            ("changed", self.changed),
        ):
            if not items:
                continue
            out.append(f"{title} ({len(items)}):")
            for t in items:
                kind = f" [{t.kind}]" if t.kind else ""
                out.append(f'  {t.curie} "{t.label}"{kind}')
                out += [f"    {line}" for line in _details(t)]
        return "\n".join(out) + "\n"

    def to_markdown(self) -> str:
        out = [f"## Changes from `{self.old}` to `{self.new}`", ""]
        out.append(
            f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} "
            f"changed, {len(self.deprecated)} deprecated."
        )
        for title, items in (
            ("Added", self.added),
            ("Removed", self.removed),
            ("Deprecated", self.deprecated),
            ("Changed", self.changed),
        ):
            if not items:
                continue
            out += ["", f"### {title}", ""]
            for t in items:
                kind = f" ({t.kind})" if t.kind else ""
                out.append(f"- **{_md(t.label)}** `{t.curie}`{kind}")
                out += [f"  - {_md(line)}" for line in _details(t)]
        return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*")


def _labelled(statement: str, labels: dict[str, str]) -> str:
    """``hk:treats kb:te`` -> ``hk:treats kb:te (telogen effluvium)`` when the label is known."""
    named = statement.rsplit(" ", 1)[-1]
    return f"{statement} ({labels[named]})" if named in labels else statement


def _details(t: TermChange) -> list[str]:
    lines = []
    if t.old_label is not None or t.new_label is not None:
        lines.append(f'label: "{t.old_label}" -> "{t.new_label}"')
    if t.old_definition is not None or t.new_definition is not None:
        lines.append(f'definition: "{t.old_definition}" -> "{t.new_definition}"')
    lines += [f"+ {_labelled(a, t.labels)}" for a in t.added_axioms]
    lines += [f"- {_labelled(a, t.labels)}" for a in t.removed_axioms]
    if t.replaced_by:
        lines.append("replaced by " + ", ".join(t.replaced_by))
    return lines


# --- reading versions ---------------------------------------------------------------------


def _git_tree(rev: str, into: Path) -> Path:
    def git(*args: str) -> bytes:
        result = subprocess.run(["git", *args], capture_output=True, check=False)
        if result.returncode != 0:
            raise DiffError(f"git:{rev}: {result.stderr.decode(errors='replace').strip()}")
        return result.stdout

    top = Path(git("rev-parse", "--show-toplevel").decode().strip())
    git("rev-parse", "--verify", f"{rev}^{{commit}}")
    names = git("-C", str(top), "ls-tree", "-r", "--name-only", rev, "--", "ontology", "kb/data")
    count = 0
    for name in names.decode().splitlines():
        if name == "ontology/hairkg.ttl" or (name.startswith("kb/data/") and name.endswith(".ttl")):
            target = into / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(git("-C", str(top), "show", f"{rev}:{name}"))
            count += 1
    if not count:
        raise DiffError(f"git:{rev}: no ontology/hairkg.ttl or kb/data/*.ttl in that revision")
    return into


def load_version(spec: str, scratch: Path) -> Graph:
    """All triples of one version (ontology and data merged)."""
    from kb.files.sources import as_source, load_sources, source_files

    if spec.startswith("git:"):
        root = _git_tree(spec[4:], scratch)
        files = source_files(root)
    else:
        path = Path(spec)
        if path.is_dir():
            files = source_files(path) or [as_source(p) for p in sorted(path.glob("*.ttl"))]
        elif path.is_file():
            files = [as_source(path)]
        else:
            raise DiffError(f"{spec}: no such file, folder or git:REV")
    loaded = load_sources(files)
    if loaded.errors:
        raise DiffError(str(loaded.errors[0]))
    graph = Graph()
    for s, p, o, _g in loaded.dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    return graph


# --- comparing ------------------------------------------------------------------------------


def _terms(g: Graph) -> set[URIRef]:
    return {
        s
        for s in g.subjects()
        if isinstance(s, URIRef) and ((s, RDFS.label, None) in g or (s, RDF.type, None) in g)
    }


def _one(g: Graph, s, p) -> str | None:
    values = sorted(str(o) for o in g.objects(s, p) if isinstance(o, Literal))
    return " | ".join(values) if values else None


def _statements(g: Graph, s: URIRef, writer) -> set[str]:
    """The statements about ``s`` (blank nodes written out), label and definition excepted."""
    out = set()
    for p, o in g.predicate_objects(s):
        if p in (RDFS.label, IAO_DEFINITION):
            continue
        out.add(f"{writer.iri(p)} {writer.flat(o)}")
    return out


def _deprecated(g: Graph, s) -> bool:
    return any(str(o).lower() in ("true", "1") for o in g.objects(s, OWL.deprecated))


def _kind(g: Graph, s, writer) -> str:
    types = sorted(writer.iri(t) for t in g.objects(s, RDF.type) if t != OWL.NamedIndividual)
    return ", ".join(types)


def _object_labels(s, *sides) -> dict[str, str]:
    """The labels of the IRIs that ``s``'s added or removed statements point at."""
    labels = {}
    for g, writer, statements in sides:
        for p, o in g.predicate_objects(s):
            name = writer.flat(o)
            if isinstance(o, URIRef) and f"{writer.iri(p)} {name}" in statements:
                label = _one(g, o, RDFS.label)
                if label:
                    labels[name] = label
    return labels


def compare(old: Graph, new: Graph, old_name: str = "OLD", new_name: str = "NEW") -> TermDiff:
    from kb.files.turtle import TurtleWriter

    wo, wn = TurtleWriter(old), TurtleWriter(new)
    diff = TermDiff(old_name, new_name)
    old_terms, new_terms = _terms(old), _terms(new)

    def change(s, g, w) -> TermChange:
        return TermChange(str(s), w.iri(s), _one(g, s, RDFS.label) or w.iri(s), _kind(g, s, w))

    for s in sorted(new_terms - old_terms, key=str):
        t = change(s, new, wn)
        t.new_definition = _one(new, s, IAO_DEFINITION)
        diff.added.append(t)
    for s in sorted(old_terms - new_terms, key=str):
        diff.removed.append(change(s, old, wo))
    for s in sorted(old_terms & new_terms, key=str):
        t = change(s, new, wn)
        if _deprecated(new, s) and not _deprecated(old, s):
            t.replaced_by = sorted(wn.iri(o) for o in new.objects(s, IAO_TERM_REPLACED_BY))
            diff.deprecated.append(t)
        ol, nl = _one(old, s, RDFS.label), _one(new, s, RDFS.label)
        od, nd = _one(old, s, IAO_DEFINITION), _one(new, s, IAO_DEFINITION)
        if ol != nl:
            t.old_label, t.new_label = ol, nl
        if od != nd:
            t.old_definition, t.new_definition = od, nd
        a, b = _statements(old, s, wo), _statements(new, s, wn)
        t.added_axioms, t.removed_axioms = sorted(b - a), sorted(a - b)
        t.labels = _object_labels(s, (new, wn, b - a), (old, wo, a - b))
        deprecated = bool(diff.deprecated) and diff.deprecated[-1] is t
        if not deprecated and (ol != nl or od != nd or t.added_axioms or t.removed_axioms):
            diff.changed.append(t)  # a newly deprecated term is listed once, as deprecated
    return diff


def diff_sources(old: str, new: str) -> TermDiff:
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        return compare(load_version(old, Path(a)), load_version(new, Path(b)), old, new)


__all__ = ["DiffError", "TermChange", "TermDiff", "compare", "diff_sources", "load_version"]
