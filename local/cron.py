"""EventBridge cron expressions (``cron(min hour dom month dow year)``, UTC) for the local scheduler."""

from __future__ import annotations

import calendar
from datetime import datetime

_DOW_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTH_NAMES = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}


def _values(field: str, low: int, high: int, names: dict[str, int]) -> set[int]:
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
        found.update(range(start, end + 1, step))
    return found


def cron_matches(expression: str, at: datetime) -> bool:
    """Whether the UTC minute ``at`` is one the expression fires on (``L`` = last day of month)."""
    fields = expression.strip()[len("cron("):-1].split()
    minute, hour, dom, month, dow, year = fields
    if at.minute not in _values(minute, 0, 59, {}) or at.hour not in _values(hour, 0, 23, {}):
        return False
    if at.month not in _values(month, 1, 12, _MONTH_NAMES) or at.year not in _values(year, 1970, 2199, {}):
        return False
    last_day = calendar.monthrange(at.year, at.month)[1]
    if dom == "L":
        day_ok = at.day == last_day
    else:
        day_ok = dom == "?" or at.day in _values(dom, 1, 31, {})
    weekday = (at.isoweekday() % 7) + 1  # EventBridge: SUN=1 .. SAT=7
    dow_ok = dow == "?" or weekday in _values(dow, 1, 7, _DOW_NAMES)
    return day_ok and dow_ok
