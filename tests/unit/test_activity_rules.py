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
    # Given a second before and after midnight in Shanghai, and 16:00:01 UTC (still 05-01 in UTC)
    before_midnight, after_midnight = local(2024, 5, 1, 23, 59, 59), local(2024, 5, 2, 0, 0, 1)
    in_utc = datetime(2024, 5, 1, 16, 0, 1, tzinfo=UTC)

    # When the day of each is read
    days = [day_of(at) for at in (before_midnight, after_midnight, in_utc)]

    # Then it is the Shanghai calendar day
    assert days[0] == "2024-05-01"
    assert days[1] == "2024-05-02"
    assert days[2] == "2024-05-02"


def test_a_message_round_trips_and_malformed_ones_are_refused() -> None:
    # Given an activity message
    message = ActivityMessage(at=local(2024, 5, 1, 8), user_id="u1", accounts={"a1": {"impressions": 3}},
                              posts={"p1": {"reads": 1}})

    # When it is written out and read back
    again = ActivityMessage.from_json(message.to_json())

    # Then it is the same message
    assert again == message
    # And a wrong version, a bad time, a non-object, a zero, unknown or boolean counter, or no user is refused
    for bad in ({"v": 2}, {"v": 1, "at": "nope", "accounts": {}}, [],
                {**message.to_json(), "accounts": {"a1": {"impressions": 0}}},
                {**message.to_json(), "accounts": {"a1": {"hacks": 1}}},
                {**message.to_json(), "accounts": {"a1": {"reads": True}}},
                {**message.to_json(), "posts": {"p1": {"likes": 1}}},
                {**message.to_json(), "user_id": ""}):
        with pytest.raises(ValueError):
            ActivityMessage.from_json(bad)


def test_a_batch_merges_into_one_increment_per_item_and_counts_only_followers_as_fans() -> None:
    # Given a batch from a fan of a1 and a stranger, either side of midnight in Shanghai
    late = local(2024, 5, 1, 23, 59, 59)
    early = local(2024, 5, 2, 0, 0, 1)
    messages = [
        ActivityMessage(late, "fan", {"a1": {"impressions": 3}, "a2": {"impressions": 1}}),
        ActivityMessage(late, "fan", {"a1": {"reads": 1}}, {"p1": {"reads": 1}}),
        ActivityMessage(early, "fan", {"a1": {"reads": 1}}, {"p1": {"reads": 1}}),
        ActivityMessage(early, "stranger", {"a1": {"likes": 1}}),
        ActivityMessage(early, "fan", {"a1": {"new_followers": 1}}),
    ]

    # When the fan candidates are listed and the batch is planned with "fan" following a1 only
    candidates = fan_candidates(messages)
    plan = plan_activity(messages, fans={("a1", "fan")})

    # Then every (account, user) pair is a candidate to look up
    assert candidates == {("a1", "fan"), ("a2", "fan"), ("a1", "stranger")}
    # And each account-day, post and hour gets one merged increment, and only the follower's days are fan days
    assert plan.day_counters == {("a1", "2024-05-01"): {"impressions": 3, "reads": 1},
                                 ("a2", "2024-05-01"): {"impressions": 1},
                                 ("a1", "2024-05-02"): {"reads": 1, "likes": 1, "new_followers": 1}}
    assert plan.post_counters == {"p1": {"reads": 2}}
    assert plan.fan_days == {("a1", "2024-05-01", "fan"), ("a1", "2024-05-02", "fan")}
    assert plan.hours == {("a1", "2024-05-01#23"): 2, ("a1", "2024-05-02#00"): 1}


def test_the_stats_window_is_completed_days_only() -> None:
    # Given today is 31 May
    today = date(2024, 5, 31)

    # When the stats window is asked for with no dates, with an end in the future, and with only an end
    default = stats_window(None, None, today)
    future_end = stats_window("2024-05-20", "2024-06-30", today)
    only_end = stats_window(None, "2024-05-10", today)

    # Then it ends yesterday at the latest, and without a start covers the 30 days up to its end
    assert default == (date(2024, 5, 1), date(2024, 5, 30))
    assert future_end == (date(2024, 5, 20), date(2024, 5, 30))
    assert only_end == (date(2024, 4, 11), date(2024, 5, 10))
    # And a start today, a date that does not exist, a span too long or a date not written YYYY-MM-DD is refused
    for bad in (("2024-05-31", None), ("2024-02-30", None), ("2024-01-01", "2024-05-01"), ("20240501", None)):
        with pytest.raises(InvalidInput):
            stats_window(*bad, today)


def test_the_best_hour_is_the_busiest_and_none_without_activity() -> None:
    # Given a day without activity, and one busiest at 21:00 and 22:00 alike
    quiet = [0] * 24
    histogram = [0] * 24
    histogram[9], histogram[21], histogram[22] = 3, 5, 5

    # When the best hour of each is picked
    quiet_best, best = best_hour(quiet), best_hour(histogram)

    # Then the quiet day has none, and the busy one the first of its busiest hours
    assert quiet_best is None
    assert best == 21


def test_domain_and_store_agree_on_the_counters() -> None:
    # Given the domain's counter names and the store's
    # When they are compared
    same_names = COUNTERS == store.COUNTERS and FAN_ACTIVITY == store.FAN_ACTIVITY

    # Then they are the same, and the day model has an attribute for each
    assert same_names
    assert all(hasattr(store.AccountDayModel, name) for name in COUNTERS)
