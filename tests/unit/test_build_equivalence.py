"""The snapshot a full build's child writes straight from what the indexes are made of
(``load_index_parts`` then ``SnapshotFiles.write_parts``) is the one written from the in-memory
indexes built from the same store (``load_indexes`` then ``SnapshotFiles.write``): every
column equal, dtype and all, and the pickled rest equal but for the build's duration; on the
release and on a graph of ``scripts/generate_synthetic.py``."""

from __future__ import annotations

import importlib.util
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

import kb.read.indexes as indexes
from kb.read.building.parts import VERBS, load_index_parts
from kb.read.columnar.files import open_directory
from kb.read.indexes import load_indexes
from kb.read.related_model import RelatedWeights
from kb.read.snapshots import SNAPSHOT_FORMAT, SnapshotFiles
from kb.store.managed import ManagedOxigraph

REPO = Path(__file__).resolve().parents[2]
WEIGHTS = RelatedWeights(links=dict(indexes.DEFAULT_LINK_WEIGHTS))


def synthetic_nquads(tmp_path: Path) -> tuple[bytes, str]:
    spec = importlib.util.spec_from_file_location(
        "generate_synthetic", REPO / "scripts" / "generate_synthetic.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    path = tmp_path / "synthetic.nq"
    summary = module.generate(20_000, path, seed=5, progress=False)
    return path.read_bytes(), summary["version"]


@pytest.fixture(params=["release", "synthetic"])
def store(request, tmp_path, release_dir):
    if request.param == "release":
        data, version = (release_dir / "release.nq").read_bytes(), "seed"
    else:
        data, version = synthetic_nquads(tmp_path)
    server = ManagedOxigraph(tmp_path / "store", timeout_cap_s=60)
    server.start()
    store = server.store(timeout_s=60)
    store.load_nquads(data)
    store.update(store.set_version_update(version))
    yield store
    server.stop()


def written(directory: Path) -> tuple[dict[str, np.ndarray], tuple]:
    (path,) = [p for p in directory.iterdir() if p.name.startswith("indexes-")]
    opened = open_directory(path, SNAPSHOT_FORMAT)
    assert opened is not None
    rest, small = pickle.loads(opened.files["rest.pickle"])
    assert rest.graph is None and rest.search is None and rest.related is None
    return opened.arrays, (rest.version, rest.generation, small)


def test_the_childs_snapshot_is_the_one_the_built_indexes_write(store, tmp_path):
    from_indexes = SnapshotFiles(tmp_path / "from-indexes", WEIGHTS)
    from_indexes.write(load_indexes(store, WEIGHTS))
    from_parts = SnapshotFiles(tmp_path / "from-parts", WEIGHTS)
    parts = load_index_parts(store, WEIGHTS)
    assert parts.articles and len(parts.entries) > 50 and parts.links  # not an empty case
    from_parts.write_parts(parts, WEIGHTS, VERBS)

    expected_arrays, expected_rest = written(tmp_path / "from-indexes")
    arrays, rest = written(tmp_path / "from-parts")
    assert sorted(arrays) == sorted(expected_arrays)
    for name, array in expected_arrays.items():
        assert arrays[name].dtype == array.dtype, name
        assert np.array_equal(arrays[name], array), name
    assert rest == expected_rest
