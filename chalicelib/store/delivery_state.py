"""Hybrid fan-out state: how each account is delivered, and which accounts each fan pulls.

- :class:`DeliveryModeModel` — one item per account that ever left plain fan-out on
  write: its mode (push, to_pull, pull, to_push), a generation bumped at every switch
  (a job of an older generation stops), and the bound of its last pull period.
- :class:`PulledAccountModel` — one item per (fan, pulled account): the feed key
  window the fan's feed pulls from that account (from the follow time, up to the end
  of the pull period or open). Listing a fan's pulled accounts is one Query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.domain.delivery_modes import PUSH
from chalicelib.store import read_cache
from chalicelib.store.accounts import AccountModel
from chalicelib.store.base import TableMeta, applied
from chalicelib.store.batch import batch_get, batch_write, key_of
from chalicelib.store.follows import FollowModel


class DeliveryModeModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("delivery-modes")

    account_id = UnicodeAttribute(hash_key=True)
    mode = UnicodeAttribute(default=PUSH)
    generation = NumberAttribute(default=0)
    pull_until = UnicodeAttribute(null=True)  # feed-key bound (exclusive) of the last pull period
    changed_at = UTCDateTimeAttribute(null=True)


class PulledAccountModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("pulled-accounts")

    user_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(range_key=True)
    since = UnicodeAttribute()  # inclusive lower feed-key bound: the follow time
    until = UnicodeAttribute(null=True)  # exclusive upper bound; absent while the account is pulled


@dataclass(frozen=True)
class DeliveryMode:
    account_id: str
    mode: str
    generation: int
    pull_until: str | None = None
    changed_at: datetime | None = None


def delivery_mode(account_id: str) -> DeliveryMode:
    """The account's delivery mode (strongly consistent; no item means plain push)."""
    try:
        item = DeliveryModeModel.get(account_id, consistent_read=True)
    except DeliveryModeModel.DoesNotExist:
        return DeliveryMode(account_id, PUSH, 0)
    return DeliveryMode(account_id, item.mode, int(item.generation), item.pull_until, item.changed_at)


def switch_mode(current: DeliveryMode, to_mode: str, at: datetime, pull_until: str | None = None) -> bool:
    """Move to ``to_mode`` with the next generation if nobody switched since ``current``.

    Returns False when the condition failed (another switch won, or this very write
    landed but its answer was lost: callers read the mode again to tell).
    """
    item = DeliveryModeModel(current.account_id)
    actions: list[Action] = [DeliveryModeModel.mode.set(to_mode),
                             DeliveryModeModel.generation.set(current.generation + 1),
                             DeliveryModeModel.changed_at.set(at)]
    if pull_until is not None:
        actions.append(DeliveryModeModel.pull_until.set(pull_until))
    condition = (DeliveryModeModel.generation.does_not_exist() if current.generation == 0
                 else DeliveryModeModel.generation == current.generation)
    return applied(lambda: item.update(actions=actions, condition=condition))


def finish_switch(account_id: str, generation: int, from_mode: str, to_mode: str, at: datetime) -> bool:
    """End a switch (to_pull → pull, to_push → push) if it is still the current one."""
    return applied(lambda: DeliveryModeModel(account_id).update(
        actions=[DeliveryModeModel.mode.set(to_mode), DeliveryModeModel.changed_at.set(at)],
        condition=(DeliveryModeModel.generation == generation) & (DeliveryModeModel.mode == from_mode)))


def follower_count(account_id: str) -> int:
    """The account's exact follower count (strongly consistent read); 0 if it is gone."""
    try:
        return int(AccountModel.get(account_id, consistent_read=True,
                                    attributes_to_get=["account_id", "follower_count"]).follower_count)
    except AccountModel.DoesNotExist:
        return 0


def pulled_accounts(user_id: str) -> list[PulledAccountModel]:
    """Every account the user's feed pulls from (one Query)."""
    return list(PulledAccountModel.query(user_id))


def put_pulled(items: list[PulledAccountModel]) -> int:
    """Write pull windows in batches of 25 (idempotent puts); returns the calls made."""
    read_cache.PULL_WINDOWS.drop(*{item.user_id for item in items})
    return batch_write(PulledAccountModel, items) if items else 0


def remove_pulled(user_id: str, account_ids: list[str]) -> int:
    """Forget pull windows (unfollow, or met stale in a feed)."""
    if not account_ids:
        return 0
    read_cache.PULL_WINDOWS.drop(user_id)
    return batch_write(PulledAccountModel, delete_keys=[key_of(PulledAccountModel, user_id, a) for a in account_ids])


def follows_of(user_id: str, account_ids: set[str]) -> dict[str, FollowModel]:
    """The user's follow items for ``account_ids`` (one BatchGetItem per 100)."""
    return {f.account_id: f for f in batch_get(FollowModel, [key_of(FollowModel, a, user_id) for a in account_ids])}
