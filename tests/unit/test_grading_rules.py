"""Tier grading rules: the decision table, its boundaries, the metrics and the run calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.clock import month_of
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.grading import (
    METRICS,
    DayCounts,
    Decision,
    FanCounts,
    FanTally,
    GradingConfig,
    GradingConfigError,
    Metrics,
    MonthSummary,
    WeekSummary,
    Window,
    bucket_of,
    check_runnable,
    cutoff_of,
    decide,
    grading_config,
    merged_summary,
    metrics_from,
    run_kind,
    shard_count,
    standing,
    status_for,
    tally_day,
)
from chalicelib.events.grading import MONTHLY, WEEKLY
from local.cron import cron_matches

# A configuration where the status depends on fans only and the entry conditions on active
# fans only, so every tier x status x entry combination can be built independently.
TABLE_CONFIG = GradingConfig.from_json({
    "order": ["W1", "W2", "W3", "W4"],
    "tiers": {
        "W1": {},
        "W2": {"entry": {"active_fans": 20}, "status": {"good": {"fans": 100}, "excellent": {"fans": 200}}},
        "W3": {"entry": {"active_fans": 30}, "status": {"good": {"fans": 300}, "excellent": {"fans": 400}}},
        "W4": {"entry": {"active_fans": 40}, "status": {"good": {"fans": 500}, "excellent": {"fans": 600}}},
    },
})
FANS_FOR = {("W2", "poor"): 99, ("W2", "good"): 100, ("W2", "excellent"): 200,
            ("W3", "poor"): 299, ("W3", "good"): 399, ("W3", "excellent"): 400,
            ("W4", "poor"): 0, ("W4", "good"): 500, ("W4", "excellent"): 10_000}
# Active fans that meet (True) or miss (False) the entry conditions of the tier above.
ACTIVE_FOR = {("W1", True): 20, ("W1", False): 19, ("W2", True): 30, ("W2", False): 29,
              ("W3", True): 40, ("W3", False): 39, ("W4", True): 1_000, ("W4", False): 0}


def m(fans: int = 0, active_fans: int = 0, revisit_rate: float = 0.0, avg_daily_posts: float = 0.0) -> Metrics:
    return Metrics(fans, active_fans, revisit_rate, avg_daily_posts)


# --- the decision table ----------------------------------------------------------------------

@pytest.mark.parametrize(("tier", "status", "next_entry_met", "expected_tier", "expected_rule"), [
    ("W2", "poor", True, "W1", "poor_demotes"),
    ("W2", "poor", False, "W1", "poor_demotes"),
    ("W2", "good", True, "W2", "good_keeps"),
    ("W2", "good", False, "W2", "good_keeps"),
    ("W2", "excellent", True, "W3", "excellent_promotes"),
    ("W2", "excellent", False, "W2", "excellent_entry_not_met"),
    ("W3", "poor", True, "W2", "poor_demotes"),
    ("W3", "poor", False, "W2", "poor_demotes"),
    ("W3", "good", True, "W3", "good_keeps"),
    ("W3", "good", False, "W3", "good_keeps"),
    ("W3", "excellent", True, "W4", "excellent_promotes"),
    ("W3", "excellent", False, "W3", "excellent_entry_not_met"),
    ("W4", "poor", True, "W3", "poor_demotes"),
    ("W4", "poor", False, "W3", "poor_demotes"),
    ("W4", "good", True, "W4", "good_keeps"),
    ("W4", "good", False, "W4", "good_keeps"),
    ("W4", "excellent", True, "W4", "excellent_top_tier"),
    ("W4", "excellent", False, "W4", "excellent_top_tier"),
])
def test_every_graded_tier_status_and_entry_condition(tier: str, status: str, next_entry_met: bool,
                                                      expected_tier: str, expected_rule: str) -> None:
    # Given metrics that give the tier this status and meet (or miss) the next tier's entry
    metrics = m(fans=FANS_FOR[(tier, status)], active_fans=ACTIVE_FOR[(tier, next_entry_met)])

    # When the month is graded
    decision = decide(tier, metrics, TABLE_CONFIG)

    # Then the status, the new tier and the deciding rule are the table's
    assert decision == Decision(tier, status, expected_tier, expected_rule)


@pytest.mark.parametrize(("fans", "entry_met", "expected_tier", "expected_rule"), [
    (0, True, "W2", "entry_met"),
    (10_000, True, "W2", "entry_met"),
    (10_000, False, "W1", "entry_not_met"),
    (0, False, "W1", "entry_not_met"),
])
def test_w1_has_no_status_and_promotes_only_on_w2_entry_conditions(fans: int, entry_met: bool, expected_tier: str,
                                                                    expected_rule: str) -> None:
    decision = decide("W1", m(fans=fans, active_fans=ACTIVE_FOR[("W1", entry_met)]), TABLE_CONFIG)

    assert decision == Decision("W1", None, expected_tier, expected_rule)


@pytest.mark.parametrize("metrics", [m(), m(fans=10**9, active_fans=10**9, revisit_rate=1.0, avg_daily_posts=50)])
@pytest.mark.parametrize("tier", ["H1", "X9"])
def test_h1_and_unknown_tiers_are_not_graded(tier: str, metrics: Metrics) -> None:
    assert decide(tier, metrics, TABLE_CONFIG) == Decision(tier, None, tier, "not_graded")
    assert decide(tier, metrics) == Decision(tier, None, tier, "not_graded")
    assert status_for(tier, metrics) is None


# --- boundaries of the shipped thresholds ----------------------------------------------------

SHIPPED = grading_config()


def at(thresholds: dict[str, float], **overrides: float) -> Metrics:
    """Metrics exactly at ``thresholds`` (other metrics generous), with ``overrides``."""
    values: dict[str, float] = {"fans": 10**7, "active_fans": 10**7, "revisit_rate": 1.0, "avg_daily_posts": 100.0}
    values.update(thresholds)
    values.update(overrides)
    return Metrics(int(values["fans"]), int(values["active_fans"]), values["revisit_rate"],
                   values["avg_daily_posts"])


def just_below(metric: str, value: float) -> float:
    # Counts are whole; rates are compared at 4 decimals.
    return value - 1 if metric in ("fans", "active_fans") else round(value - 0.0001, 4)


BOUNDARY_CASES = [(tier, metric) for tier in ("W2", "W3", "W4") for metric in METRICS]


@pytest.mark.parametrize(("tier", "metric"), BOUNDARY_CASES)
def test_good_threshold_is_met_when_equal_and_missed_just_below(tier: str, metric: str) -> None:
    good = dict(SHIPPED.tiers[tier].good or {})
    # Other metrics exactly at good too, and the metric kept below excellent
    exactly = at(good)
    below = at(good, **{metric: just_below(metric, good[metric])})

    assert status_for(tier, exactly) == "good"
    assert decide(tier, exactly).rule == "good_keeps"
    assert status_for(tier, below) == "poor"
    assert decide(tier, below) == Decision(tier, "poor", SHIPPED.previous_tier(tier) or tier, "poor_demotes")


@pytest.mark.parametrize(("tier", "metric"), BOUNDARY_CASES)
def test_excellent_threshold_is_met_when_equal_and_missed_just_below(tier: str, metric: str) -> None:
    excellent = dict(SHIPPED.tiers[tier].excellent or {})

    assert status_for(tier, at(excellent)) == "excellent"
    assert status_for(tier, at(excellent, **{metric: just_below(metric, excellent[metric])})) == "good"


def _entry_cases() -> list[tuple[str, str]]:
    """(tier, metric) where an account can be excellent in its tier yet below the next tier's entry."""
    cases = []
    for tier in ("W1", "W2", "W3"):
        upper = SHIPPED.next_tier(tier) or tier
        excellent = SHIPPED.tiers[tier].excellent or {}
        cases += [(tier, metric) for metric, minimum in (SHIPPED.tiers[upper].entry or {}).items()
                  if just_below(metric, minimum) >= excellent.get(metric, 0)]
    return cases


