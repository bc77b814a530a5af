"""Notification lists, group heads, per-(group, actor) markers and per-user settings.

Costs per event, whatever a group's size:

- an ungrouped notification is one conditional PutItem (its id derives from the event,
  so a duplicate fails the condition);
- a grouped event (follow, like, vote) is one conditional marker Put per new actor
  plus one UpdateItem of the group's notification per batch (``ADD count``, the 8
  recent actors), committed in one TransactWriteItems, so a crash never leaves a
  marker whose actor was not counted (or the reverse); starting a new group also
  writes its head once.

No list of actors is ever read or rewritten beyond the 8 recent ones. The unread count
is a COUNT Query of the notifications ordered after the user's read marker, so marking
everything read is one write whatever the count.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain import notifications as rules
from chalicelib.store.base import LocalIndex, TableMeta, applied, transaction_failures
from chalicelib.store.batch import batch_get, batch_write, key_of

# A transaction holds at most 100 items: 99 markers and the group's update.
MARKERS_PER_TRANSACTION = 99
GROUP_ATTEMPTS = 10
# One new notification in this many checks the list's length (see trim()).
TRIM_SAMPLE = 20


class OrderIndex(LocalIndex["NotificationModel"]):
    """One user's notifications, most recently updated first (the list and its cap)."""

    user_id = UnicodeAttribute(hash_key=True)
    order = UnicodeAttribute(range_key=True)


class TypeOrderIndex(LocalIndex["NotificationModel"]):
    """One user's notifications of one type, most recently updated first."""

    user_id = UnicodeAttribute(hash_key=True)
    type_order = UnicodeAttribute(range_key=True)  # "<type>#<order>"


class NotificationModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("notifications")

    user_id = UnicodeAttribute(hash_key=True)
    notification_id = UnicodeAttribute(range_key=True)
    type = UnicodeAttribute()
    order = UnicodeAttribute()  # domain.notifications.order_key(updated_at, notification_id)
    type_order = UnicodeAttribute()
    account_id = UnicodeAttribute(null=True)
    account_name = UnicodeAttribute(null=True)
    post_id = UnicodeAttribute(null=True)
    actors = ListAttribute(of=UnicodeAttribute, null=True)  # most recent first, at most 8
    actor_count = NumberAttribute(default=1, attr_name="count")  # `count` is a Model method
    data = JSONAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute(null=True)  # groups only: optimistic lock of the recent actors
    expires = TTLAttribute(null=True)
    by_order = OrderIndex()
    by_type = TypeOrderIndex()


class GroupHeadModel(Model):
    """The open group of (user, type, account or post): which notification its events join."""

    class Meta(TableMeta):
        table_name = settings.table("notification-groups")

    group_key = UnicodeAttribute(hash_key=True)
    notification_id = UnicodeAttribute()
    first_at = UTCDateTimeAttribute()
    expires = TTLAttribute(null=True)


class ActorMarkerModel(Model):
    """That an actor is counted in a group (``notification_id``): written once per (group, actor)."""

    class Meta(TableMeta):
        table_name = settings.table("notification-actors")

    marker_key = UnicodeAttribute(hash_key=True)  # "<group_key>#<actor>"
    notification_id = UnicodeAttribute()
    expires = TTLAttribute(null=True)


class NotificationSettingsModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("notification-settings")

    user_id = UnicodeAttribute(hash_key=True)
    muted = ListAttribute(of=UnicodeAttribute, null=True)
    read_marker = UnicodeAttribute(null=True)  # every notification ordered at or before it is read


def _expiry(at: datetime) -> datetime:
    return at + rules.TTL


# --- writes ------------------------------------------------------------------------------------

def put_single(item: NotificationModel) -> bool:
    """Store an ungrouped notification; False when that event was stored already."""
    return applied(lambda: item.save(condition=NotificationModel.notification_id.does_not_exist()))


