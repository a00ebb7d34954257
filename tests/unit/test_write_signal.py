"""The host's write signal (kb.store.signals) and the store client's version cache: a
process never keeps answering under a version older than a write it was told about."""

from kb.store.signals import SignalWatch, announce_write, read_signal, write_signal


def test_every_announced_write_is_seen_even_within_one_clock_tick(tmp_path):
    signal = write_signal(tmp_path)
    watch = SignalWatch(signal)
    assert watch.moved() is False  # nothing announced yet
    for _ in range(20):  # far faster than the file system's clock moves
        announce_write(signal)
        assert watch.moved() is True
        assert watch.moved() is False


def test_a_process_starting_after_a_write_counts_it_once(tmp_path):
    signal = write_signal(tmp_path)
    announce_write(signal)
    watch = SignalWatch(signal)
    assert watch.moved() is True
    assert watch.moved() is False


def test_the_signal_is_replaced_whole(tmp_path):
    signal = write_signal(tmp_path)
    tokens = set()
    for _ in range(5):
        announce_write(signal)
        tokens.add(read_signal(signal))
    assert len(tokens) == 5
    assert [p.name for p in signal.parent.iterdir()] == [signal.name]  # no temporary left


def test_a_version_lookup_under_way_when_forgotten_is_not_kept(release_store):
    engine, writer = release_store
    reader = engine.store(timeout_s=60)
    read_from_store = reader.select

    def lookup_overtaken_by_a_write(query, **kwargs):
        rows = read_from_store(query, **kwargs)  # the store as it was before the write
        writer.update(writer.set_version_update("after"))
        reader.forget_version()  # what the write signal makes a reader do
        return rows

    reader.select = lookup_overtaken_by_a_write
    assert reader.version(max_age_s=60) == "seed"
    reader.select = read_from_store
    assert reader.version(max_age_s=60) == "after"
