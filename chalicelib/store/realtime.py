"""Realtime state: one-time tickets, connections, presence, per-user event logs, post subscriptions.

- A ticket is read, then deleted on the condition that it still exists: of two
  handshakes racing with one ticket, only one delete succeeds.
- A user's *presence* lists their open connections and says until when events are
  logged for them (``active_until``: connected, or long-polling, or away for less
  than the resume grace). Presence items carry a shard, so the users present can be
  listed shard by shard (the connections side) without walking an account's followers.
- The event log keeps each present user's frames under increasing ids from an atomic
  counter (item ``event_id = 0``); ``log_from`` is where the log restarted after the
  user was away, so a resume from before it cannot be answered and gets ``resync``.

moto keeps items past their TTL: every read checks the expiry itself.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.domain.activity import MAX_TRANSACTION_ACTIONS
from chalicelib.domain.clock import epoch_millis
from chalicelib.store.base import GlobalIndex, TableMeta, applied, transaction_failures
from chalicelib.store.batch import batch_get, batch_write, key_of

TICKET_TTL = timedelta(seconds=60)
# API Gateway closes a WebSocket after 2 hours; a connection item outlives that a little.
CONNECTION_TTL = timedelta(hours=2, minutes=10)
EVENT_TTL = timedelta(days=1)
PRESENCE_SHARDS = 16
SEQUENCE_ROW = 0


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


class TicketModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("ws-tickets")

    ticket = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    expires = TTLAttribute()


class ConnectionModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("ws-connections")

    connection_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute()
    connected_at = UTCDateTimeAttribute()
    subscriptions = ListAttribute(of=UnicodeAttribute, null=True)  # post ids
    expires = TTLAttribute()


class PresenceShardIndex(GlobalIndex["PresenceModel"], projection=KeysOnlyProjection()):
    shard = NumberAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)


class PresenceModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("ws-presence")

    user_id = UnicodeAttribute(hash_key=True)
    shard = NumberAttribute()
    connections = MapAttribute[str, Any](null=True)  # connection id -> connected at (epoch ms)
    active_until = NumberAttribute(default=0)  # epoch seconds
    log_from = NumberAttribute(default=0)  # the first event id logged since the user came back
    expires = TTLAttribute(null=True)
    by_shard = PresenceShardIndex()


class EventLogModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("ws-events")

    user_id = UnicodeAttribute(hash_key=True)
    event_id = NumberAttribute(range_key=True)
    frame = UnicodeAttribute(null=True)  # the JSON text pushed
    seq = NumberAttribute(null=True)  # on the sequence row only
    expires = TTLAttribute(null=True)


class SubscriptionModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("ws-subscriptions")

    post_id = UnicodeAttribute(hash_key=True)
    connection_id = UnicodeAttribute(range_key=True)
    user_id = UnicodeAttribute()
    expires = TTLAttribute()


class CounterPushModel(Model):
    """A ``post.counters`` push is due for the post (coalesces its changes to one frame a second)."""

    class Meta(TableMeta):
        table_name = settings.table("ws-counter-pushes")

    post_id = UnicodeAttribute(hash_key=True)
    due = NumberAttribute()  # epoch seconds
    expires = TTLAttribute()


# --- tickets -------------------------------------------------------------------------------------

def put_ticket(ticket: str, user_id: str, now: datetime) -> datetime:
    expires = now + TICKET_TTL
    TicketModel(ticket, user_id=user_id, expires=expires).save()
    return expires


def redeem_ticket(ticket: str, now: datetime) -> str | None:
    """The ticket's user if it exists and has not expired; it never works again."""
    try:
        item = TicketModel.get(ticket, consistent_read=True)
    except DoesNotExist:
        return None
    if not applied(lambda: item.delete(condition=TicketModel.ticket.exists())):
        return None  # another handshake used it first
    return item.user_id if item.expires > now else None


# --- connections and presence --------------------------------------------------------------------

def shard_of(user_id: str) -> int:
    return zlib.crc32(user_id.encode()) % PRESENCE_SHARDS


def connect(connection_id: str, user_id: str, now: datetime, grace: timedelta) -> dict[str, int]:
    """Record a connection and the user's presence; returns the user's open connections (id -> ms)."""
    ConnectionModel(connection_id, user_id=user_id, connected_at=now, expires=now + CONNECTION_TTL).save()
    old = touch_presence(user_id, now, grace, add_connection=(connection_id, epoch_millis(now)))
    return dict(old)


