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
    # Given a W1 account with few or many fans that meets (or misses) W2's entry conditions
    metrics = m(fans=fans, active_fans=ACTIVE_FOR[("W1", entry_met)])

    # When the month is graded
    decision = decide("W1", metrics, TABLE_CONFIG)

    # Then it gets no status, and only the entry conditions decide whether it moves up
    assert decision == Decision("W1", None, expected_tier, expected_rule)


@pytest.mark.parametrize("metrics", [m(), m(fans=10**9, active_fans=10**9, revisit_rate=1.0, avg_daily_posts=50)])
@pytest.mark.parametrize("tier", ["H1", "X9"])
def test_h1_and_unknown_tiers_are_not_graded(tier: str, metrics: Metrics) -> None:
    # Given an account in H1 or in a tier no configuration names, with no activity or with a great deal
    # When the month is graded, with the test table and with the shipped one
    with_table, with_shipped = decide(tier, metrics, TABLE_CONFIG), decide(tier, metrics)

    # Then it stays where it is, not graded and without a status
    assert with_table == Decision(tier, None, tier, "not_graded")
    assert with_shipped == Decision(tier, None, tier, "not_graded")
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
    # Given metrics exactly at the tier's good thresholds (so below excellent), and the same one step below on one
    good = dict(SHIPPED.tiers[tier].good or {})
    exactly = at(good)
    below = at(good, **{metric: just_below(metric, good[metric])})

    # When the month is graded
    exactly_status, exactly_decision = status_for(tier, exactly), decide(tier, exactly)
    below_status, below_decision = status_for(tier, below), decide(tier, below)

    # Then exactly at the threshold is good and keeps the tier; one step below is poor and demotes
    assert exactly_status == "good"
    assert exactly_decision.rule == "good_keeps"
    assert below_status == "poor"
    assert below_decision == Decision(tier, "poor", SHIPPED.previous_tier(tier) or tier, "poor_demotes")


@pytest.mark.parametrize(("tier", "metric"), BOUNDARY_CASES)
def test_excellent_threshold_is_met_when_equal_and_missed_just_below(tier: str, metric: str) -> None:
    # Given metrics exactly at the tier's excellent thresholds, and the same one step below on one
    excellent = dict(SHIPPED.tiers[tier].excellent or {})
    exactly = at(excellent)
    below = at(excellent, **{metric: just_below(metric, excellent[metric])})

    # When their status is computed
    exactly_status, below_status = status_for(tier, exactly), status_for(tier, below)

    # Then exactly at the threshold is excellent, and one step below is only good
    assert exactly_status == "excellent"
    assert below_status == "good"


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

    # When the month is graded, at the entry and one step below on one entry metric
    at_entry, below_entry = decide(tier, at(floor)), decide(tier, below)

    # Then it is promoted, and one step below on any entry metric it stays
    assert at_entry.new_tier == upper
    expected = Decision(tier, None, tier, "entry_not_met") if tier == "W1" else Decision(
        tier, "excellent", tier, "excellent_entry_not_met")
    assert below_entry == expected


def test_entry_boundaries_cover_every_lower_tier() -> None:
    # Given the shipped thresholds
    # When the entry boundary cases are derived from them
    tiers = {tier for tier, _ in _entry_cases()}

    # Then every tier below the top one has at least one (so the entry test is never vacuous)
    assert tiers == {"W1", "W2", "W3"}


def test_shipped_thresholds_leave_room_between_entering_and_keeping_a_tier() -> None:
    # Given, for each graded tier, an account that just met its entry conditions
    for tier in ("W2", "W3", "W4"):
        entry = SHIPPED.tiers[tier].entry or {}

        # When its status in that tier is computed
        status = status_for(tier, at(entry))

        # Then it is not poor there the next month: every good threshold is at or below the entry's
        assert status in ("good", "excellent")
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
    # Given a tier file with an unknown metric, crossed or missing thresholds, too few tiers or bad windows
    # When it is loaded / Then it is refused with the reason
    with pytest.raises(GradingConfigError, match=message):
        GradingConfig.from_json(raw)


def test_the_shipped_tier_file_is_valid_and_matches_the_spec_windows() -> None:
    # Given the shipped tier file
    # When it is loaded
    config = grading_config()

    # Then it orders W1 to W4, uses the spec's 30-day window with 2 visits in the last 7, and fills every graded tier
    assert config.order == ("W1", "W2", "W3", "W4")
    assert (config.window_days, config.revisit_days, config.revisit_min_days) == (30, 7, 2)
    assert all(config.tiers[t].entry and config.tiers[t].good for t in ("W2", "W3", "W4"))


