"""The TTL cache behind the feed's per-container caches, reading a pull from a cached list, the raw inbox item."""

from __future__ import annotations

from chalicelib.domain.feed import window_from_recent
from chalicelib.store.read_cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_entries_expire_after_the_ttl_and_can_be_dropped() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(lambda: 10.0, clock=clock)
    cache.put_many({"a": 1, "b": 2})
    clock.now += 9.9
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    cache.drop("a")
    assert cache.get("a") is None and cache.get("b") == 2
    clock.now += 0.1
    assert cache.get("b") is None


def test_a_zero_ttl_caches_nothing_and_size_is_bounded() -> None:
    off: TtlCache[str, int] = TtlCache(lambda: 0.0)
    off.put("a", 1)
    assert off.get("a") is None
    small: TtlCache[int, int] = TtlCache(lambda: 60.0, max_items=3)
    small.put_many({n: n for n in range(5)})
    assert small.get_many(range(5)) == {2: 2, 3: 3, 4: 4}
    small.drop_where(lambda key: key % 2 == 0)
    assert small.get_many(range(5)) == {3: 3}


def test_a_cached_list_answers_a_pull_only_when_it_cannot_miss_a_post() -> None:
    newest = ["0009", "0007", "0005", "0003"]  # an account's newest feed keys, newest first
    # Enough keys in the window: the newest of them
    assert window_from_recent(newest, False, "0001", None, 2) == [0, 1]
    assert window_from_recent(newest, False, "0001", "0007", 2) == [2, 3]
    # Too few, but older posts would be below the window's start anyway
    assert window_from_recent(newest, False, "0004", None, 5) == [0, 1, 2]
    # Too few and the list is the account's every post
    assert window_from_recent(newest, True, "0001", None, 9) == [0, 1, 2, 3]
    # Too few and older posts may fall in the window: read the store
    assert window_from_recent(newest, False, "0001", None, 9) is None
    assert window_from_recent([], False, "0001", None, 1) is None


def test_the_fan_outs_raw_inbox_item_is_the_models_serialization() -> None:
    from chalicelib.store.inbox import entry_item, inbox_entry

    assert entry_item("u1", "0001#p", "p", "a", "new") == inbox_entry("u1", "0001#p", "p", "a", "new").serialize()


def test_aging_entries_are_reported_and_a_read_older_than_a_drop_is_not_cached() -> None:
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(lambda: 10.0, clock=clock)
    cache.put("a", 1)
    clock.now += 6
    assert cache.get_aging(["a", "b"]) == ({"a": 1}, ["a"])
    began = cache.drops
    cache.drop("a")  # e.g. a takedown while a refresh was reading
    cache.put_many({"a": 1}, read_after=began)
    assert cache.get("a") is None
    cache.put_many({"a": 2}, read_after=cache.drops)
    assert cache.get("a") == 2
