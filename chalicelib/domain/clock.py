"""Time on the platform's calendar (Asia/Shanghai) and the one clock every module reads.

Tests pin the clock with :func:`set_now`; production code calls :func:`now`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The days the platform's calendar holds: a date outside them is a client's mistake,
# and arithmetic near ``date.min``/``date.max`` (a 30-day window, a time zone) overflows.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return _now()


def set_now(func: Callable[[], datetime] | None) -> None:
    """Pin the clock (tests, demo back-fill); ``None`` restores the wall clock."""
    global _now
    _now = func or (lambda: datetime.now(UTC))


def local_day(instant: datetime) -> date:
    """The Asia/Shanghai calendar day an instant falls on."""
    return instant.astimezone(SHANGHAI).date()


def day_of(instant: datetime) -> str:
    """The Asia/Shanghai calendar day of an instant, ``YYYY-MM-DD``."""
    return local_day(instant).isoformat()


def hour_of(instant: datetime) -> int:
    """The Asia/Shanghai hour of day (0-23) of an instant."""
    return instant.astimezone(SHANGHAI).hour


def month_of(instant: datetime) -> str:
    """The Asia/Shanghai month an instant falls in, ``YYYY-MM``."""
    return local_day(instant).strftime("%Y-%m")


def local_midnight(day: date) -> datetime:
    """The start of an Asia/Shanghai calendar day, as an aware datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def epoch_millis(instant: datetime) -> int:
    """Milliseconds since the epoch (the time part of feed keys, roster members, ids)."""
    return int(instant.timestamp() * 1000)


def from_epoch_millis(millis: int) -> datetime:
    """The instant ``millis`` milliseconds after the epoch, in UTC (inverse of :func:`epoch_millis`)."""
    return datetime.fromtimestamp(millis / 1000, UTC)


def rfc3339(instant: datetime | None) -> str | None:
    """RFC 3339 with the Asia/Shanghai offset (what mobile clients display)."""
    if instant is None:
        return None
    return instant.astimezone(SHANGHAI).isoformat(timespec="seconds")


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp that carries an offset; naive times are refused."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("timestamp needs an offset")
    check_calendar_day(value.date())
    return value


def check_calendar_day(day: date) -> date:
    """``day`` if the platform's calendar holds it; ``ValueError`` otherwise."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day.isoformat()} is outside {FIRST_DAY.isoformat()}..{LAST_DAY.isoformat()}")
    return day
