"""EventBridge schedule expressions: the code's UTC crons, written in Asia/Shanghai time.

The ``@schedule`` crons in the code are UTC (as EventBridge rules and the local
runner read them). The template deploys them as EventBridge Scheduler schedules with
``ScheduleExpressionTimezone: Asia/Shanghai`` so operators read the times the business
uses (grading at 00:00 on the 1st, not 16:00 UTC on the last day). China Standard Time
is UTC+8 all year (no daylight saving since 1991), so the conversion is a fixed shift;
:func:`to_shanghai` rewrites a cron to fire at exactly the same instants, and refuses the
few shapes a shifted cron cannot express (the author then writes the cron differently).
"""

from __future__ import annotations

from local.cron import DOW_NAMES, cron_fields, field_values

SHANGHAI = "Asia/Shanghai"
UTC_OFFSET_HOURS = 8


class UnconvertibleSchedule(ValueError):
    """A UTC cron whose Asia/Shanghai form is not a single cron expression."""


def _expand(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """Values of a cron field (the local scheduler's parser: one grammar for both)."""
    try:
        return field_values(field, low, high, names)
    except ValueError as error:
        raise UnconvertibleSchedule(str(error)) from None


def _compact(values: set[int], low: int, high: int) -> str:
    return "*" if values == set(range(low, high + 1)) else ",".join(str(v) for v in sorted(values))


def _shift_weekdays(field: str) -> str:
    """Each day of week one later (SAT → SUN); accepts names, numbers, ranges, steps and lists."""
    if any("#" in part or part.endswith("L") for part in field.split(",")):
        raise UnconvertibleSchedule(f"day-of-week {field!r} (nth/last weekday) cannot be shifted by a day")
    return ",".join(str(d % 7 + 1) for d in sorted(_expand(field, 1, 7, DOW_NAMES)))


def _shift_months(field: str) -> str:
    if field == "*":
        return "*"
    return _compact({m % 12 + 1 for m in _expand(field, 1, 12)}, 1, 12)


def to_shanghai(expression: str) -> str:
    """The same schedule as ``expression`` (UTC), written for ``ScheduleExpressionTimezone: Asia/Shanghai``.

    ``rate(...)`` expressions have no clock time and are returned unchanged.

    Raises
    ------
    UnconvertibleSchedule
        When the shifted schedule needs more than one cron (e.g. some hours cross midnight
        and others do not, on restricted days).

    Examples
    --------
    >>> to_shanghai("cron(0 16 L * ? *)")       # monthly, 00:00 on the 1st in Shanghai
    'cron(0 0 1 * ? *)'
    >>> to_shanghai("cron(0 1 ? * MON *)")      # weekly, Monday 09:00 in Shanghai
    'cron(0 9 ? * MON *)'
    """
    text = expression.strip()
    if not text.startswith("cron("):
        return text
    try:
        minute, hour, dom, month, dow, year = cron_fields(text)
    except ValueError as error:
        raise UnconvertibleSchedule(str(error)) from None
    hours = _expand(hour, 0, 23)
    local_hours = _compact({(h + UTC_OFFSET_HOURS) % 24 for h in hours}, 0, 23)
    crossing = {h + UTC_OFFSET_HOURS >= 24 for h in hours}
    every_day = dom in ("*", "?") and dow in ("*", "?")
    if crossing == {False}:
        return f"cron({minute} {local_hours} {dom} {month} {dow} {year})"
    if every_day and month == "*" and year == "*":
        return f"cron({minute} {local_hours} {dom} {month} {dow} {year})"
    if crossing != {True}:
        raise UnconvertibleSchedule(
            f"{expression!r}: some hours fall on the next day in Asia/Shanghai and some do not; "
            "split it into two schedules")
    # Every firing moves to the next calendar day.
    if dom == "?" and month == "*" and year == "*":
        return f"cron({minute} {local_hours} ? * {_shift_weekdays(dow)} {year})"
    if dom == "L" and dow == "?" and year == "*":
        return f"cron({minute} {local_hours} 1 {_shift_months(month)} ? {year})"
    if dow == "?" and dom not in ("*", "L") and not any(c in dom for c in "LW#"):
        days = _expand(dom, 1, 31)
        if max(days) <= 27:  # day + 1 exists in every month, so the month never changes
            return f"cron({minute} {local_hours} {_compact({d + 1 for d in days}, 1, 31)} {month} ? {year})"
    raise UnconvertibleSchedule(
        f"{expression!r} crosses midnight into Asia/Shanghai's next day in a way one cron cannot state")