def open_group(group: str, at: datetime) -> tuple[str, datetime, bool]:
    """The group an event at ``at`` joins: (notification id, first event's time, whether it is late).

    A new group starts when there is none or the open one is 12 hours old; heads move
    forward only (compare-and-set on ``first_at``), so concurrent consumers agree. An
    event older than the open group's start (a delayed delivery) joins the open group
    only if its actor was never counted in the group's key (see :func:`add_to_group`).
    """
    for _ in range(GROUP_ATTEMPTS):
        try:
            head = GroupHeadModel.get(group, consistent_read=True)
        except DoesNotExist:
            head = None
        if head is not None and head.first_at <= at < head.first_at + rules.GROUP_WINDOW:
            return head.notification_id, head.first_at, False
        if head is not None and at < head.first_at:
            return head.notification_id, head.first_at, True
        nid = rules.group_id(group, at)
        condition = (GroupHeadModel.group_key.does_not_exist() if head is None
                     else GroupHeadModel.first_at == head.first_at)
        started = GroupHeadModel(group, notification_id=nid, first_at=at, expires=at + rules.GROUP_WINDOW * 2)
        if applied(partial(started.save, condition=condition)):
            return nid, at, False
    raise RuntimeError(f"group head {group} kept changing")


@dataclass(frozen=True)
class GroupAddition:
    """Actors joining one group, most recent first, with what the notification shows."""

    user_id: str
    notification_id: str
    group_key: str
    type: str
    first_at: datetime
    account_id: str | None
    account_name: str | None
    post_id: str | None
    actors: tuple[str, ...]
    late: bool = False


def add_to_group(addition: GroupAddition, now: datetime) -> tuple[int, NotificationModel | None]:
    """Count the actors not yet counted in the group; returns (actors added, the updated notification).

    Markers and the group's update commit together, so a redelivered event (its
    marker exists) adds nothing and a crash leaves nothing half-applied.
    """
    pending = list(dict.fromkeys(addition.actors))
    added = 0
    current: NotificationModel | None = None
    while pending:
        chunk, pending = pending[:MARKERS_PER_TRANSACTION], pending[MARKERS_PER_TRANSACTION:]
        counted, current = _commit_chunk(addition, chunk, now)
        added += counted
    return added, current if added else None


def _commit_chunk(addition: GroupAddition, chunk: list[str], now: datetime) -> tuple[int, NotificationModel | None]:
    nid = addition.notification_id
    for _ in range(GROUP_ATTEMPTS):
        if not chunk:
            return 0, None
        try:
            current: NotificationModel | None = NotificationModel.get(addition.user_id, nid, consistent_read=True)
        except DoesNotExist:
            current = None
        version = int(current.version or 0) if current is not None else 0
        actors: Any = rules.merge_actors([str(a) for a in (current.actors or [] if current is not None else [])], chunk)
        order = rules.order_key(now, nid)
        marker_condition = ActorMarkerModel.marker_key.does_not_exist()
        if not addition.late:
            marker_condition = marker_condition | (ActorMarkerModel.notification_id != nid)
        update_condition = (NotificationModel.version == version if current is not None
                            else NotificationModel.notification_id.does_not_exist())

        def write(tx: TransactWrite, chunk: list[str] = chunk, version: int = version, actors: Any = actors,
                  order: str = order, marker_condition: Any = marker_condition, update_condition: Any = update_condition
                  ) -> None:
            for actor in chunk:
                tx.save(ActorMarkerModel(f"{addition.group_key}#{actor}", notification_id=nid,
                                         expires=addition.first_at + rules.GROUP_WINDOW * 2),
                        condition=marker_condition)
            tx.update(NotificationModel(addition.user_id, nid), actions=[
                NotificationModel.actor_count.add(len(chunk)),
                NotificationModel.version.set(version + 1),
                NotificationModel.actors.set(actors),
                NotificationModel.type.set(addition.type),
                NotificationModel.order.set(order),
                NotificationModel.type_order.set(rules.type_order_key(addition.type, order)),
                NotificationModel.created_at.set(addition.first_at),
                NotificationModel.updated_at.set(now),
                NotificationModel.expires.set(_expiry(now)),
                *([NotificationModel.account_id.set(addition.account_id)] if addition.account_id else []),
                *([NotificationModel.account_name.set(addition.account_name)] if addition.account_name else []),
                *([NotificationModel.post_id.set(addition.post_id)] if addition.post_id else []),
            ], condition=update_condition)

        failed = transaction_failures(NotificationModel, write)
        if failed:
            # Puts (the markers) come before the update in PynamoDB's request; a failed
            # update alone (another consumer moved the version) is read again.
            chunk = [actor for actor, bad in zip(chunk, failed[:len(chunk)], strict=True) if not bad]
            continue
        stored = NotificationModel(addition.user_id, nid, type=addition.type, order=order,
                                   type_order=rules.type_order_key(addition.type, order),
                                   account_id=addition.account_id, account_name=addition.account_name,
                                   post_id=addition.post_id, actors=actors,
                                   actor_count=(int(current.actor_count) if current is not None else 0) + len(chunk),
                                   created_at=addition.first_at, updated_at=now, version=version + 1,
                                   data=current.data if current is not None else None)
        if current is None:
            maybe_trim(addition.user_id, nid)
        return len(chunk), stored
    raise RuntimeError(f"group {addition.group_key} kept changing")