@pytest.mark.parametrize(("tier", "metric"), _entry_cases())
def test_next_tier_entry_is_met_when_equal_and_missed_just_below(tier: str, metric: str) -> None:
    # Given an account excellent in its own tier (W1 has no status), exactly at the next tier's entry
    upper = SHIPPED.next_tier(tier)
    entry = dict(SHIPPED.tiers[upper].entry or {})
    floor = {k: max(v, (SHIPPED.tiers[tier].excellent or {}).get(k, 0)) for k, v in entry.items()}
    below = at(floor, **{metric: just_below(metric, entry[metric])})

    # Then it is promoted, and one step below on any entry metric it stays
    assert decide(tier, at(floor)).new_tier == upper
    expected = Decision(tier, None, tier, "entry_not_met") if tier == "W1" else Decision(
        tier, "excellent", tier, "excellent_entry_not_met")
    assert decide(tier, below) == expected


def test_entry_boundaries_cover_every_lower_tier() -> None:
    assert {tier for tier, _ in _entry_cases()} == {"W1", "W2", "W3"}


def test_shipped_thresholds_leave_room_between_entering_and_keeping_a_tier() -> None:
    # An account that just met a tier's entry conditions is not poor there the next month
    for tier in ("W2", "W3", "W4"):
        entry = SHIPPED.tiers[tier].entry or {}
        assert status_for(tier, at(entry)) in ("good", "excellent")
        assert all(minimum <= entry[metric] for metric, minimum in (SHIPPED.tiers[tier].good or {}).items())