# --- metrics ---------------------------------------------------------------------------------

WINDOW = Window.before(date(2026, 11, 1), SHIPPED)


def test_the_window_is_the_30_days_before_the_cutoff_and_revisits_the_last_7() -> None:
    # Given the shipped configuration and a cutoff of 1 November 2026
    # When the window before it is taken (WINDOW, which the metrics tests below use)
    bounds = (WINDOW.start, WINDOW.revisit_start, WINDOW.cutoff)

    # Then it starts 30 days earlier, and revisits are counted over its last 7 days
    assert bounds == ("2026-10-02", "2026-10-25", "2026-11-01")


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
    # Given days before the window, inside it, on the cutoff and after it, with posts, new and lost followers
    days = [("2026-10-01", 50, 9, 0), ("2026-10-02", 3, 1, 0), ("2026-10-31", 2, 4, 1),
            ("2026-11-01", 7, 5, 1), ("2026-11-03", 1, 0, 2)]

    # When they are tallied
    counts = DayCounts()
    for day, posts, new, lost in days:
        counts = tally_day(WINDOW, counts, day, posts, new, lost)

    # Then posts count inside the window only, and the net follower change from the cutoff on
    assert counts == DayCounts(posts=5, net_followers_since=2)


def test_metrics_take_fans_at_the_cutoff_and_round_rates_to_4_decimals() -> None:
    # Given 1,000 followers now, 25 gained since the cutoff, 10 posts and 300 active fans of whom 1 revisited
    days, fans = DayCounts(posts=10, net_followers_since=25), FanCounts(300, 3, 1)

    # When the metrics are computed
    metrics = metrics_from(1_000, days, fans, WINDOW)

    # Then the fans are those at the cutoff, and the rates are rounded to 4 decimals
    assert metrics == Metrics(fans=975, active_fans=300, revisit_rate=0.3333, avg_daily_posts=0.3333)


def test_metrics_of_an_account_without_activity_are_zero_and_fans_never_negative() -> None:
    # Given an account with 3 followers now but 10 gained since the cutoff, and no activity
    days, fans = DayCounts(0, 10), FanCounts()

    # When the metrics are computed
    metrics = metrics_from(3, days, fans, WINDOW)

    # Then every metric is zero, fans included (not -7)
    assert metrics == Metrics(0, 0, 0.0, 0.0)


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
    # Given a W1 account with 10 fans
    metrics = m(fans=10)

    # When its standing is computed
    view = standing("W1", metrics)

    # Then it has no status, and everything to improve is for promotion to W2
    assert view["status"] is None and view["next_tier"] == "W2"
    assert {item["for"] for item in view["to_improve"]} == {"promotion"}


# --- runs, calendar, shards ------------------------------------------------------------------

SHANGHAI_NOW = datetime(2026, 11, 1, 0, 5, tzinfo=UTC) - timedelta(hours=8)  # 00:05 on Nov 1 in Shanghai


def test_a_run_is_named_by_its_month_or_for_weekly_status_by_its_day() -> None:
    # Given a month, a day, and names that are neither (bad months and days, short forms, full-width digits)
    bad_names = ("2026-13", "2026-1", "26-11", "2026-11-31", "november", "２０２６-11", "2026-１１-16", "2026-1-016")

    # When each is read as a run name
    month, week = (run_kind("2026-11"), cutoff_of("2026-11")), (run_kind("2026-11-16"), cutoff_of("2026-11-16"))

    # Then a month is a monthly grading and a day a weekly status run, each with its cutoff
    assert month == ("month", date(2026, 11, 1))
    assert week == ("week", date(2026, 11, 16))
    # And every other name is refused
    for bad in bad_names:
        with pytest.raises(InvalidInput):
            run_kind(bad)


def test_a_month_can_be_graded_from_its_first_moment_in_shanghai() -> None:
    # Given 00:05 on 1 November in Shanghai, one second before midnight, and a 10-day limit on a run's age
    before_midnight = datetime(2026, 10, 31, 15, 59, 59, tzinfo=UTC)

    # When November is run at 00:05 / Then it may start
    check_runnable("2026-11", SHANGHAI_NOW, max_age_days=10)

    # And when November is run before midnight, Then it is refused naming when it may start
    with pytest.raises(InvalidInput, match="cannot be graded before 2026-11-01T00:00:00\\+08:00"):
        check_runnable("2026-11", before_midnight, max_age_days=10)
    # And when September is run, Then it is refused as too old
    with pytest.raises(InvalidInput, match="too old"):
        check_runnable("2026-09", SHANGHAI_NOW, max_age_days=10)


