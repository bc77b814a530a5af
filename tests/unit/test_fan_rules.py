"""Fan distribution rules (chalicelib.domain.fans): counter moves and the read-out, without AWS."""

from __future__ import annotations

import doctest
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from chalicelib.domain import fans


def test_the_doc_examples_hold() -> None:
    # Given the examples in the fan rules' docstrings
    # When they are run
    results = doctest.testmod(fans)

    # Then none fails
    assert results.failed == 0


def test_group_moves_count_grouped_followers_once() -> None:
    # Given a follower put in a first group, in a second one, taken out of both, and left as it was
    # When the counter deltas of each move are computed
    first_group = fans.group_deltas([], ["vip"])
    second_group = fans.group_deltas(["vip"], ["vip", "new"])
    out_of_both = fans.group_deltas(["vip", "new"], [])
    unchanged = fans.group_deltas(["vip"], ["vip"])

    # Then each group counts it once, and the grouped total ("g") moves only when it enters its first group
    # or leaves its last
    assert first_group == Counter({"g#vip": 1, "g": 1})
    assert second_group == Counter({"g#new": 1})
    assert out_of_both == Counter({"g#vip": -1, "g#new": -1, "g": -1})
    assert unchanged == Counter()


def test_activity_is_idempotent_and_order_independent() -> None:
    # Given activity days of a follower, one of them twice
    days = ["2026-03-01", "2026-03-05", "2026-03-03", "2026-03-05", "2026-02-20"]

    # When they are applied in 20 random orders, each fact twice
    results = set()
    for _ in range(20):
        random.shuffle(days)
        state: tuple[str | None, str | None] = (None, None)
        for day in days + days:
            state = fans.advance_activity(*state, day)
        results.add(state)

    # Then the state is always the last day, and the latest before it
    assert results == {("2026-03-05", "2026-03-03")}


def test_the_counters_equal_a_recount_after_random_changes() -> None:
    # Given followers changing groups and activity at random, the counters moved by the deltas
    rng = random.Random(3)
    today = date(2026, 3, 21)
    counts: Counter[str] = Counter()
    followers: dict[str, dict] = {}
    for _ in range(2000):
        user = f"u{rng.randrange(30)}"
        action = rng.choice(["follow", "unfollow", "group", "ungroup", "active"])
        current = followers.get(user)
        if action == "follow" and current is None:
            at = datetime(2026, rng.randrange(1, 4), rng.randrange(1, 28), tzinfo=UTC)
            current = followers[user] = {"at": at, "groups": set(), "last": None, "before": None}
            counts.update(fans.follower_keys(at, (), None, None))
        elif current is None:
            continue
        elif action == "unfollow":
            counts.subtract(fans.follower_keys(current["at"], current["groups"], current["last"], current["before"]))
            del followers[user]
        elif action in ("group", "ungroup"):
            group = rng.choice(["vip", "new"])
            new = current["groups"] | {group} if action == "group" else current["groups"] - {group}
            counts.update(fans.group_deltas(current["groups"], new))
            current["groups"] = new
        else:
            day = (today - timedelta(days=rng.randrange(0, 40))).isoformat()
            new_state = fans.advance_activity(current["last"], current["before"], day)
            counts.update(fans.activity_deltas((current["last"], current["before"]), new_state))
            current["last"], current["before"] = new_state

    # When the distribution is read out from the counters
    body = fans.distribution(len(followers), dict(counts), today)

    # Then the read-out matches a recount of the followers themselves
    def active_within(days: int) -> int:
        window = {(today - timedelta(days=i)).isoformat() for i in range(1, days + 1)}
        return sum(1 for f in followers.values()
                   if (f["last"] if f["last"] != today.isoformat() else f["before"]) in window)

    assert body["total"] == len(followers)
    assert {g["group"]: g["count"] for g in body["by_group"]} == dict(
        Counter(g for f in followers.values() for g in f["groups"]))
    assert body["ungrouped"] == sum(1 for f in followers.values() if not f["groups"])
    assert body["by_activity"] == {"active_7d": active_within(7), "active_30d": active_within(30),
                                   "inactive_30d": len(followers) - active_within(30)}
    months = {m["month"]: m["count"] for m in body["by_follow_month"]}
    assert sum(months.values()) == len(followers)