# --- configuration checks --------------------------------------------------------------------

def _config(**w2: object) -> dict[str, object]:
    base = {"entry": {"fans": 10}, "status": {"good": {"fans": 5}, "excellent": {"fans": 50}}}
    return {"order": ["W1", "W2"], "tiers": {"W1": {}, "W2": {**base, **w2}}}


@pytest.mark.parametrize(("raw", "message"), [
    (_config(entry={"followers": 10}), "unknown metric"),
    (_config(status={"good": {"fans": 60}, "excellent": {"fans": 50}}), "below the good one"),
    (_config(entry=None), "W2.entry must be"),
    (_config(status={"good": {"fans": 5}}), "W2.status.excellent must be"),
    (_config(entry={"fans": -1}), "must be a number >= 0"),
    ({"order": ["W1"], "tiers": {"W1": {}}}, "two or more"),
    ({"order": ["W1", "W2"], "tiers": {"W1": {}}}, "two or more"),
    ({**_config(), "metrics": {"window_days": 7, "revisit_days": 30}}, "cannot exceed"),
    ({**_config(), "metrics": {"window_days": 0}}, "positive integers"),
    ({"order": ["W1", "W2"], "tiers": {"W1": {"entry": {"fans": 1}}, "W2": _config()["tiers"]["W2"]}},  # type: ignore[index]
     "first tier"),
])
def test_a_bad_tier_file_is_refused_with_the_reason(raw: dict[str, object], message: str) -> None:
    with pytest.raises(GradingConfigError, match=message):
        GradingConfig.from_json(raw)


def test_the_shipped_tier_file_is_valid_and_matches_the_spec_windows() -> None:
    assert SHIPPED.order == ("W1", "W2", "W3", "W4")
    assert (SHIPPED.window_days, SHIPPED.revisit_days, SHIPPED.revisit_min_days) == (30, 7, 2)
    assert all(SHIPPED.tiers[t].entry and SHIPPED.tiers[t].good for t in ("W2", "W3", "W4"))


# --- metrics ---------------------------------------------------------------------------------

WINDOW = Window.before(date(2026, 11, 1), SHIPPED)


def test_the_window_is_the_30_days_before_the_cutoff_and_revisits_the_last_7() -> None:
    assert (WINDOW.start, WINDOW.revisit_start, WINDOW.cutoff) == ("2026-10-02", "2026-10-25", "2026-11-01")


