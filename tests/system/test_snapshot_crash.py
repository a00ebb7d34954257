"""A process killed with -9 while writing an index snapshot (kb.read.columnar.files) leaves
nothing a reader would take: a new process maps a complete snapshot (an earlier one, or none
and it rebuilds), its answers equal the in-memory index's, and the abandoned temporary
directory is removed by the next writer."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import wait_until

from kb.read.entities import EntityGraph
from kb.read.related import RelatedIndex
from kb.read.search import SearchIndex
from kb.read.snapshots import Indexes, SnapshotFiles

UNIT_TESTS = Path(__file__).resolve().parents[1] / "unit"
SIZE = (20000, 400, 11)  # synthetic articles, concepts, seed: a write takes a while

WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from test_api_related_index import WEIGHTS, synthetic
    from kb.read.entities import EntityGraph
    from kb.read.related import RelatedIndex
    from kb.read.search import SearchIndex
    from kb.read.snapshots import Indexes, SnapshotFiles

    directory, articles, concepts, seed = Path(sys.argv[1]), *map(int, sys.argv[2:5])
    graph = EntityGraph([])
    related = RelatedIndex(*synthetic(articles, concepts, seed), WEIGHTS, labeller=graph.label)
    snapshots = SnapshotFiles(directory, WEIGHTS)
    version = 0
    while True:  # one complete snapshot, then new versions until killed
        snapshots.write(Indexes(f"v{version}", graph, SearchIndex([]), related))
        (directory / "written").write_text(str(version))
        version += 1
    """
)


def expected_answers():
    if str(UNIT_TESTS) not in sys.path:  # the synthetic articles of the related-index tests
        sys.path.append(str(UNIT_TESTS))
    from test_api_related_index import WEIGHTS, synthetic

    articles, links = synthetic(*SIZE)
    graph = EntityGraph([])
    index = RelatedIndex(articles, links, WEIGHTS, labeller=graph.label)
    sources = random.Random(3).sample(articles, 15)
    return WEIGHTS, sources, answers(index, sources), Indexes("x", graph, SearchIndex([]), index)


def answers(index, sources):
    return [[(a, s, r) for a, s, r in index.related(source, 10)] for source in sources]


@pytest.mark.parametrize("files_written", [1, 15, 30])
def test_a_writer_killed_mid_snapshot_leaves_a_consistent_one(tmp_path, files_written):
    weights, sources, expected, rebuilt = expected_answers()
    directory = tmp_path / "indexes"
    directory.mkdir()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(UNIT_TESTS), *sys.path])}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(directory), *map(str, SIZE)],
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until(lambda: (directory / "written").exists(), 120, 0.05, "a first snapshot")

        def stopped_mid_write():
            """The writer frozen while its temporary directory holds ``files_written`` files
            or more (of about 80: the manifest comes last)."""
            writer.send_signal(signal.SIGSTOP)
            for temporary in directory.glob(".indexes-*.tmp"):
                if len(list(temporary.iterdir())) >= files_written:
                    return True
            writer.send_signal(signal.SIGCONT)
            return False

        wait_until(stopped_mid_write, 60, 0.002, "the writer in the middle of a snapshot")
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL, writer.stderr.read().decode()[-2000:]
    assert list(directory.glob(".indexes-*.tmp")), "killed while writing"

    # a new process: the newest complete snapshot, mapped, answers like the in-memory index
    snapshots = SnapshotFiles(directory, weights)
    newest = snapshots.read()
    assert newest is not None
    assert answers(newest.related, sources) == expected
    killed_version = f"v{int((directory / 'written').read_text()) + 1}"
    found = snapshots.read(killed_version)  # the one being written: absent, or complete
    assert found is None or answers(found.related, sources) == expected

    # the next writer removes the abandoned directory; a rebuilt snapshot answers the same
    rebuilt.version = killed_version
    snapshots.write(rebuilt)
    assert not list(directory.glob(".indexes-*.tmp"))
    assert answers(SnapshotFiles(directory, weights).read(killed_version).related, sources) == (
        expected
    )
