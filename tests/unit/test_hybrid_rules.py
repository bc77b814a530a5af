"""Hybrid fan-out and feed-merge rules (pure: no AWS)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from chalicelib.domain.delivery_modes import (
    PULL,
    PUSH,
    TO_PULL,
    TO_PUSH,
    PullWindow,
    choose_windows,
    followers_to_deliver,
    key_floor,
    next_mode,
    pull_period_end,
    pulled_post_shows,
)
from chalicelib.domain.feed import FeedEntry, FeedSource, take_newest
from chalicelib.store.roster import PAGE_MEMBERS, member, parse_member, roster_page


def entry(millis: int, post: str, account: str = "a", pulled: bool = False) -> FeedEntry:
    return FeedEntry(f"{millis:013d}#{post}", post, account, pulled)


def source(entries: list[FeedEntry], calls: Counter) -> FeedSource:
    """A source over a fixed newest-first list, counting its fetches."""
    def fetch(before: str | None, want: int) -> list[FeedEntry]:
        calls["fetch"] += 1
        return [e for e in entries if before is None or e.feed_key < before][:want]
    return FeedSource(fetch, None)


class TestTakeNewest:
    def test_merges_sources_newest_first_and_keeps_one_copy_of_a_post(self) -> None:
        calls: Counter = Counter()
        inbox = source([entry(9, "i9"), entry(5, "both"), entry(1, "i1")], calls)
        pulled = source([entry(7, "p7", "h", True), entry(5, "both", "h", True), entry(3, "p3", "h", True)], calls)
        for s in (inbox, pulled):
            s.refill(10)
        page = take_newest([inbox, pulled], 10, set())
        assert [e.post_id for e in page] == ["i9", "p7", "both", "p3", "i1"]
        assert not page[2].pulled  # the inbox copy wins, so a stale one can be deleted

    def test_never_passes_a_source_that_may_hold_newer_entries(self) -> None:
        # Given the inbox read 2 entries (it may hold more) and a pulled account read all of its own
        calls: Counter = Counter()
        inbox = source([entry(9, "i9"), entry(8, "i8"), entry(2, "i2")], calls)
        pulled = source([entry(5, "p5", "h", True), entry(1, "p1", "h", True)], calls)
        inbox.refill(2)
        pulled.refill(5)
        # When a page of 4 is taken, Then it stops at the inbox's last key read (8)
        seen: set[str] = set()
        assert [e.post_id for e in take_newest([inbox, pulled], 4, seen)] == ["i9", "i8"]
        # And after a refill it goes on without gaps
        inbox.refill(2)
        assert [e.post_id for e in take_newest([inbox, pulled], 4, seen)] == ["p5", "i2", "p1"]
        assert all(s.done for s in (inbox, pulled))


class TestModes:
    def test_switches_above_and_below_the_thresholds_only_when_settled(self) -> None:
        assert next_mode(PUSH, 101, pull_above=100, push_below=90) == TO_PULL
        assert next_mode(PUSH, 100, pull_above=100, push_below=90) is None
        assert next_mode(PULL, 89, pull_above=100, push_below=90) == TO_PUSH
        assert next_mode(PULL, 90, pull_above=100, push_below=90) is None
        assert next_mode(TO_PULL, 5, pull_above=100, push_below=90) is None
        assert next_mode(TO_PUSH, 500, pull_above=100, push_below=90) is None
        # a push threshold above the pull threshold cannot make one count call for both
        assert next_mode(PULL, 101, pull_above=100, push_below=500) is None

    def test_pushed_and_pulled_posts_follow_the_same_follow_time_rule(self) -> None:
        followed = datetime(2025, 3, 1, 8, 0, 0, 123000, tzinfo=UTC)
        followed_ms = int(followed.timestamp() * 1000)
        assert followers_to_deliver([("early", followed_ms), ("late", followed_ms + 1)], followed_ms) == ["early"]
        assert pulled_post_shows(f"{followed_ms:013d}#p", followed_ms, None, None)
        assert not pulled_post_shows(f"{followed_ms - 1:013d}#p", followed_ms, None, None)
        assert key_floor(followed) == f"{followed_ms:013d}#" < f"{followed_ms:013d}#0"
        assert pull_period_end(followed) > f"{followed_ms:013d}#ZZZZ"

    def test_audience_groups_limit_pulled_posts(self) -> None:
        assert pulled_post_shows("0000000000005#p", 1, ["vip"], {"vip", "new"})
        assert not pulled_post_shows("0000000000005#p", 1, ["vip"], None)


class TestWindows:
    def test_open_windows_first_then_the_most_recent_up_to_the_cap(self) -> None:
        windows = [PullWindow("old", "0000000000001#", "0000000000010#"),
                   PullWindow("open-b", "0000000000001#"), PullWindow("open-a", "0000000000001#"),
                   PullWindow("recent", "0000000000001#", "0000000000090#"),
                   PullWindow("empty", "0000000000050#", "0000000000020#")]
        assert [w.account_id for w in choose_windows(windows, None, 3)] == ["open-a", "open-b", "recent"]
        # a window with nothing below the page position is not read
        assert [w.account_id for w in choose_windows(windows, "0000000000001#", 10)] == []


class TestRoster:
    def test_pages_split_as_the_account_grows_and_stay_near_the_target_size(self) -> None:
        # Given 100,000 follows arriving one after another
        sizes: Counter = Counter(roster_page(f"user-{i}", i) for i in range(100_000))
        # Then no page is much bigger than the target, and levels deepen with the count
        assert max(sizes.values()) <= PAGE_MEMBERS * 1.2
        assert roster_page("x", 0).startswith("00#") and roster_page("x", 64_000).startswith("07#")

    def test_an_entry_holds_the_follow_time_and_any_user_id(self) -> None:
        at = datetime(2025, 3, 1, tzinfo=UTC)
        assert parse_member(member("weird|id", at)) == ("weird|id", int(at.timestamp() * 1000))
