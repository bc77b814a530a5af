"""Activity rules: message parsing, merging a batch into day/hour buckets, the stats window."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.domain import clock
from chalicelib.domain.activity import (
    COUNTERS,
    FAN_ACTIVITY,
    ActivityMessage,
    best_hour,
    fan_candidates,
    plan_activity,
    stats_window,
)
from chalicelib.domain.clock import day_of
from chalicelib.domain.errors import InvalidInput
from chalicelib.store import activity as store


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=clock.SHANGHAI)


def test_days_are_asia_shanghai_days() -> None:
    assert day_of(local(2024, 5, 1, 23, 59, 59)) == "2024-05-01"
    assert day_of(local(2024, 5, 2, 0, 0, 1)) == "2024-05-02"
    assert day_of(datetime(2024, 5, 1, 16, 0, 1, tzinfo=UTC)) == "2024-05-02"  # still 05-01 in UTC


def test_a_message_round_trips_and_malformed_ones_are_refused() -> None:
    message = ActivityMessage(at=local(2024, 5, 1, 8), user_id="u1", accounts={"a1": {"impressions": 3}},
                              posts={"p1": {"reads": 1}})
    assert ActivityMessage.from_json(message.to_json()) == message
    for bad in ({"v": 2}, {"v": 1, "at": "nope", "accounts": {}}, [],
                {**message.to_json(), "accounts": {"a1": {"impressions": 0}}},
                {**message.to_json(), "accounts": {"a1": {"hacks": 1}}},
                {**message.to_json(), "accounts": {"a1": {"reads": True}}},
                {**message.to_json(), "posts": {"p1": {"likes": 1}}},
                {**message.to_json(), "user_id": ""}):
        with pytest.raises(ValueError):
            ActivityMessage.from_json(bad)


def test_a_batch_merges_into_one_increment_per_item_and_counts_only_followers_as_fans() -> None:
    late = local(2024, 5, 1, 23, 59, 59)
    early = local(2024, 5, 2, 0, 0, 1)
    messages = [
        ActivityMessage(late, "fan", {"a1": {"impressions": 3}, "a2": {"impressions": 1}}),
        ActivityMessage(late, "fan", {"a1": {"reads": 1}}, {"p1": {"reads": 1}}),
        ActivityMessage(early, "fan", {"a1": {"reads": 1}}, {"p1": {"reads": 1}}),
        ActivityMessage(early, "stranger", {"a1": {"likes": 1}}),
        ActivityMessage(early, "fan", {"a1": {"new_followers": 1}}),
    ]
    assert fan_candidates(messages) == {("a1", "fan"), ("a2", "fan"), ("a1", "stranger")}
    plan = plan_activity(messages, fans={("a1", "fan")})
    assert plan.day_counters == {("a1", "2024-05-01"): {"impressions": 3, "reads": 1},
                                 ("a2", "2024-05-01"): {"impressions": 1},
                                 ("a1", "2024-05-02"): {"reads": 1, "likes": 1, "new_followers": 1}}
    assert plan.post_counters == {"p1": {"reads": 2}}
    assert plan.fan_days == {("a1", "2024-05-01", "fan"), ("a1", "2024-05-02", "fan")}
    assert plan.hours == {("a1", "2024-05-01#23"): 2, ("a1", "2024-05-02#00"): 1}


def test_the_stats_window_is_completed_days_only() -> None:
    today = date(2024, 5, 31)
    assert stats_window(None, None, today) == (date(2024, 5, 1), date(2024, 5, 30))
    assert stats_window("2024-05-20", "2024-06-30", today) == (date(2024, 5, 20), date(2024, 5, 30))
    assert stats_window(None, "2024-05-10", today) == (date(2024, 4, 11), date(2024, 5, 10))
    for bad in (("2024-05-31", None), ("2024-02-30", None), ("2024-01-01", "2024-05-01"), ("20240501", None)):
        with pytest.raises(InvalidInput):
            stats_window(*bad, today)


def test_the_best_hour_is_the_busiest_and_none_without_activity() -> None:
    assert best_hour([0] * 24) is None
    histogram = [0] * 24
    histogram[9], histogram[21], histogram[22] = 3, 5, 5
    assert best_hour(histogram) == 21


def test_domain_and_store_agree_on_the_counters() -> None:
    assert COUNTERS == store.COUNTERS and FAN_ACTIVITY == store.FAN_ACTIVITY
    assert all(hasattr(store.AccountDayModel, name) for name in COUNTERS)
