"""Activity tracking: per-account daily counters and which fans were active on which day.

Both feed the owner stats and the monthly grading:

- :class:`AccountDayModel` — one item per (account, Asia/Shanghai day) with counters
  (impressions, reads, likes, ...) and a 24-bucket histogram of fan activity by hour.
- :class:`FanDayModel` — one item per (account, day, fan) that was active with the
  account's content that day. Its key is the whole fact, so recording is an
  idempotent put (batchable, safe to redeliver). "Active fans in 30 days" and the
  7-day revisit rate are a key-range Query over the account's last days.

The request paths do not write these tables directly: they send one message per
request (a feed page, a read, a like) to the activity queue, and the activity
consumer applies it (:func:`apply_units`): each unit of a message's counter writes in
one transaction with its :class:`AppliedActivityModel` marker, so a redelivered batch
adds nothing twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.activity import ActivityUnit, WriteKey, merge_writes, transaction_groups
from chalicelib.store.base import TableMeta, applied, transact, transaction_failures
from chalicelib.store.batch import batch_get, batch_write, key_of
from chalicelib.store.follows import FollowModel
from chalicelib.store.idempotency import claim_once
from chalicelib.store.posts import PostModel

COUNTERS = ("impressions", "reads", "likes", "comments", "votes", "buyer_shows", "new_followers",
            "lost_followers", "posts", "system_posts")
# Kinds of activity that make a follower an "active fan" of the account that day.
FAN_ACTIVITY = {"impressions", "reads", "likes", "comments", "votes", "buyer_shows"}
# A month's grading reads the 30 days before its 1st; a missed run must stay runnable for
# at least 45 days after that 1st (MISSED_RUN_GRACE_DAYS), so facts are kept 30 + 45 days
# and a few more for time zones and a run that starts at the end of its grace.
MISSED_RUN_GRACE_DAYS = 45
FAN_DAY_TTL_DAYS = 30 + MISSED_RUN_GRACE_DAYS + 5
# Markers outlive every redelivery: SQS keeps a message at most 14 days.
APPLIED_TTL_DAYS = 15


class AccountDayModel(Model):
    """Counters of one account on one Asia/Shanghai day (ADD-updated, exact under concurrency)."""

    class Meta(TableMeta):
        table_name = settings.table("account-days")

    account_id = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)  # YYYY-MM-DD, Asia/Shanghai
    impressions = NumberAttribute(default=0)
    reads = NumberAttribute(default=0)
    likes = NumberAttribute(default=0)
    comments = NumberAttribute(default=0)
    votes = NumberAttribute(default=0)
    buyer_shows = NumberAttribute(default=0)
    new_followers = NumberAttribute(default=0)
    lost_followers = NumberAttribute(default=0)
    posts = NumberAttribute(default=0)  # manual posts published that day (system posts excluded)
    system_posts = NumberAttribute(default=0)
    # The fan buyer show pushed to followers that day on top of the quota (one a day).
    featured_push = UnicodeAttribute(null=True)
    # Auto 上新 listing events dropped that day (services/new_products.py): a product reported
    # again within 30 days, or the account's switch off. Not part of the owner's stats rows.
    listings_duplicate = NumberAttribute(null=True)
    listings_opted_out = NumberAttribute(null=True)


class FanDayModel(Model):
    """One fan active with one account's content on one day (idempotent put)."""

    class Meta(TableMeta):
        table_name = settings.table("fan-days")

    account_id = UnicodeAttribute(hash_key=True)
    day_user = UnicodeAttribute(range_key=True)  # "<YYYY-MM-DD>#<user_id>"
    expires = TTLAttribute(null=True)


class AccountHourModel(Model):
    """Fan activity of one account in one Asia/Shanghai hour (the "when are my fans active" histogram)."""

    class Meta(TableMeta):
        table_name = settings.table("account-hours")

    account_id = UnicodeAttribute(hash_key=True)
    day_hour = UnicodeAttribute(range_key=True)  # "<YYYY-MM-DD>#<HH>"
    active = NumberAttribute(default=0)
    expires = TTLAttribute(null=True)


class AppliedActivityModel(Model):
    """A unit of an activity message whose counter writes are applied (written in their transaction)."""

    class Meta(TableMeta):
        table_name = settings.table("activity-applied")

    unit_id = UnicodeAttribute(hash_key=True)  # "<message id>#<n>"
    expires = TTLAttribute(null=True)


def _expiry(day: str, days: int = FAN_DAY_TTL_DAYS) -> datetime:
    start = date.fromisoformat(day)
    return datetime(start.year, start.month, start.day, tzinfo=UTC) + timedelta(days=days)


def _additions(model: type[Model], counters: dict[str, int]) -> list[Action]:
    """``ADD`` of each counter to the number attribute of its name, in name order."""
    return [getattr(model, name).add(n) for name, n in sorted(counters.items())]


def add_day_counters(account_id: str, day: str, counters: dict[str, int]) -> None:
    """ADD ``counters`` to one account-day item (created on first use; exact under concurrency)."""
    AccountDayModel(account_id, day).update(actions=_additions(AccountDayModel, counters))