def maybe_trim(user_id: str, notification_id: str) -> None:
    # Sampled by the new id, so a user's list is checked about once per TRIM_SAMPLE new notifications.
    if zlib.crc32(notification_id.encode()) % TRIM_SAMPLE == 0:
        trim(user_id, rules.KEEP_PER_USER)


def trim(user_id: str, keep: int) -> int:
    """Delete all but the ``keep`` most recently updated notifications of a user."""
    old = [key_of(NotificationModel, user_id, n.notification_id) for i, n in enumerate(
        NotificationModel.by_order.query(user_id, scan_index_forward=False)) if i >= keep]
    if old:
        batch_write(NotificationModel, delete_keys=old)
    return len(old)


# --- reads -------------------------------------------------------------------------------------

def get_settings(user_id: str) -> NotificationSettingsModel:
    try:
        return NotificationSettingsModel.get(user_id, consistent_read=True)
    except DoesNotExist:
        return NotificationSettingsModel(user_id)


def settings_of(user_ids: Iterable[str]) -> dict[str, NotificationSettingsModel]:
    users = set(user_ids)
    found = {s.user_id: s for s in batch_get(NotificationSettingsModel,
                                            [key_of(NotificationSettingsModel, u) for u in users])}
    return {u: found.get(u) or NotificationSettingsModel(u) for u in users}


def set_muted(user_id: str, muted: list[str]) -> None:
    NotificationSettingsModel(user_id).update(actions=[NotificationSettingsModel.muted.set(muted)])  # type: ignore[arg-type]


def advance_read_marker(user_id: str, marker: str) -> None:
    """Move the read marker forward to ``marker`` (never back)."""
    applied(lambda: NotificationSettingsModel(user_id).update(
        actions=[NotificationSettingsModel.read_marker.set(marker)],
        condition=NotificationSettingsModel.read_marker.does_not_exist()
        | (NotificationSettingsModel.read_marker < marker)))  # False: it was there already


def get_notification(user_id: str, notification_id: str) -> NotificationModel | None:
    try:
        return NotificationModel.get(user_id, notification_id, consistent_read=True)
    except DoesNotExist:
        return None


def page(user_id: str, type_: str | None, now: datetime, limit: int,
         after: dict[str, Any] | None) -> tuple[list[NotificationModel], dict[str, Any] | None]:
    """Most recently updated first; expired ones (moto keeps them past their TTL) never show."""
    live = NotificationModel.expires.does_not_exist() | (NotificationModel.expires > now)
    if type_:
        of_type = NotificationModel.type_order.startswith(rules.type_order_key(type_, ""))
        results = NotificationModel.by_type.query(user_id, of_type,
                                                  scan_index_forward=False, limit=limit, filter_condition=live,
                                                  last_evaluated_key=after)
    else:
        results = NotificationModel.by_order.query(user_id, scan_index_forward=False, limit=limit,
                                                   filter_condition=live, last_evaluated_key=after)
    items = list(results)
    return items, results.last_evaluated_key


def unread_count(user_id: str, read_marker: str | None, now: datetime) -> int:
    """Exact: every live notification ordered after the read marker (pages through all of them)."""
    live = NotificationModel.expires.does_not_exist() | (NotificationModel.expires > now)
    condition = NotificationModel.order > read_marker if read_marker else None
    return NotificationModel.count(user_id, range_key_condition=condition, filter_condition=live,
                                   index_name=OrderIndex.Meta.index_name, consistent_read=True)
