"""The several-hosts tests (tests/system/test_several_hosts.py) on Virtuoso: two `hairkg
serve` hosts in front of one Virtuoso of this module's own, writing through its update user;
the store's write lease (kb/store/lease.py) works there as on Oxigraph."""

from __future__ import annotations

import pytest
from test_several_hosts import (  # the tests, collected here with this module's store
    hosts,
    store,
    test_a_holder_killed_with_minus_9_is_taken_over_after_its_lease_expires,
    test_a_write_through_one_host_is_seen_by_the_other,
    test_an_add_and_a_delete_of_one_triple_through_both_hosts_at_once,
    test_each_hosts_history_and_change_feed_list_what_the_store_holds,
    test_the_same_entity_relabelled_through_both_hosts_at_once,
    test_writes_through_both_hosts_wait_while_a_third_host_holds_the_lease,
)
from virtuoso_engine import UPDATE_PASSWORD, UPDATE_USER, Virtuoso

pytestmark = pytest.mark.slow  # dealt first under xdist (tests/conftest.py)

__all__ = [
    "hosts",
    "store",
    "test_a_holder_killed_with_minus_9_is_taken_over_after_its_lease_expires",
    "test_a_write_through_one_host_is_seen_by_the_other",
    "test_an_add_and_a_delete_of_one_triple_through_both_hosts_at_once",
    "test_each_hosts_history_and_change_feed_list_what_the_store_holds",
    "test_the_same_entity_relabelled_through_both_hosts_at_once",
    "test_writes_through_both_hosts_wait_while_a_third_host_holds_the_lease",
]


@pytest.fixture(scope="module")
def store_env(tmp_path_factory):
    engine = Virtuoso(tmp_path_factory.mktemp("virtuoso-hosts"))
    try:
        engine.start()
        yield {
            "HAIRKG_STORE_URL": engine.url + "/sparql",
            "HAIRKG_STORE_KIND": "virtuoso",
            "HAIRKG_STORE_USER": UPDATE_USER,
            "HAIRKG_STORE_PASSWORD": UPDATE_PASSWORD,
        }
    finally:
        engine.stop()