def test_the_month_of_an_instant_is_read_in_shanghai() -> None:
    # Given 00:05 on 1 November in Shanghai, and six minutes earlier (still 31 October there)
    just_after, just_before = SHANGHAI_NOW, SHANGHAI_NOW - timedelta(minutes=6)

    # When the month of each is read
    after_month, before_month = month_of(just_after), month_of(just_before)

    # Then it is the Shanghai month
    assert after_month == "2026-11"
    assert before_month == "2026-10"


@pytest.mark.parametrize(("at", "fires"), [
    (datetime(2026, 10, 31, 16, 5, tzinfo=UTC), True),  # 2026-11-01 00:05 Shanghai
    (datetime(2026, 11, 30, 16, 5, tzinfo=UTC), True),  # 2026-12-01 00:05
    (datetime(2027, 2, 28, 16, 5, tzinfo=UTC), True),  # 2027-03-01 00:05
    (datetime(2026, 11, 15, 16, 5, tzinfo=UTC), False),
    (datetime(2026, 10, 31, 16, 6, tzinfo=UTC), False),
])
def test_the_monthly_schedule_fires_at_0005_on_the_first_in_shanghai(at: datetime, fires: bool) -> None:
    # Given an instant at 00:05 Shanghai on a first of the month (or on another day, or a minute later)
    # When the monthly schedule is matched against it
    matched = cron_matches(MONTHLY.to_string(), at)

    # Then it fires only on the first at 00:05, and then the Shanghai month is the one just begun
    assert matched is fires
    if fires:
        assert month_of(at) == (at + timedelta(hours=8)).strftime("%Y-%m")


def test_the_weekly_schedule_fires_on_monday_0010_in_shanghai() -> None:
    # Given Sunday 16:10 UTC, which is Monday 00:10 in Shanghai
    monday_in_shanghai = datetime(2026, 11, 15, 16, 10, tzinfo=UTC)
    assert (monday_in_shanghai + timedelta(hours=8)).strftime("%a %H:%M") == "Mon 00:10"

    # When the weekly schedule is matched against it and against a day later
    on_monday = cron_matches(WEEKLY.to_string(), monday_in_shanghai)
    on_tuesday = cron_matches(WEEKLY.to_string(), monday_in_shanghai + timedelta(days=1))

    # Then it fires on the Monday only
    assert on_monday
    assert not on_tuesday


def test_buckets_are_a_stable_even_hash_of_the_account_id() -> None:
    # Given one account id, and 8,000 others
    account = "01JACCOUNT0000000000000001"

    # When they are put in buckets
    counts = [0] * 8
    for i in range(8_000):
        counts[bucket_of(f"acct-{i}", 8)] += 1

    # Then the account always lands in the same bucket (a fixed hash, not Python's salted one)
    assert bucket_of(account, 7) == bucket_of(account, 7)
    assert bucket_of(account, 1_000_000) == 782_520
    # And the others spread evenly over 8 buckets (within 15%)
    assert min(counts) > 850 and max(counts) < 1150


def test_shard_counts_grow_with_the_table_within_bounds() -> None:
    # Given tables of 0, 1, 1,000, 1,001 and a billion accounts, 1,000 accounts a shard and at most 50 shards
    sizes = (0, 1, 1000, 1001, 10**9)

    # When the shard count of each is computed
    counts = [shard_count(n, 1000, 50) for n in sizes]

    # Then there is always one shard, one more per 1,000 accounts, and never more than 50
    assert counts == [1, 1, 1, 2, 50]


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
    # Given a shard's weekly summary of two W2 accounts, a W1 and an H1
    week = WeekSummary()
    for tier, status in [("W2", "poor"), ("W2", "good"), ("W1", None), ("H1", None)]:
        week.add(tier, status)

    # When two such shard summaries are merged
    merged = merged_summary([week.to_json(), week.to_json()])

    # Then every account is counted in its tier, and statuses only where the tier has them
    assert merged["graded"] == 6 and merged["tiers"] == {"H1": 2, "W1": 2, "W2": 4}
    assert merged["statuses"] == {"W2": {"good": 2, "poor": 2}}

