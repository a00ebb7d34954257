"""What a write answers: the errors a change can meet (each with its HTTP status) and the result of
a committed change."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox

from kb.rdf import KB_GRAPH
from kb.validation.hermit import ReasonerUnavailable
from kb.writes.history import ChangeRecord
from kb.writes.update_text import _graph_key


class ChangeError(Exception):
    """A change that is not accepted; ``status`` is the HTTP status to answer."""

    status = 400
    headers: dict[str, str] = {}  # noqa: RUF012 - read only: extra response headers

    def __init__(self, message: str, *, status: int | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra
        if status is not None:
            self.status = status


class ValidationFailed(ChangeError):
    status = 422

    def __init__(self, report, added=(), removed=()):
        errors = report.errors
        super().__init__(
            f"the change was rejected: validation found {len(errors)} error(s); nothing was written"
        )
        self.report = report
        self.added, self.removed = list(added), list(removed)  # the change that was refused


class ServiceGraphWrite(ChangeError):
    status = 403


class DefaultGraphWrite(ChangeError):
    """Triples written to the store's own default graph: queries see them through the union,
    but nothing hairkg loads (indexes, ``export --to-files``) reads them back."""

    status = 400

    def __init__(self, count: int):
        super().__init__(
            f"the change writes {count} triple(s) to the default graph, which in updates is "
            "the store's own default graph, not the knowledge base: nothing would load them "
            f"back (hairkg export --to-files, search, entity cards). Name the graph: "
            f"INSERT DATA {{ GRAPH <{KB_GRAPH}> {{ ... }} }}, WITH <{KB_GRAPH}> before "
            f"DELETE/INSERT, or ?graph={KB_GRAPH} in the Graph Store Protocol. Nothing was "
            "written."
        )


class PreconditionFailed(ChangeError):
    status = 412


class Conflict(ChangeError):
    status = 409


class GateBusy(ChangeError):
    """The write lock (this host's, or the store's write lease held by another host) could
    not be had in time: nothing was written; try again after ``Retry-After`` seconds."""

    status = 503
    headers = {"Retry-After": "5"}  # noqa: RUF012 - read only


class ReasoningUnavailable(ChangeError):
    """The write needs HermiT and the host's shared reasoner process could not be reached
    (kb.validation.shared_reasoner): refused, nothing written; try again shortly."""

    status = 503
    headers = {"Retry-After": "5"}  # noqa: RUF012 - read only


@contextlib.contextmanager
def refused_without_reasoner():
    """Turns an unreachable reasoner process into :class:`ReasoningUnavailable`."""
    try:
        yield
    except ReasonerUnavailable as error:
        raise ReasoningUnavailable(
            f"the change was not validated, nothing was written: {error}"
        ) from error


@dataclass
class CommitResult:
    record: ChangeRecord | None  # None when the edit changed nothing
    version: str
    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)
    report: Any = None  # the validation report (warnings are worth showing)
    value: Any = None  # what the edit returned
    version_before: str = ""
    seconds: float = 0.0
    validated: str = ""  # "local" (neighbourhood), "full" (whole graph), "" (not validated)

    def counts(self) -> dict[str, dict[str, int]]:
        """Quads added and removed per graph."""
        out: dict[str, dict[str, int]] = {}
        for key, quads in (("added", self.added), ("removed", self.removed)):
            for q in quads:
                out.setdefault(_graph_key(q), {"added": 0, "removed": 0})[key] += 1
        return {g: out[g] for g in sorted(out)}

    def to_dict(self) -> dict:
        """The answer of a load (``hairkg load``, ``POST /admin/reload``)."""
        record = self.record
        return {
            "message": record.message if record else "",
            "changed": record is not None,
            "change": record.id if record else None,
            "author": record.author if record else None,
            "versionBefore": self.version_before or self.version,
            "versionAfter": self.version,
            "added": len(self.added),
            "removed": len(self.removed),
            "graphs": self.counts(),
            "seconds": round(self.seconds, 3),
        }


def load_summary_text(answer: dict) -> str:
    """A load's answer (``CommitResult.to_dict``) for people."""
    if not answer.get("changed"):
        return f"store already up to date (version {answer.get('versionAfter')})\n"
    change = f" (change {answer['change']})" if answer.get("change") else ""
    lines = [
        f"loaded: +{answer.get('added')} -{answer.get('removed')} triples, version "
        f"{answer.get('versionBefore')} -> {answer.get('versionAfter')}{change}"
    ]
    for g, c in (answer.get("graphs") or {}).items():
        lines.append(f"  {g}: +{c['added']} -{c['removed']}")
    return "\n".join(lines) + "\n"
