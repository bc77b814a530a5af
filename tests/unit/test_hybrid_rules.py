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
        # Given an inbox and a pulled account that both hold the post "both"
        calls: Counter = Counter()
        inbox = source([entry(9, "i9"), entry(5, "both"), entry(1, "i1")], calls)
        pulled = source([entry(7, "p7", "h", True), entry(5, "both", "h", True), entry(3, "p3", "h", True)], calls)
        for s in (inbox, pulled):
            s.refill(10)

        # When a page of 10 is taken
        page = take_newest([inbox, pulled], 10, set())

        # Then it interleaves them newest first with one copy of the shared post
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
        # Given an account pulled above 100 followers and pushed below 90
        thresholds = {"pull_above": 100, "push_below": 90}

        # When the next mode is decided for counts around each threshold, settled and mid-switch
        push_above, push_at = next_mode(PUSH, 101, **thresholds), next_mode(PUSH, 100, **thresholds)
        pull_below, pull_at = next_mode(PULL, 89, **thresholds), next_mode(PULL, 90, **thresholds)
        mid_to_pull, mid_to_push = next_mode(TO_PULL, 5, **thresholds), next_mode(TO_PUSH, 500, **thresholds)

        # Then a settled mode switches only past its threshold, and a switch under way is never turned round
        assert push_above == TO_PULL
        assert push_at is None
        assert pull_below == TO_PUSH
        assert pull_at is None
        assert mid_to_pull is None
        assert mid_to_push is None
        # And a push threshold above the pull threshold cannot make one count call for both
        assert next_mode(PULL, 101, pull_above=100, push_below=500) is None

    def test_pushed_and_pulled_posts_follow_the_same_follow_time_rule(self) -> None:
        # Given a follow at a known millisecond
        followed = datetime(2025, 3, 1, 8, 0, 0, 123000, tzinfo=UTC)
        followed_ms = int(followed.timestamp() * 1000)

        # When a post of that millisecond is pushed (to that follower and to one who followed a millisecond later),
        # and when posts of that millisecond and of the one before are pulled by that follower
        delivered = followers_to_deliver([("early", followed_ms), ("late", followed_ms + 1)], followed_ms)
        pulled_at = pulled_post_shows(f"{followed_ms:013d}#p", followed_ms, None, None)
        pulled_before = pulled_post_shows(f"{followed_ms - 1:013d}#p", followed_ms, None, None)

        # Then both ways a post shows from the follow's millisecond on, and never before
        assert delivered == ["early"]
        assert pulled_at
        assert not pulled_before
        # And the pull window's keys bound exactly that millisecond on
        assert key_floor(followed) == f"{followed_ms:013d}#" < f"{followed_ms:013d}#0"
        assert pull_period_end(followed) > f"{followed_ms:013d}#ZZZZ"

    def test_audience_groups_limit_pulled_posts(self) -> None:
        # Given a pulled post for the "vip" group only
        key, audience = "0000000000005#p", ["vip"]

        # When it is read by a follower in "vip" and "new", and by one in no group
        in_group = pulled_post_shows(key, 1, audience, {"vip", "new"})
        in_no_group = pulled_post_shows(key, 1, audience, None)

        # Then only the follower in the group sees it
        assert in_group
        assert not in_no_group


class TestWindows:
    def test_open_windows_first_then_the_most_recent_up_to_the_cap(self) -> None:
        # Given pull windows closed long ago, still open, closed recently, and one that ends before it starts
        windows = [PullWindow("old", "0000000000001#", "0000000000010#"),
                   PullWindow("open-b", "0000000000001#"), PullWindow("open-a", "0000000000001#"),
                   PullWindow("recent", "0000000000001#", "0000000000090#"),
                   PullWindow("empty", "0000000000050#", "0000000000020#")]

        # When 3 are chosen for a first page, and any number for a page below every window's start
        first_page = choose_windows(windows, None, 3)
        below_all = choose_windows(windows, "0000000000001#", 10)

        # Then the open ones come first, then the most recently closed
        assert [w.account_id for w in first_page] == ["open-a", "open-b", "recent"]
        # And a window with nothing below the page position is not read
        assert [w.account_id for w in below_all] == []


class TestRoster:
    def test_pages_split_as_the_account_grows_and_stay_near_the_target_size(self) -> None:
        # Given 100,000 follows arriving one after another
        # When each is given its roster page
        sizes: Counter = Counter(roster_page(f"user-{i}", i) for i in range(100_000))

        # Then no page is much bigger than the target, and levels deepen with the count
        assert max(sizes.values()) <= PAGE_MEMBERS * 1.2
        assert roster_page("x", 0).startswith("00#") and roster_page("x", 64_000).startswith("07#")

    def test_an_entry_holds_the_follow_time_and_any_user_id(self) -> None:
        # Given a follow at a known time by a user whose id holds the separator
        at = datetime(2025, 3, 1, tzinfo=UTC)

        # When its roster entry is written and read back
        parsed = parse_member(member("weird|id", at))

        # Then the user id and the follow time in milliseconds come back whole
        assert parsed == ("weird|id", int(at.timestamp() * 1000))
