"""Who follows which account, with fan groups, and the exact follower counter."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain import fans
from chalicelib.domain.errors import NotFound
from chalicelib.store import fan_counts, read_cache
from chalicelib.store.accounts import AccountModel
from chalicelib.store.base import GlobalIndex, TableMeta, flat_key, raw_key, transaction_failures
from chalicelib.store.batch import batch_get, key_of
from chalicelib.store.retry import backoff
from chalicelib.store.roster import FanRosterModel, member, roster_page

# Optimistic changes of one follow (read, then write on the revision read) retry this often.
MAX_ATTEMPTS = 20


class UserIndex(GlobalIndex["FollowModel"]):
    """The accounts one user follows, newest follow first."""

    user_id = UnicodeAttribute(hash_key=True)
    followed_at = UTCDateTimeAttribute(range_key=True)


class FollowModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("follows")

    account_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    followed_at = UTCDateTimeAttribute()
    groups = UnicodeSetAttribute(null=True)
    roster_page = UnicodeAttribute(null=True)  # the fan roster page holding this follower (store.roster)
    # The fan distribution (store.fan_counts): last active days, and a revision every
    # change bumps, so a change is applied only to the state its counter moves were computed from.
    last_active = UnicodeAttribute(null=True)
    active_before = UnicodeAttribute(null=True)
    rev = NumberAttribute(null=True)
    by_user = UserIndex()


def backoff_after_race(attempt: int) -> None:
    """Wait a little before reading a follow again that another writer changed first."""
    backoff(attempt, 0.005, 0.2, time.sleep)


def revision_unchanged(current: FollowModel) -> Condition:
    """The condition that the follow is still the one read as ``current`` (same follow, same revision)."""
    same_rev = FollowModel.rev.does_not_exist() if current.rev is None else FollowModel.rev == current.rev
    return (FollowModel.followed_at == current.followed_at) & same_rev


def follow(account_id: str, user_id: str, at: datetime, follower_count: int | None = None) -> bool:
    """Follow ``account_id``; returns False when the user already followed it.

    The follow item, the counter and the fan roster entry move in one transaction, so
    ``follower_count`` and the roster stay exact under concurrent and repeated follows.
    ``follower_count`` (the account's count before this follow, as the caller read it)
    picks the roster page; it is read here when not given.
    """
    if follower_count is None:
        follower_count = _follower_count(account_id)
    page = roster_page(user_id, follower_count)
    def write(tx: TransactWrite) -> None:
        tx.save(FollowModel(account_id, user_id, followed_at=at, roster_page=page),
                condition=FollowModel.user_id.does_not_exist())
        tx.update(AccountModel(account_id), actions=[AccountModel.follower_count.add(1)],
                  condition=AccountModel.account_id.exists())
        tx.update(FanRosterModel(account_id, page), actions=[FanRosterModel.members.add({member(user_id, at)})])
        fan_counts.add_moves(tx, account_id, fans.follower_keys(at, (), None, None))

    failed = transaction_failures(FollowModel, write)  # [follow, account, roster, fan counters...]
    read_cache.forget_follow(account_id, user_id)
    if len(failed) >= 2 and failed[1]:
        raise NotFound(f"account {account_id} not found")
    return not failed  # the follow existed


def unfollow(account_id: str, user_id: str) -> bool:
    """Stop following; returns False when the user did not follow the account.

    The follow item is read first to find its roster entry and its fan distribution
    counters; the delete is conditional on that same follow and revision (a concurrent
    unfollow and re-follow, a group change or new activity makes it read again).
    """
    for attempt in range(MAX_ATTEMPTS):
        try:
            current = FollowModel.get(account_id, user_id, consistent_read=True)
        except FollowModel.DoesNotExist:
            return False

        def write(tx: TransactWrite, current: FollowModel = current) -> None:
            tx.delete(current, condition=revision_unchanged(current))
            tx.update(AccountModel(account_id), actions=[AccountModel.follower_count.add(-1)],
                      condition=AccountModel.account_id.exists())
            if current.roster_page:
                tx.update(FanRosterModel(account_id, current.roster_page),
                          actions=[FanRosterModel.members.delete({member(user_id, current.followed_at)})])
            keys = fans.follower_keys(current.followed_at, current.groups or (), current.last_active,
                                      current.active_before)
            fan_counts.add_moves(tx, account_id, Counter({key: -n for key, n in keys.items()}))

        failed = transaction_failures(FollowModel, write)  # [follow, account, roster?, fan counters...]
        read_cache.forget_follow(account_id, user_id)
        if len(failed) >= 2 and failed[1]:
            return False
        if failed:
            backoff_after_race(attempt)
            continue  # changed, or unfollowed (and maybe followed again) meanwhile: look again
        return True
    return False


def record_active_days(fan_days: Iterable[tuple[str, str, str]]) -> int:
    """Move followers' last-active days for ``(account_id, day, user_id)`` facts; returns the follows moved.

    Idempotent (a fact already applied moves nothing) and exact under concurrent
    unfollows and group changes: each move is conditional on the follow's revision.
    """
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
                fan_counts.add_moves(tx, account_id, fans.activity_deltas(old, moves))

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



def add_to_group(account_id: str, user_id: str, group: str) -> None:
    """Put a follower into a fan group (404 when the user does not follow the account)."""
    _change_group(account_id, user_id, group, joining=True)


def remove_from_group(account_id: str, user_id: str, group: str) -> None:
    """Take a follower out of a fan group; idempotent."""
    _change_group(account_id, user_id, group, joining=False)


def _change_group(account_id: str, user_id: str, group: str, joining: bool) -> None:
    # Read, then write conditional on the revision read: the group counters move
    # exactly once per real change, even under concurrent changes of the same follower.
    for attempt in range(MAX_ATTEMPTS):
        try:
            current = FollowModel.get(account_id, user_id, consistent_read=True)
        except FollowModel.DoesNotExist:
            raise NotFound(f"user {user_id} does not follow account {account_id}") from None
        old = set(current.groups or ())
        if (group in old) == joining:
            return
        new = old | {group} if joining else old - {group}
        change = FollowModel.groups.add({group}) if joining else FollowModel.groups.delete({group})
        deltas = fans.group_deltas(old, new)

        def write(tx: TransactWrite, current: FollowModel = current, change: Action = change,
                  deltas: Counter[str] = deltas) -> None:
            tx.update(FollowModel(account_id, user_id), actions=[change, FollowModel.rev.add(1)],
                      condition=revision_unchanged(current))
            fan_counts.add_moves(tx, account_id, deltas)

        failed = transaction_failures(FollowModel, write)
        read_cache.forget_follow(account_id, user_id)
        if not failed:
            return
        backoff_after_race(attempt)
    raise RuntimeError(f"follow {account_id}/{user_id} kept changing; retry")


def followers_page(account_id: str, limit: int, after: dict[str, str] | None,
                   groups: Iterable[str] = ()) -> tuple[list[FollowModel], dict[str, str] | None]:
    """One page of an account's followers (optionally only members of ``groups``)."""
    condition = None
    for group in groups:
        clause = FollowModel.groups.contains(group)
        condition = clause if condition is None else condition | clause
    results = FollowModel.query(account_id, filter_condition=condition, limit=limit,
                                last_evaluated_key=raw_key(after))
    items = list(results)
    return items, flat_key(results.last_evaluated_key)


def following_page(user_id: str, limit: int, after: dict[str, str] | None
                   ) -> tuple[list[FollowModel], dict[str, str] | None]:
    """Accounts a user follows, newest follow first."""
    results = FollowModel.by_user.query(user_id, scan_index_forward=False, limit=limit,
                                        last_evaluated_key=raw_key(after))
    items = list(results)
    return items, flat_key(results.last_evaluated_key)


def _follower_count(account_id: str) -> int:
    try:
        return int(AccountModel.get(account_id, consistent_read=True).follower_count)
    except AccountModel.DoesNotExist:
        raise NotFound(f"account {account_id} not found") from None


def follows_by(account_id: str, user_ids: Iterable[str]) -> list[FollowModel]:
    """The follow items of those of ``user_ids`` who follow the account (one BatchGetItem per 100)."""
    return batch_get(FollowModel, [key_of(FollowModel, account_id, u) for u in user_ids])


def groups_of(account_id: str, user_id: str) -> set[str] | None:
    """The user's fan groups in the account (empty when in none); None when not a follower."""
    try:
        return set(FollowModel.get(account_id, user_id).groups or ())
    except FollowModel.DoesNotExist:
        return None
