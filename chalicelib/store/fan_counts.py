"""Fan distribution counters (粉丝分布), moved in the same transactions as the follower changes.

One item per (account, counter key) of :mod:`chalicelib.domain.fans`. ``store.follows``
adds :func:`add_moves` to its follow, unfollow and group transactions; the activity
consumer calls :func:`record_active_days`. Reading the distribution is a handful of
key-range Queries on the account's counters, however many followers it has.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain import fans
from chalicelib.store.base import TableMeta, transaction_failures
from chalicelib.store.batch import batch_get, key_of
from chalicelib.store.retry import backoff

# Day counters are read for 30 days back; they expire after that (a later decrement of an
# expired one makes a negative item nobody reads, which expires again).
DAY_COUNTER_TTL_DAYS = 40
MAX_ATTEMPTS = 20


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


def backoff_after_race(attempt: int) -> None:
    """Wait a little before reading a follow again that another writer changed first."""
    backoff(attempt, 0.005, 0.2, time.sleep)


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


def record_active_days(fan_days: Iterable[tuple[str, str, str]]) -> int:
    """Move followers' last-active days for ``(account_id, day, user_id)`` facts; returns the follows moved.

    Idempotent (a fact already applied moves nothing) and exact under concurrent
    unfollows and group changes: each move is conditional on the follow's revision.
    """
    from chalicelib.store.follows import FollowModel, revision_unchanged

    days: dict[tuple[str, str], set[str]] = defaultdict(set)
    for account_id, day, user_id in fan_days:
        days[(account_id, user_id)].add(day)
    if not days:
        return 0
    current = {(f.account_id, f.user_id): f
               for f in batch_get(FollowModel, [key_of(FollowModel, a, u) for a, u in sorted(days)])}
    moved = 0
    for (account_id, user_id), active_days in sorted(days.items()):
        follow = current.get((account_id, user_id))
        for attempt in range(MAX_ATTEMPTS):
            if follow is None:
                break  # not (or no longer) a follower
            old = (follow.last_active, follow.active_before)
            last: str | None = follow.last_active
            before: str | None = follow.active_before
            for day in sorted(active_days):
                last, before = fans.advance_activity(last, before, day)
            if (last, before) == old or last is None:
                break

            def write(tx: TransactWrite, account_id: str = account_id, user_id: str = user_id,
                      follow: FollowModel = follow, moves: tuple[str, str | None] = (last, before),
                      old: tuple[str | None, str | None] = old) -> None:
                last, before = moves
                tx.update(FollowModel(account_id, user_id),
                          actions=[FollowModel.last_active.set(last),
                                   FollowModel.active_before.set(before) if before
                                   else FollowModel.active_before.remove(),
                                   FollowModel.rev.add(1)],
                          condition=revision_unchanged(follow))
                add_moves(tx, account_id, fans.activity_deltas(old, moves))

            if not transaction_failures(FollowModel, write):
                moved += 1
                break
            backoff_after_race(attempt)  # the follow changed meanwhile: read it again
            try:
                follow = FollowModel.get(account_id, user_id, consistent_read=True)
            except FollowModel.DoesNotExist:
                follow = None
        else:
            raise RuntimeError(f"follow {account_id}/{user_id} kept changing; the batch will be retried")
    return moved