def touch_presence(user_id: str, now: datetime, grace: timedelta,
                   add_connection: tuple[str, int] | None = None) -> dict[str, int]:
    """Keep logging events for the user until ``now + grace``; returns their connections.

    When the user was away (not present), the log restarts after the current sequence:
    a resume from before that point must resync.
    """
    until = _epoch(now + grace)
    actions: list[Any] = [PresenceModel.active_until.set(until), PresenceModel.shard.set(shard_of(user_id)),
               PresenceModel.expires.set(now + grace + CONNECTION_TTL)]
    if add_connection is not None:
        actions.append(PresenceModel.connections[add_connection[0]].set(add_connection[1]))
    item = PresenceModel(user_id)
    if not applied(lambda: item.update(actions=actions, condition=PresenceModel.active_until >= _epoch(now))):
        # Away (or never here): the log restarts after the current sequence number.
        restart = current_sequence(user_id) + 1
        fresh = {add_connection[0]: add_connection[1]} if add_connection else {}
        item = PresenceModel(user_id)
        item.update(actions=[*actions[:3], PresenceModel.log_from.set(restart),
                             PresenceModel.connections.set(fresh)])
    return connections_of(item)


def connections_of(presence: PresenceModel) -> dict[str, int]:
    """A user's open connections: id -> connected at (epoch ms)."""
    raw = presence.connections.as_dict() if presence.connections is not None else {}
    return {k: int(v) for k, v in raw.items()}


def disconnect(connection_id: str) -> str | None:
    """Forget a connection (idempotent); returns its user, if it was known."""
    try:
        item = ConnectionModel.get(connection_id, consistent_read=True)
    except DoesNotExist:
        return None
    item.delete()
    applied(lambda: PresenceModel(item.user_id).update(actions=[PresenceModel.connections[connection_id].remove()],
                                                       condition=PresenceModel.user_id.exists()))
    if item.subscriptions:
        batch_write(SubscriptionModel, delete_keys=[key_of(SubscriptionModel, p, connection_id)
                                                    for p in item.subscriptions])
    return item.user_id


def get_connection(connection_id: str, now: datetime) -> ConnectionModel | None:
    try:
        item = ConnectionModel.get(connection_id, consistent_read=True)
    except DoesNotExist:
        return None
    return item if item.expires > now else None


def present(user_ids: Iterable[str], now: datetime) -> dict[str, PresenceModel]:
    """The users whose events are logged now (BatchGetItem, 100 keys a call)."""
    items = batch_get(PresenceModel, [key_of(PresenceModel, u) for u in set(user_ids)])
    return {p.user_id: p for p in items if int(p.active_until) >= _epoch(now)}


def present_users(now: datetime) -> Iterable[list[str]]:
    """Pages of user ids with a presence item, shard by shard (the connections side)."""
    for shard in range(PRESENCE_SHARDS):
        page: list[str] = []
        for item in PresenceModel.by_shard.query(shard):
            page.append(item.user_id)
            if len(page) == 100:
                yield page
                page = []
        if page:
            yield page


def presence_of(user_id: str) -> PresenceModel | None:
    try:
        return PresenceModel.get(user_id, consistent_read=True)
    except DoesNotExist:
        return None


def subscribe(connection: ConnectionModel, post_ids: list[str], now: datetime) -> None:
    current = [str(p) for p in connection.subscriptions or []]
    added = [p for p in post_ids if p not in current]
    if not added:
        return
    batch_write(SubscriptionModel, [SubscriptionModel(p, connection.connection_id, user_id=connection.user_id,
                                                      expires=connection.expires) for p in added])
    connection.update(actions=[ConnectionModel.subscriptions.set(current + added)])  # type: ignore[arg-type]


def unsubscribe(connection: ConnectionModel, post_ids: list[str]) -> None:
    current: Any = [str(p) for p in connection.subscriptions or []]
    gone = [p for p in post_ids if p in current]
    if not gone:
        return
    batch_write(SubscriptionModel, delete_keys=[key_of(SubscriptionModel, p, connection.connection_id) for p in gone])
    connection.update(actions=[ConnectionModel.subscriptions.set([p for p in current if p not in gone])])


