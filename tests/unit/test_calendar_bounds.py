"""Dates, months and timestamps outside the platform's calendar are a 400 naming the field, never an overflow."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.domain import clock
from chalicelib.domain.activity import stats_window
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.grading import check_runnable, parse_month, run_kind
from chalicelib.domain.posts import check_post_rules

TODAY = date(2026, 3, 10)


@pytest.mark.parametrize(("start", "end", "pointer"), [
    (None, "0001-01-01", "/to"), ("0001-01-01", None, "/from"), ("9999-12-31", None, "/from"),
    ("1999-12-31", "2000-01-05", "/from"),
])
def test_stats_days_outside_the_calendar_name_the_field(start, end, pointer) -> None:
    # Given a stats request whose start or end is before 2000 or at the end of time
    # When its window is computed
    with pytest.raises(InvalidInput) as refused:
        stats_window(start, end, TODAY)

    # Then it is refused naming that field
    assert refused.value.details[0]["pointer"] == pointer


@pytest.mark.parametrize("month", ["0000-01", "0001-01", "1999-12", "3000-01", "٢٠٢٦-01"])
def test_months_outside_the_calendar_are_refused(month: str) -> None:
    # Given a month before 2000, far ahead, or written in Arabic-Indic digits
    # When it is parsed
    with pytest.raises(InvalidInput) as refused:
        parse_month(month)

    # Then it is refused naming /month
    assert refused.value.details[0]["pointer"] == "/month"
    # And a grading run of it is refused too
    with pytest.raises(InvalidInput):
        check_runnable(month, clock.parse_rfc3339("2026-03-10T00:00:00Z"), max_age_days=50)


def test_a_weekly_run_day_outside_the_calendar_is_refused() -> None:
    # Given a run day of year 1, and a day and a month within the calendar
    # When the run day of year 1 is read / Then it is refused
    with pytest.raises(InvalidInput):
        run_kind("0001-01-01")

    # And when the days within the calendar are read, Then they are a week and a month
    assert run_kind("2026-03-09") == "week" and parse_month("2026-03") == date(2026, 3, 1)


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_timestamps_at_the_ends_of_time_are_not_timestamps(text: str) -> None:
    # Given a timestamp whose offset takes it past year 1 or year 9999 in UTC
    body = {"type": "article", "format": "long_article", "title": "t", "text": "x", "publish_at": text}

    # When it is parsed / Then it is refused
    with pytest.raises(ValueError):
        clock.parse_rfc3339(text)

    # And when a post is scheduled for it, Then the schedule is named
    with pytest.raises(InvalidInput) as refused:
        check_post_rules(body, clock.parse_rfc3339("2026-03-10T00:00:00Z"))
    assert refused.value.details[0]["pointer"] == "/publish_at"


def test_a_missed_monthly_run_stays_runnable_for_45_days_with_its_fan_days_kept() -> None:
    from datetime import timedelta

    from chalicelib.domain.clock import local_midnight
    from chalicelib.domain.grading import grading_config
    from chalicelib.store.activity import FAN_DAY_TTL_DAYS, _expiry

    # Given November's run, missed until 45 days after 1 November (Asia/Shanghai)
    late = local_midnight(date(2026, 11, 1)) + timedelta(days=45)

    # When it is started with the limit the service applies / Then it may still start
    check_runnable("2026-11", late, max_age_days=FAN_DAY_TTL_DAYS - grading_config().window_days)

    # And the oldest fan-day fact of its window has not expired by then
    window_start = date(2026, 11, 1) - timedelta(days=grading_config().window_days)
    assert _expiry(window_start.isoformat()) > late
