"""Fan distribution (粉丝分布) rules: which counters a follower change moves, and the read-out.

The distribution is never computed by reading the followers. Every change to a
follower moves a few counters (``store.fan_counts``), in the same transaction:

- ``g`` — followers in at least one fan group, ``g#<group>`` — members of a group;
- ``m#<YYYY-MM>`` — current followers by the Asia/Shanghai month they followed;
- ``d#<day>`` — current followers whose last active day is ``day``;
- ``p#<last>#<before>`` — the same followers by last active day and the active day
  before it (``-``: none).

"Active as of the last completed day" needs, for a follower already active today,
the day they were active before today: that is what the ``p#<today>#...`` counters
hold. So a window of completed days counts ``d#<day>`` for its days plus
``p#<today>#<day>`` for its days, whatever the number of followers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.domain import clock

GROUPED = "g"
NO_DAY = "-"
MONTHS_SHOWN = 12


def group_key(group: str) -> str:
    return f"g#{group}"


def month_key(followed_at: datetime) -> str:
    return f"m#{clock.month_of(followed_at)}"


def day_key(day: str) -> str:
    return f"d#{day}"


def pair_key(last: str, before: str | None) -> str:
    return f"p#{last}#{before or NO_DAY}"


def follower_keys(followed_at: datetime, groups: Iterable[str], last: str | None, before: str | None) -> Counter[str]:
    """The counters one follower counts in (each once)."""
    keys: Counter[str] = Counter({month_key(followed_at): 1})
    groups = set(groups)
    keys.update(group_key(g) for g in groups)
    if groups:
        keys[GROUPED] += 1
    if last:
        keys[day_key(last)] += 1
        keys[pair_key(last, before)] += 1
    return keys


def group_deltas(old: Iterable[str], new: Iterable[str]) -> Counter[str]:
    """Counter moves for a follower whose groups change from ``old`` to ``new``."""
    old_set, new_set = set(old), set(new)
    deltas: Counter[str] = Counter()
    for group in new_set - old_set:
        deltas[group_key(group)] += 1
    for group in old_set - new_set:
        deltas[group_key(group)] -= 1
    deltas[GROUPED] += bool(new_set) - bool(old_set)
    return Counter({k: n for k, n in deltas.items() if n})


def advance_activity(last: str | None, before: str | None, day: str) -> tuple[str, str | None]:
    """The follower's (last active day, active day before it) after activity on ``day``.

    Idempotent: activity on a day already known changes nothing, and activity on a day
    older than both is irrelevant to every window that reads them (see module doc).

    Examples
    --------
    >>> advance_activity(None, None, "2026-03-02")
    ('2026-03-02', None)
    >>> advance_activity("2026-03-02", None, "2026-03-05")
    ('2026-03-05', '2026-03-02')
    >>> advance_activity("2026-03-05", "2026-03-02", "2026-03-04")
    ('2026-03-05', '2026-03-04')
    """
    if last is None or day > last:
        return day, last
    if day < last and (before is None or day > before):
        return last, day
    return last, before


def activity_deltas(old: tuple[str | None, str | None], new: tuple[str | None, str | None]) -> Counter[str]:
    """Counter moves for a follower whose (last, before) days change from ``old`` to ``new``."""
    deltas: Counter[str] = Counter()
    for (last, before), sign in ((old, -1), (new, 1)):
        if last:
            deltas[day_key(last)] += sign
            deltas[pair_key(last, before)] += sign
    return Counter({k: n for k, n in deltas.items() if n})


def last_months(today: date, n: int = MONTHS_SHOWN) -> list[str]:
    """The ``n`` months up to ``today``'s, oldest first (``YYYY-MM``)."""
    year, month = today.year, today.month
    months = []
    for _ in range(n):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def distribution(total: int, counts: Mapping[str, int], today: date) -> dict[str, Any]:
    """The ``GET /accounts/{id}/fans`` body from the account's counters on ``today``.

    Examples
    --------
    >>> body = distribution(3, {"g": 1, "g#vip": 1, "m#2026-03": 3, "d#2026-03-09": 1,
    ...                         "p#2026-03-10#2026-02-01": 1}, date(2026, 3, 10))
    >>> body["ungrouped"], body["by_activity"]
    (2, {'active_7d': 1, 'active_30d': 1, 'inactive_30d': 2})
    """
    as_of = today - timedelta(days=1)
    today_pairs = f"p#{today.isoformat()}#"

    def active(days: int) -> int:
        window = {(as_of - timedelta(days=i)).isoformat() for i in range(days)}
        n = sum(counts.get(day_key(d), 0) for d in window)
        return n + sum(v for k, v in counts.items() if k.startswith(today_pairs) and k[len(today_pairs):] in window)

    groups = sorted(((k[2:], v) for k, v in counts.items() if k.startswith("g#") and v > 0),
                    key=lambda gv: (-gv[1], gv[0]))
    active_30d = active(30)
    return {
        "total": total,
        "by_group": [{"group": g, "count": v} for g, v in groups],
        "ungrouped": max(total - counts.get(GROUPED, 0), 0),
        "by_follow_month": [{"month": m, "count": counts.get(f"m#{m}", 0)} for m in last_months(today)],
        "by_activity": {"active_7d": active(7), "active_30d": active_30d,
                        "inactive_30d": max(total - active_30d, 0)},
        "as_of": as_of.isoformat(),
    }
