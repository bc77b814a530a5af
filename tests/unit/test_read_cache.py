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
    # Given a cache with a 10-second TTL holding a and b
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(lambda: 10.0, clock=clock)
    cache.put_many({"a": 1, "b": 2})

    # When 9.9 seconds pass
    clock.now += 9.9

    # Then both are still there (and a key never put is not)
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": 2}
    # And when a is dropped, Then only b is left
    cache.drop("a")
    assert cache.get("a") is None and cache.get("b") == 2
    # And when the 10 seconds are up, Then b has expired too
    clock.now += 0.1
    assert cache.get("b") is None


def test_a_zero_ttl_caches_nothing_and_size_is_bounded() -> None:
    # Given a cache with a zero TTL, and one of at most 3 items
    off: TtlCache[str, int] = TtlCache(lambda: 0.0)
    small: TtlCache[int, int] = TtlCache(lambda: 60.0, max_items=3)

    # When values are put in each
    off.put("a", 1)
    small.put_many({n: n for n in range(5)})

    # Then the first holds nothing, and the second only the 3 last put
    assert off.get("a") is None
    assert small.get_many(range(5)) == {2: 2, 3: 3, 4: 4}
    # And when the even keys are dropped, Then only 3 is left
    small.drop_where(lambda key: key % 2 == 0)
    assert small.get_many(range(5)) == {3: 3}


def test_a_cached_list_answers_a_pull_only_when_it_cannot_miss_a_post() -> None:
    # Given an account's newest feed keys, newest first
    newest = ["0009", "0007", "0005", "0003"]

    # When pulls of windows are answered from it
    # Then with enough keys in the window, the newest of them answer
    assert window_from_recent(newest, False, "0001", None, 2) == [0, 1]
    assert window_from_recent(newest, False, "0001", "0007", 2) == [2, 3]
    # And with too few, but older posts below the window's start anyway, the list answers
    assert window_from_recent(newest, False, "0004", None, 5) == [0, 1, 2]
    # And with too few but the list holding the account's every post, the list answers
    assert window_from_recent(newest, True, "0001", None, 9) == [0, 1, 2, 3]
    # And with too few and older posts that may fall in the window, the store must be read
    assert window_from_recent(newest, False, "0001", None, 9) is None
    assert window_from_recent([], False, "0001", None, 1) is None


def test_the_fan_outs_raw_inbox_item_is_the_models_serialization() -> None:
    # Given an inbox entry of post p by account a for u1
    from chalicelib.store.inbox import entry_items, inbox_entry

    # When the fan-out builds its raw item, and the model serializes the same entry
    raw = entry_items(["u1", "u2"], "0001#p", "p", "a", "new")
    modelled = [inbox_entry(u, "0001#p", "p", "a", "new").serialize() for u in ("u1", "u2")]

    # Then they are the same items
    assert raw == modelled


def test_aging_entries_are_reported_and_a_read_older_than_a_drop_is_not_cached() -> None:
    # Given a cache with a 10-second TTL holding a
    clock = Clock()
    cache: TtlCache[str, int] = TtlCache(lambda: 10.0, clock=clock)
    cache.put("a", 1)

    # When 6 seconds pass
    clock.now += 6

    # Then a is still there but reported as aging (past half its TTL)
    assert cache.get_aging(["a", "b"]) == ({"a": 1}, ["a"])
    # And when a read began before a drop, Then its value is not cached
    began = cache.drops
    cache.drop("a")  # e.g. a takedown while a refresh was reading
    cache.put_many({"a": 1}, read_after=began)
    assert cache.get("a") is None
    # And when a read began after it, Then its value is
    cache.put_many({"a": 2}, read_after=cache.drops)
    assert cache.get("a") == 2
