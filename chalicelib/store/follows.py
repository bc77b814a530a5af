"""Who follows which account, with fan groups, and the exact follower counter."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain.errors import NotFound
from chalicelib.store.accounts import AccountModel
from chalicelib.store.base import TableMeta, conditions_failed, flat_key, raw_key
from chalicelib.store.batch import batch_get, key_of


class UserIndex(GlobalSecondaryIndex["FollowModel"]):
    class Meta:
        index_name = "by_user"
        projection = AllProjection()

    user_id = UnicodeAttribute(hash_key=True)
    followed_at = UTCDateTimeAttribute(range_key=True)


class FollowModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("follows")

    account_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    followed_at = UTCDateTimeAttribute()
    groups = UnicodeSetAttribute(null=True)
    by_user = UserIndex()


def follow(account_id: str, user_id: str, at: datetime) -> bool:
    """Follow ``account_id``; returns False when the user already followed it.

    The follow item and the counter move in one transaction, so ``follower_count``
    stays exact under concurrent and repeated follows.
    """
    try:
        with TransactWrite(connection=FollowModel._get_connection().connection) as tx:
            tx.save(FollowModel(account_id, user_id, followed_at=at),
                    condition=FollowModel.user_id.does_not_exist())
            tx.update(AccountModel(account_id), actions=[AccountModel.follower_count.add(1)],
                      condition=AccountModel.account_id.exists())
    except TransactWriteError as error:
        failed = conditions_failed(error)
        if len(failed) == 2 and failed[1]:
            raise NotFound(f"account {account_id} not found") from None
        if failed and failed[0]:
            return False
        raise
    return True


def unfollow(account_id: str, user_id: str) -> bool:
    """Stop following; returns False when the user did not follow the account."""
    try:
        with TransactWrite(connection=FollowModel._get_connection().connection) as tx:
            tx.delete(FollowModel(account_id, user_id), condition=FollowModel.user_id.exists())
            tx.update(AccountModel(account_id), actions=[AccountModel.follower_count.add(-1)],
                      condition=AccountModel.account_id.exists())
    except TransactWriteError as error:
        if any(conditions_failed(error)):
            return False
        raise
    return True


def add_to_group(account_id: str, user_id: str, group: str) -> FollowModel:
    """Put a follower into a fan group (404 when the user does not follow the account)."""
    item = FollowModel(account_id, user_id)
    try:
        item.update(actions=[FollowModel.groups.add({group})], condition=FollowModel.user_id.exists())
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound(f"user {user_id} does not follow account {account_id}") from None
        raise
    return item


def remove_from_group(account_id: str, user_id: str, group: str) -> None:
    """Take a follower out of a fan group; idempotent."""
    try:
        FollowModel(account_id, user_id).update(actions=[FollowModel.groups.delete({group})],
                                                condition=FollowModel.user_id.exists())
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound(f"user {user_id} does not follow account {account_id}") from None
        raise


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


def followed_accounts(user_id: str, account_ids: Iterable[str]) -> set[str]:
    """Which of ``account_ids`` the user follows (one BatchGetItem per 100 ids)."""
    keys = [key_of(FollowModel, a, user_id) for a in set(account_ids)]
    return {f.account_id for f in batch_get(FollowModel, keys)}