def add_day_counters_once(account_id: str, day: str, counters: dict[str, int], once: str, at: datetime) -> bool:
    """:func:`add_day_counters` unless the once-marker ``once`` was claimed before; False then."""
    def write(tx: TransactWrite) -> None:
        tx.update(AccountDayModel(account_id, day), actions=_additions(AccountDayModel, counters))
        claim_once(tx, once, at)
    return transact(AccountDayModel, write)


def apply_units(units: list[ActivityUnit], fan_days: set[tuple[str, str, str]]) -> dict[str, int]:
    """Apply counter units exactly once, packed into transactions; then the fan-day facts.

    Each transaction writes its units' markers (conditional on absence) and their
    merged counter updates, all or nothing. A unit already applied (a redelivery) fails
    its marker's condition: the transaction is retried without it. A post counter of a
    post that is gone is dropped. FanDay puts are idempotent and need no marker.
    """
    applied = skipped = transactions = 0
    for group in transaction_groups(units):
        done, calls = _apply_group(group)
        applied += done
        skipped += len(group) - done
        transactions += calls
    items = [FanDayModel(account_id, f"{day}#{user_id}", expires=_expiry(day))
             for account_id, day, user_id in sorted(fan_days)]
    if items:
        batch_write(FanDayModel, items)
    return {"units": applied, "already_applied": skipped, "transactions": transactions, "fan_days": len(items)}


def _apply_group(group: list[ActivityUnit]) -> tuple[int, int]:
    """One transaction for ``group`` (retried without what its conditions refused): (units applied, calls)."""
    pending = list(group)
    gone_posts: set[str] = set()
    expires = clock.now() + timedelta(days=APPLIED_TTL_DAYS)
    calls = 0
    while pending:
        writes = {k: v for k, v in sorted(merge_writes(pending).items()) if not (k[0] == "post" and k[1] in gone_posts)}
        calls += 1

        def write(tx: TransactWrite, pending: list[ActivityUnit] = pending,
                  writes: dict[WriteKey, dict[str, int]] = writes) -> None:
            for unit in pending:
                tx.save(AppliedActivityModel(unit.unit_id, expires=expires),
                        condition=AppliedActivityModel.unit_id.does_not_exist())
            for key, counters in writes.items():
                _add_update(tx, key, counters)

        # A throttle (or conflicts past the retries) raises: the batch is redelivered, nothing applied.
        failed = transaction_failures(AccountDayModel, write)
        if not failed:
            return len(pending), calls
        # Reasons come back puts first (the markers), then the updates in order.
        marker_failed, update_failed = failed[:len(pending)], failed[len(pending):]
        gone_posts |= {key[1] for key, bad in zip(writes, update_failed, strict=False) if bad and key[0] == "post"}
        pending = [unit for unit, bad in zip(pending, marker_failed, strict=True) if not bad]
    return 0, calls


def _add_update(tx: TransactWrite, key: WriteKey, counters: dict[str, int]) -> None:
    if key[0] == "day":
        tx.update(AccountDayModel(key[1], key[2]), actions=_additions(AccountDayModel, counters))
    elif key[0] == "hour":
        tx.update(AccountHourModel(key[1], key[2]),
                  actions=[AccountHourModel.active.add(counters["active"]),
                           AccountHourModel.expires.set(_expiry(key[2][:10]))])
    else:
        tx.update(PostModel(key[1]), actions=_additions(PostModel, counters), condition=PostModel.post_id.exists())


def followers_among(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (account_id, user_id) pairs are follows (BatchGetItem, 100 keys a call)."""
    if not pairs:
        return set()
    found = batch_get(FollowModel, [key_of(FollowModel, a, u) for a, u in sorted(pairs)])
    return {(f.account_id, f.user_id) for f in found}


def claim_featured_push(account_id: str, day: str, post_id: str) -> bool:
    """Take the account's one featured-buyer-show push of ``day`` for ``post_id``.

    True when the slot is (already) this post's, False when another post took it.
    """
    return applied(lambda: AccountDayModel(account_id, day).update(
        actions=[AccountDayModel.featured_push.set(post_id)],
        condition=AccountDayModel.featured_push.does_not_exist() | (AccountDayModel.featured_push == post_id)))


def day_items(account_id: str, first: str, last: str) -> dict[str, AccountDayModel]:
    """The account's day items from ``first`` to ``last`` (inclusive), by day; missing days are absent."""
    return {item.day: item for item in AccountDayModel.query(account_id, AccountDayModel.day.between(first, last))}


def day_item(account_id: str, day: str) -> AccountDayModel | None:
    try:
        return AccountDayModel.get(account_id, day)
    except AccountDayModel.DoesNotExist:
        return None


def hour_histogram(account_id: str, first: str, last: str) -> list[int]:
    """Fan activity per hour of day (0-23, Asia/Shanghai) summed over ``first``..``last``."""
    histogram = [0] * 24
    for item in AccountHourModel.query(account_id, AccountHourModel.day_hour.between(f"{first}#00", f"{last}#23")):
        histogram[int(item.day_hour[-2:])] += int(item.active)
    return histogram