def test_fan_tally_counts_distinct_fans_inside_the_window_and_who_came_back_twice_in_7_days() -> None:
    # Given fan-day facts on the window's edges and in the last 7 days
    tally = FanTally(WINDOW, 2)
    facts = [
        ("2026-10-01", "too-early"), ("2026-11-01", "on-cutoff"),  # outside
        ("2026-10-02", "first-day"), ("2026-10-02", "twice"), ("2026-10-20", "twice"),  # old days only
        ("2026-10-24", "old-and-new"), ("2026-10-31", "old-and-new"),  # one recent day
        ("2026-10-25", "back"), ("2026-10-31", "back"),  # two recent days
        ("2026-10-26", "thrice"), ("2026-10-27", "thrice"), ("2026-10-28", "thrice"),
    ]

    # When they are counted
    for day, user in facts:
        tally.add(day, user)

    # Then five fans were active, three in the last 7 days, two of them on 2+ days
    assert tally.counts() == FanCounts(active_fans=5, active_recent=3, revisiting=2)


def test_day_tally_counts_manual_posts_in_the_window_and_follows_from_the_cutoff_on() -> None:
    counts = DayCounts()
    for day, posts, new, lost in [("2026-10-01", 50, 9, 0), ("2026-10-02", 3, 1, 0), ("2026-10-31", 2, 4, 1),
                                  ("2026-11-01", 7, 5, 1), ("2026-11-03", 1, 0, 2)]:
        counts = tally_day(WINDOW, counts, day, posts, new, lost)

    assert counts == DayCounts(posts=5, net_followers_since=2)


def test_metrics_take_fans_at_the_cutoff_and_round_rates_to_4_decimals() -> None:
    metrics = metrics_from(1_000, DayCounts(posts=10, net_followers_since=25), FanCounts(300, 3, 1), WINDOW)

    assert metrics == Metrics(fans=975, active_fans=300, revisit_rate=0.3333, avg_daily_posts=0.3333)


def test_metrics_of_an_account_without_activity_are_zero_and_fans_never_negative() -> None:
    assert metrics_from(3, DayCounts(0, 10), FanCounts(), WINDOW) == Metrics(0, 0, 0.0, 0.0)


def test_standing_lists_what_to_improve_most_urgent_first() -> None:
    # Given a W2 account that misses good on revisits, excellent on fans, and W3's entry on fans
    good = SHIPPED.tiers["W2"].good or {}
    metrics = at({**(SHIPPED.tiers["W2"].excellent or {})}, revisit_rate=0.05)

    # When its standing is computed
    view = standing("W2", metrics)

    # Then the demotion risk comes first, and every row shows the value against the targets
    assert view["status"] == "poor" and view["next_tier"] == "W3"
    assert view["to_improve"][0] == {"metric": "revisit_rate", "value": 0.05, "target": good["revisit_rate"],
                                     "for": "good"}
    assert [item["for"] for item in view["to_improve"]] == sorted(
        (item["for"] for item in view["to_improve"]), key=["good", "excellent", "promotion"].index)
    assert view["metrics"]["fans"] == {"value": 500, "good": 80, "excellent": 500, "promotion": 1000}


def test_standing_of_w1_shows_only_the_way_up() -> None:
    view = standing("W1", m(fans=10))

    assert view["status"] is None and view["next_tier"] == "W2"
    assert {item["for"] for item in view["to_improve"]} == {"promotion"}


# --- runs, calendar, shards ------------------------------------------------------------------

SHANGHAI_NOW = datetime(2026, 11, 1, 0, 5, tzinfo=UTC) - timedelta(hours=8)  # 00:05 on Nov 1 in Shanghai


def test_a_run_is_named_by_its_month_or_for_weekly_status_by_its_day() -> None:
    assert (run_kind("2026-11"), cutoff_of("2026-11")) == ("month", date(2026, 11, 1))
    assert (run_kind("2026-11-16"), cutoff_of("2026-11-16")) == ("week", date(2026, 11, 16))
    for bad in ("2026-13", "2026-1", "26-11", "2026-11-31", "november", "２０２６-11", "2026-１１-16", "2026-1-016"):
        with pytest.raises(InvalidInput):
            run_kind(bad)


def test_a_month_can_be_graded_from_its_first_moment_in_shanghai() -> None:
    check_runnable("2026-11", SHANGHAI_NOW, max_age_days=10)
    with pytest.raises(InvalidInput, match="cannot be graded before 2026-11-01T00:00:00\\+08:00"):
        check_runnable("2026-11", datetime(2026, 10, 31, 15, 59, 59, tzinfo=UTC), max_age_days=10)
    with pytest.raises(InvalidInput, match="too old"):
        check_runnable("2026-09", SHANGHAI_NOW, max_age_days=10)


