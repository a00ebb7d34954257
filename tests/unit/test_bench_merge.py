"""scripts/bench.py --merge: a size's figures of another graph are never kept beside new ones."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench


def _size(triples: int, systems: dict) -> dict:
    data = {"triples": triples, "articles": triples // 10, "concepts": triples // 200}
    return {"data": data, "systems": systems}


def test_same_data_keeps_the_systems_not_rerun():
    results = {"sizes": {"1m": _size(1000, {"oxigraph": {"a": 1}, "hairkg": {"a": 1}})}}
    bench.merge_size(results, "1m", _size(1000, {"hairkg": {"a": 2}}))
    assert results["sizes"]["1m"]["systems"] == {"oxigraph": {"a": 1}, "hairkg": {"a": 2}}


def test_other_data_replaces_the_whole_size():
    results = {"sizes": {"10m": _size(1000, {"oxigraph": {"a": 1}, "rdflib": {"a": 1}})}}
    bench.merge_size(results, "10m", _size(999, {"oxigraph": {"a": 2}}))
    assert results["sizes"]["10m"]["systems"] == {"oxigraph": {"a": 2}}
    assert results["sizes"]["10m"]["data"]["triples"] == 999


def test_a_new_size_is_added():
    results = {"sizes": {}}
    bench.merge_size(results, "100k", _size(100, {"hairkg": {}}))
    assert results["sizes"]["100k"]["data"]["triples"] == 100
