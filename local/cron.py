"""EventBridge schedule expressions: the one parser of ``cron(min hour dom month dow year)`` and ``rate(n unit)``."""

from __future__ import annotations

import calendar
from datetime import datetime

DOW_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}  # EventBridge numbers
_MONTH_NAMES = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}


def field_values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int]:
    """Values of a cron field (``*``, ``?``, ``a``, ``a-b``, ``a/n``, ``*/n``, ``a-b/n``, lists, names).

    Raises ``ValueError`` for a value outside ``low..high``.
    """
    names = names or {}
    found: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/")
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-")
            start, end = names.get(a.upper(), None) or int(a), names.get(b.upper(), None) or int(b)
        else:
            start = names.get(part.upper(), None) or int(part)
            end = high if step > 1 else start
        if not low <= start <= end <= high:
            raise ValueError(f"cron field {field!r} is out of range {low}-{high}")
        found.update(range(start, end + 1, step))
    return found


def cron_fields(expression: str) -> list[str]:
    """The six fields of ``cron(...)``; ``ValueError`` for anything else."""
    text = expression.strip()
    fields = text[len("cron("):-1].split() if text.startswith("cron(") and text.endswith(")") else []
    if len(fields) != 6:
        raise ValueError(f"{expression!r} is not a six-field EventBridge cron")
    return fields


def rate_seconds(expression: str) -> int:
    """The period of ``rate(n minute|minutes|hour|hours|day|days)``, in seconds."""
    value, unit = expression.strip()[len("rate("):-1].split()
    return int(value) * {"minute": 60, "hour": 3600, "day": 86_400}[unit.rstrip("s")]


def cron_matches(expression: str, at: datetime) -> bool:
    """Whether the UTC minute ``at`` is one the expression fires on (``L`` = last day of month)."""
    minute, hour, dom, month, dow, year = cron_fields(expression)
    if at.minute not in field_values(minute, 0, 59) or at.hour not in field_values(hour, 0, 23):
        return False
    if at.month not in field_values(month, 1, 12, _MONTH_NAMES) or at.year not in field_values(year, 1970, 2199):
        return False
    last_day = calendar.monthrange(at.year, at.month)[1]
    if dom == "L":
        day_ok = at.day == last_day
    else:
        day_ok = dom == "?" or at.day in field_values(dom, 1, 31)
    weekday = (at.isoweekday() % 7) + 1  # EventBridge: SUN=1 .. SAT=7
    dow_ok = dow == "?" or weekday in field_values(dow, 1, 7, DOW_NAMES)
    return day_ok and dow_ok
