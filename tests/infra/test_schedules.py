"""UTC crons written for EventBridge Scheduler in Asia/Shanghai time: same instants, or a clear refusal."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from infra.schedules import UTC_OFFSET_HOURS, UnconvertibleSchedule, to_shanghai
from local.cron import cron_matches

START = datetime(2024, 1, 1)  # a leap year first: Feb 29 and 31-day months both appear
HOURS = 3 * 366 * 24


def fires(expression: str, start: datetime, minute: int) -> list[datetime]:
    hours = (start + timedelta(hours=h, minutes=minute) for h in range(HOURS))
    return [t for t in hours if cron_matches(expression, t)]


@pytest.mark.parametrize(("utc", "shanghai"), [
    ("cron(0 16 L * ? *)", "cron(0 0 1 * ? *)"),  # monthly grading: 00:00 on the 1st in Shanghai
    ("cron(0 1 ? * MON *)", "cron(0 9 ? * MON *)"),  # weekly status: Monday 09:00
    ("cron(30 18 ? * SUN *)", "cron(30 2 ? * 2 *)"),  # Sunday 18:30 UTC is Monday 02:30 in Shanghai
    ("cron(0 20 ? * SAT *)", "cron(0 4 ? * 1 *)"),  # Saturday night UTC is Sunday in Shanghai
    ("cron(5 16 1,15 * ? *)", "cron(5 0 2,16 * ? *)"),
    ("cron(0 16 L 12 ? *)", "cron(0 0 1 1 ? *)"),  # the last day of December is New Year in Shanghai
    ("cron(0/10 * * * ? *)", "cron(0/10 * * * ? *)"),  # every 10 minutes: every hour maps to an hour
    ("cron(0 0/6 * * ? *)", "cron(0 2,8,14,20 * * ? *)"),
    ("cron(15 22 * * ? *)", "cron(15 6 * * ? *)"),
    ("rate(10 minutes)", "rate(10 minutes)"),
])
def test_a_utc_cron_becomes_the_shanghai_cron_that_fires_at_the_same_instants(utc: str, shanghai: str) -> None:
    # Given a cron the code states in UTC
    # When it is written for ScheduleExpressionTimezone Asia/Shanghai
    converted = to_shanghai(utc)
    # Then it reads as expected
    assert converted == shanghai
    if utc.startswith("rate("):
        return
    # And over three years it fires at exactly the same instants
    minute = int(utc[len("cron("):].split()[0].split("/")[0])
    in_utc = fires(utc, START, minute)
    in_shanghai = [t - timedelta(hours=UTC_OFFSET_HOURS)
                   for t in fires(converted, START + timedelta(hours=UTC_OFFSET_HOURS), minute)]
    assert in_utc and in_utc == in_shanghai


@pytest.mark.parametrize("utc", [
    "cron(0 10,20 1 * ? *)",  # one hour stays on the 1st, the other moves to the 2nd
    "cron(0 20 31 * ? *)",  # the day after the 31st is not one day of month
    "cron(0 20 ? * 2#1 *)",  # the first Monday, a day later, is not "the first Tuesday"
    "cron(0 20 * 6 ? *)",  # every June evening in UTC spills into July 1st in Shanghai
    "cron(0 25 * * ? *)",
])
def test_a_cron_one_shanghai_cron_cannot_state_is_refused(utc: str) -> None:
    # Given a UTC cron whose Shanghai form would need two crons
    # When it is converted / Then the build stops and says so
    with pytest.raises(UnconvertibleSchedule):
        to_shanghai(utc)