def test_the_month_of_an_instant_is_read_in_shanghai() -> None:
    assert month_of(SHANGHAI_NOW) == "2026-11"
    assert month_of(SHANGHAI_NOW - timedelta(minutes=6)) == "2026-10"


@pytest.mark.parametrize(("at", "fires"), [
    (datetime(2026, 10, 31, 16, 5, tzinfo=UTC), True),  # 2026-11-01 00:05 Shanghai
    (datetime(2026, 11, 30, 16, 5, tzinfo=UTC), True),  # 2026-12-01 00:05
    (datetime(2027, 2, 28, 16, 5, tzinfo=UTC), True),  # 2027-03-01 00:05
    (datetime(2026, 11, 15, 16, 5, tzinfo=UTC), False),
    (datetime(2026, 10, 31, 16, 6, tzinfo=UTC), False),
])
def test_the_monthly_schedule_fires_at_0005_on_the_first_in_shanghai(at: datetime, fires: bool) -> None:
    assert cron_matches(MONTHLY.to_string(), at) is fires
    if fires:
        assert month_of(at) == (at + timedelta(hours=8)).strftime("%Y-%m")


def test_the_weekly_schedule_fires_on_monday_0010_in_shanghai() -> None:
    monday_in_shanghai = datetime(2026, 11, 15, 16, 10, tzinfo=UTC)  # Sunday UTC
    assert (monday_in_shanghai + timedelta(hours=8)).strftime("%a %H:%M") == "Mon 00:10"
    assert cron_matches(WEEKLY.to_string(), monday_in_shanghai)
    assert not cron_matches(WEEKLY.to_string(), monday_in_shanghai + timedelta(days=1))


def test_buckets_are_a_stable_even_hash_of_the_account_id() -> None:
    assert bucket_of("01JACCOUNT0000000000000001", 7) == bucket_of("01JACCOUNT0000000000000001", 7)
    assert bucket_of("01JACCOUNT0000000000000001", 1_000_000) == 782_520
    counts = [0] * 8
    for i in range(8_000):
        counts[bucket_of(f"acct-{i}", 8)] += 1
    assert min(counts) > 850 and max(counts) < 1150


def test_shard_counts_grow_with_the_table_within_bounds() -> None:
    assert [shard_count(n, 1000, 50) for n in (0, 1, 1000, 1001, 10**9)] == [1, 1, 1, 2, 50]


def test_run_summary_merges_shard_summaries() -> None:
    # Given two shards' summaries
    first, second = MonthSummary(), MonthSummary()
    first.add(Decision("W1", None, "W2", "entry_met"))
    first.add(Decision("H1", None, "H1", "not_graded"))
    second.add(Decision("W3", "poor", "W2", "poor_demotes"))
    second.add(Decision("W2", "good", "W2", "good_keeps"))
    second.skipped_new = 1

    # When merged
    total = merged_summary([first.to_json(), second.to_json()])

    # Then the counts add up and H1 shows in the tier counts without being graded
    assert total == {
        "graded": 3, "promotions": 1, "demotions": 1, "kept": 1, "skipped_new": 1, "not_applied": 0,
        "before": {"H1": 1, "W1": 1, "W2": 1, "W3": 1}, "after": {"H1": 1, "W2": 3},
        "transitions": {"H1": {"H1": 1}, "W1": {"W2": 1}, "W2": {"W2": 1}, "W3": {"W2": 1}},
        "rules": {"entry_met": 1, "good_keeps": 1, "poor_demotes": 1},
    }


def test_week_summary_counts_statuses_per_tier() -> None:
    week = WeekSummary()
    for tier, status in [("W2", "poor"), ("W2", "good"), ("W1", None), ("H1", None)]:
        week.add(tier, status)

    merged = merged_summary([week.to_json(), week.to_json()])

    assert merged["graded"] == 6 and merged["tiers"] == {"H1": 2, "W1": 2, "W2": 4}
    assert merged["statuses"] == {"W2": {"good": 2, "poor": 2}}

