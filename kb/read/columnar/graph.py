"""The concept graph over a snapshot's memory-mapped columns (``MappedEntityGraph``; the columns
are described in ``kb.read.columnar.graph_columns``).

It answers like ``kb.read.entities.EntityGraph`` (both are ``ConceptGraph``s: labels, types,
ancestry and the JSON pieces are derived in one place): ``spo`` and ``incoming`` are mappings
whose look-ups decode one subject's statements, or one node's incoming links, on demand, into
the same lists the dictionaries hold. A worker keeps only small caches: the predicates, the
languages and datatypes, ``primary_of``, the last subjects and node rows asked for (bounded),
the superclasses of the classes asked about, and the article titles changed since the snapshot
(``ArticleTitles``). Listing the whole graph (``spo.items()``, ``incoming.items()``, the
titles: a new snapshot, the suggester's walk over every statement) decodes it a column at a
time; ``subjects_with`` scans the predicate column instead of decoding every subject.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from functools import lru_cache

import numpy as np

from kb.read.columnar.graph_columns import PREFIX
from kb.read.columnar.tables import StringTable
from kb.read.entities import ConceptGraph, Lit

CACHED_SUBJECTS = 4096  # decoded subjects kept per process (an entity card reads a few dozen)
CACHED_ROWS = 16384  # node rows kept per process (found or not)


class ArticleTitles(MutableMapping):
    """Article IRI -> title: the snapshot's mapped table plus the changes since (an overlay
    of the refreshed articles' titles, None for a removed one)."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self._iri = StringTable(arrays, PREFIX + "article.iri")
        self._title = StringTable(arrays, PREFIX + "article.title")
        self._changed: dict[str, str | None] = {}
        self._base = lru_cache(maxsize=CACHED_ROWS)(self._snapshot_title)

    def _snapshot_title(self, iri: str) -> str | None:
        row = self._iri.first(iri)
        return None if row is None else self._title[row]

    def __getitem__(self, iri: str) -> str:
        found = self._changed[iri] if iri in self._changed else self._base(iri)
        if found is None:
            raise KeyError(iri)
        return found

    def __contains__(self, iri) -> bool:
        if iri in self._changed:
            return self._changed[iri] is not None
        return isinstance(iri, str) and self._base(iri) is not None

    def __setitem__(self, iri: str, title: str) -> None:
        self._changed[iri] = title

    def __delitem__(self, iri: str) -> None:
        if iri not in self:
            raise KeyError(iri)
        self._changed[iri] = None

    def __iter__(self) -> Iterator[str]:
        changed = dict(self._changed)
        yield from (iri for iri in self._iri.strings() if iri not in changed)
        yield from (iri for iri, title in changed.items() if title is not None)

    def __len__(self) -> int:
        return sum(1 for _iri in self)

    def items(self) -> Iterator[tuple[str, str]]:  # type: ignore[override]
        """Every (IRI, title), decoded a column at a time (for a new snapshot)."""
        changed = dict(self._changed)
        for iri, title in zip(self._iri.strings(), self._title.strings(), strict=True):
            if iri not in changed:
                yield iri, title
        yield from ((iri, title) for iri, title in changed.items() if title is not None)


class _Subjects(Mapping):
    """Subject -> {predicate: values}, decoded on demand (``spo``)."""

    def __init__(self, graph: MappedEntityGraph):
        self._graph = graph

    def __getitem__(self, iri: str) -> dict[str, list]:
        found = self._graph._properties(iri)
        if found is None:
            raise KeyError(iri)
        return found

    def get(self, iri, default=None):
        found = self._graph._properties(iri) if isinstance(iri, str) else None
        return default if found is None else found

    def __contains__(self, iri) -> bool:
        return isinstance(iri, str) and self._graph._subject_row(iri) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._graph._node_names()[: self._graph._subject_count])

    def __len__(self) -> int:
        return self._graph._subject_count

    def items(self) -> Iterator[tuple[str, dict[str, list]]]:  # type: ignore[override]
        """Every subject with its statements, decoded a column at a time."""
        graph = self._graph
        names, literals = graph._node_names(), graph._literal_terms()
        offsets = graph._a[PREFIX + "out.offsets"].tolist()
        preds = graph._a[PREFIX + "out.pred"].tolist()
        objects = graph._a[PREFIX + "out.obj"].tolist()
        for row in range(graph._subject_count):
            props: dict[str, list] = {}
            for i in range(offsets[row], offsets[row + 1]):
                code = objects[i]
                value = names[code] if code >= 0 else literals[-code - 1]
                props.setdefault(names[preds[i]], []).append(value)
            yield names[row], props

    def values(self) -> Iterator[dict[str, list]]:  # type: ignore[override]
        return (props for _subject, props in self.items())


