"""Fan distribution counters (粉丝分布), moved in the same transactions as the follower changes.

One item per (account, counter key) of :mod:`chalicelib.domain.fans`. ``store.follows``
adds :func:`add_moves` to its follow, unfollow, group and last-active transactions.
Reading the distribution is a handful of key-range Queries on the account's counters,
however many followers it has.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain import fans
from chalicelib.store.base import TableMeta

# Day counters are read for 30 days back; they expire after that (a later decrement of an
# expired one makes a negative item nobody reads, which expires again).
DAY_COUNTER_TTL_DAYS = 40


class FanCountModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("fan-counts")

    account_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)  # see chalicelib.domain.fans
    value = NumberAttribute(default=0)
    expires = TTLAttribute(null=True)


def _expiry(key: str) -> datetime | None:
    if not key.startswith(("d#", "p#")):
        return None
    day = date.fromisoformat(key[2:12])
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=DAY_COUNTER_TTL_DAYS)


def add_moves(tx: TransactWrite, account_id: str, deltas: Counter[str]) -> None:
    """Add the counter moves ``deltas`` to a transaction (one update per counter)."""
    for key, n in sorted(deltas.items()):
        if not n:
            continue
        actions: list[Any] = [FanCountModel.value.add(n)]
        expires = _expiry(key)
        if expires is not None:
            actions.append(FanCountModel.expires.set(expires))
        tx.update(FanCountModel(account_id, key), actions=actions)


def counters(account_id: str, today: date) -> dict[str, int]:
    """The counters :func:`chalicelib.domain.fans.distribution` reads: four Queries."""
    as_of = today - timedelta(days=1)
    months = fans.last_months(today)
    ranges: list[Condition] = [
        FanCountModel.key.startswith(fans.GROUPED),
        FanCountModel.key.between(f"m#{months[0]}", f"m#{months[-1]}"),
        FanCountModel.key.between(fans.day_key((as_of - timedelta(days=29)).isoformat()),
                                  fans.day_key(as_of.isoformat())),
        FanCountModel.key.startswith(f"p#{today.isoformat()}#"),
    ]
    found: dict[str, int] = {}
    for condition in ranges:
        for item in FanCountModel.query(account_id, condition, consistent_read=True):
            found[item.key] = int(item.value)
    return found