def subscribers(post_id: str, now: datetime) -> list[SubscriptionModel]:
    return [s for s in SubscriptionModel.query(post_id) if s.expires > now]


def claim_counter_push(post_id: str, now: datetime, every: timedelta) -> bool:
    """True when no counters push is due for the post yet (the caller schedules one)."""
    due = _epoch(now + every)
    return applied(lambda: CounterPushModel(post_id, due=due, expires=now + timedelta(minutes=5)).save(
        condition=CounterPushModel.post_id.does_not_exist() | (CounterPushModel.due < _epoch(now))))


def release_counter_push(post_id: str) -> None:
    CounterPushModel(post_id).delete()


def counter_push_pending(post_id: str, now: datetime) -> bool:
    try:
        return int(CounterPushModel.get(post_id).due) >= _epoch(now)
    except DoesNotExist:
        return False


# --- the event log -------------------------------------------------------------------------------

def current_sequence(user_id: str) -> int:
    try:
        return int(EventLogModel.get(user_id, SEQUENCE_ROW, consistent_read=True).seq or 0)
    except DoesNotExist:
        return 0


def number(user_id: str, frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The frames with the user's next event ids (one atomic ``ADD`` on the user's counter)."""
    counter = EventLogModel(user_id, SEQUENCE_ROW)
    counter.update(actions=[EventLogModel.seq.add(len(frames))])
    return _with_ids(frames, int(counter.seq or 0))


def number_all(frames: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Each user's frames with their next event ids, for many users in a few requests.

    The counters of up to 100 users are read at once (strongly consistent) and moved in
    one transaction, each on the condition that it still holds the value read: two
    requests where one ``ADD`` per user took one each. When a counter moved meanwhile
    (another push to the same user), the transaction writes nothing and those users
    are numbered one by one instead, so no id is ever given twice.
    """
    numbered: dict[str, list[dict[str, Any]]] = {}
    users = list(frames)
    for start in range(0, len(users), MAX_TRANSACTION_ACTIONS):
        part = users[start:start + MAX_TRANSACTION_ACTIONS]
        if len(part) == 1:
            numbered[part[0]] = number(part[0], frames[part[0]])
            continue
        read = {row.user_id: int(row.seq or 0) for row in batch_get(
            EventLogModel, [key_of(EventLogModel, u, SEQUENCE_ROW) for u in part], consistent=True)}

        def move(tx: Any, part: list[str] = part, read: dict[str, int] = read) -> None:
            for user_id in part:
                still = (EventLogModel.seq == read[user_id] if user_id in read
                         else EventLogModel.seq.does_not_exist())
                tx.update(EventLogModel(user_id, SEQUENCE_ROW), condition=still,
                          actions=[EventLogModel.seq.set(read.get(user_id, 0) + len(frames[user_id]))])

        if transaction_failures(EventLogModel, move):
            numbered.update((u, number(u, frames[u])) for u in part)
        else:
            numbered.update((u, _with_ids(frames[u], read.get(u, 0) + len(frames[u]))) for u in part)
    return numbered


def _with_ids(frames: list[dict[str, Any]], last: int) -> list[dict[str, Any]]:
    return [{**frame, "event_id": last - len(frames) + 1 + i} for i, frame in enumerate(frames)]


def log(numbered: dict[str, list[dict[str, Any]]], now: datetime) -> None:
    """Log numbered frames of many users at once (BatchWriteItem, 25 a call)."""
    items = [EventLogModel(user_id, f["event_id"], frame=json.dumps(f, ensure_ascii=False, separators=(",", ":")),
                           expires=now + EVENT_TTL) for user_id, frames in numbered.items() for f in frames]
    if len(items) == 1:
        items[0].save()
    elif items:
        batch_write(EventLogModel, items)


def append(user_id: str, frames: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Number and log one user's frames; returns them with ``event_id``."""
    numbered = number(user_id, frames)
    log({user_id: numbered}, now)
    return numbered


def events_after(user_id: str, since: int, limit: int, now: datetime) -> list[dict[str, Any]]:
    """Logged frames with ids above ``since``, oldest first (at most ``limit``)."""
    found = []
    for item in EventLogModel.query(user_id, EventLogModel.event_id > max(since, SEQUENCE_ROW), limit=limit):
        if item.frame and item.expires and item.expires > now:
            found.append(json.loads(item.frame))
    return found