class _Incoming(Mapping):
    """IRI -> sorted (predicate, subject) pairs, decoded on demand (``incoming``)."""

    def __init__(self, graph: MappedEntityGraph):
        self._graph = graph
        self._offsets = graph._a[PREFIX + "in.offsets"]

    def _range(self, iri) -> tuple[int, int]:
        row = self._graph._row(iri) if isinstance(iri, str) else None
        if row is None:
            return 0, 0
        return int(self._offsets[row]), int(self._offsets[row + 1])

    def __getitem__(self, iri: str) -> list[tuple[str, str]]:
        start, end = self._range(iri)
        if start == end:
            raise KeyError(iri)
        graph = self._graph
        preds = graph._a[PREFIX + "in.pred"][start:end].tolist()
        subjects = graph._a[PREFIX + "in.subj"][start:end].tolist()
        return [(graph._predicate[p], graph._node[s]) for p, s in zip(preds, subjects, strict=True)]

    def get(self, iri, default=None):
        try:
            return self[iri]
        except KeyError:
            return default

    def __contains__(self, iri) -> bool:
        start, end = self._range(iri)
        return start != end

    def _rows(self) -> list[int]:
        return np.flatnonzero(np.diff(self._offsets)).tolist()

    def items(self) -> Iterator[tuple[str, list[tuple[str, str]]]]:  # type: ignore[override]
        """Every node's incoming links, decoded a column at a time (for a new snapshot)."""
        names, offsets = self._graph._node_names(), self._offsets.tolist()
        preds = self._graph._a[PREFIX + "in.pred"].tolist()
        subjects = self._graph._a[PREFIX + "in.subj"].tolist()
        for row in self._rows():
            span = range(offsets[row], offsets[row + 1])
            yield names[row], [(names[preds[i]], names[subjects[i]]) for i in span]

    def __iter__(self) -> Iterator[str]:
        names = self._graph._node_names()
        return iter([names[row] for row in self._rows()])

    def __len__(self) -> int:
        return len(self._rows())


class MappedEntityGraph(ConceptGraph):
    """The concept graph of a snapshot: its mapped columns, answering like ``EntityGraph``."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        super().__init__()
        self._a = arrays
        self._node = StringTable(arrays, PREFIX + "node")
        self._literal = StringTable(arrays, PREFIX + "literal")
        self._labels = StringTable(arrays, PREFIX + "label")
        self._labelled = arrays[PREFIX + "labelled"]
        self._out_offsets = arrays[PREFIX + "out.offsets"]
        self._out_starts = memoryview(self._out_offsets)
        self._out_pred, self._out_obj = arrays[PREFIX + "out.pred"], arrays[PREFIX + "out.obj"]
        self._literal_lang = memoryview(arrays[PREFIX + "literal.lang"])
        self._literal_datatype = memoryview(arrays[PREFIX + "literal.datatype"])
        self._subject_count = len(self._out_offsets) - 1
        self._langs = StringTable(arrays, PREFIX + "lang").strings()
        self._datatypes = StringTable(arrays, PREFIX + "datatype").strings()
        self._predicate = {int(p): self._node[int(p)] for p in arrays[PREFIX + "predicates"]}
        self.primary_of = {
            self._node[int(b)]: self._node[int(a)] for b, a in arrays[PREFIX + "primary_of"]
        }
        self.spo = _Subjects(self)
        self.incoming = _Incoming(self)
        self.article_titles = ArticleTitles(arrays)
        self._row = lru_cache(maxsize=CACHED_ROWS)(self._node.first)
        self._name = lru_cache(maxsize=CACHED_ROWS)(self._node.__getitem__)  # classes recur
        self._properties = lru_cache(maxsize=CACHED_SUBJECTS)(self._decode_properties)

    # -- decoding -------------------------------------------------------------------------

    def _subject_row(self, iri: str) -> int | None:
        row = self._row(iri)
        return row if row is not None and row < self._subject_count else None

    def _literal_term(self, literal: int) -> Lit:
        lang = self._langs[self._literal_lang[literal]]
        datatype = self._datatypes[self._literal_datatype[literal]]
        return Lit(self._literal[literal], lang, datatype)

    def _decode_properties(self, iri: str) -> dict[str, list] | None:
        row = self._subject_row(iri)
        if row is None:
            return None
        start, end = self._out_starts[row], self._out_starts[row + 1]
        preds = self._out_pred[start:end].tolist()
        objects = self._out_obj[start:end].tolist()
        props: dict[str, list] = {}
        for pred, code in zip(preds, objects, strict=True):
            value = self._name(code) if code >= 0 else self._literal_term(-code - 1)
            props.setdefault(self._predicate[pred], []).append(value)
        return props

    def _node_names(self) -> list[str]:
        """Every node's name, by id (for walks over the whole graph)."""
        return self._node.strings()

    def _literal_terms(self) -> list[Lit]:
        """Every literal, by id (for walks over the whole graph)."""
        langs = [self._langs[i] for i in self._a[PREFIX + "literal.lang"].tolist()]
        types = [self._datatypes[i] for i in self._a[PREFIX + "literal.datatype"].tolist()]
        return [
            Lit(value, lang, datatype)
            for value, lang, datatype in zip(self._literal.strings(), langs, types, strict=True)
        ]

    # -- the storage's part of ConceptGraph -----------------------------------------------

    def subjects_with(self, prop: str) -> list[str]:
        """A scan of the predicate column (an article refresh asks for the deprecated terms):
        only the subjects found are decoded."""
        pid = self._row(prop)
        if pid is None:
            return []
        rows = np.flatnonzero(self._out_pred == pid)
        subjects = np.unique(np.searchsorted(self._out_offsets, rows, side="right") - 1)
        return [self._name(row) for row in subjects.tolist()]

    def own_label(self, iri: str) -> str | None:
        row = self._subject_row(iri)
        if row is None or not self._labelled[row]:
            return None
        return self._labels[row]
