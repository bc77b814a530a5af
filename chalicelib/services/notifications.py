"""Notifications: raising events, the consumer that stores them, and the user's list.

Event sites call one function per event kind (``followed``, ``liked`` ...), each one
line, each only enqueueing a :class:`NotificationEvent` on the notifications queue:
the request that caused the event never waits for the notification.

An enqueue that still fails after botocore's retries is logged with the whole event
(and counted as the ``NotificationEnqueueFailed`` metric) instead of failing the
request: the request's own write already landed, and a client's retry would be an
idempotent no-op that raises no event again, so failing would lose the event just the
same and also the user's answer. Worker event sites (moderation, grading, hot list)
pass ``strict=True``: there the error fails the record, SQS redelivers it, and the
event is raised again under the same key (so it lands once).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from chalicelib.auth import Principal
from chalicelib.domain import clock
from chalicelib.domain import notifications as rules
from chalicelib.domain.cursor import cursor_scope, decode_cursor, encode_cursor
from chalicelib.domain.errors import InvalidInput, found
from chalicelib.domain.messages import NotificationPushMessage
from chalicelib.domain.notifications import OWNER, NotificationEvent
from chalicelib.store import notifications as store
from chalicelib.store import queues
from chalicelib.store import realtime as presence
from chalicelib.store.accounts import accounts_by_ids
from chalicelib.store.base import flat_key, raw_key
from chalicelib.validation import validate

logger = Logger(service="weitao-notifications")
metrics = Metrics(namespace="weitao", service="notifications")


def raise_event(event: NotificationEvent, *, strict: bool = False) -> None:
    """Enqueue one event for the notifications consumer (see the module docstring for failures)."""
    try:
        queues.send("notifications", event.to_json())
    except Exception:
        if strict:
            raise
        logger.exception("notification event not enqueued", notification_event=event.to_json())
        metrics.add_metric(name="NotificationEnqueueFailed", unit=MetricUnit.Count, value=1)


def _now() -> str:
    return clock.now().isoformat()


# --- one function per event kind (the event sites call these, one line each) ------------------

def followed(account_id: str, user_id: str) -> None:
    raise_event(NotificationEvent("follow", f"follow#{account_id}#{user_id}", _now(), account_id=account_id,
                                  actor=user_id))


def liked(account_id: str, post_id: str, user_id: str) -> None:
    raise_event(NotificationEvent("like", f"like#{post_id}#{user_id}", _now(), account_id=account_id,
                                  post_id=post_id, actor=user_id))


def voted(account_id: str, post_id: str, user_id: str) -> None:
    raise_event(NotificationEvent("vote", f"vote#{post_id}#{user_id}", _now(), account_id=account_id,
                                  post_id=post_id, actor=user_id))


def commented(account_id: str, post_id: str, user_id: str, comment_id: str, floor: int, text: str) -> None:
    raise_event(NotificationEvent("comment", f"comment#{comment_id}", _now(), account_id=account_id,
                                  post_id=post_id, actor=user_id,
                                  data={"comment_id": comment_id, "floor": floor, "text": text[:200]}))


def contest_won(account_id: str, post_id: str, user_id: str, floor: int) -> None:
    raise_event(NotificationEvent("contest_win", f"contest_win#{post_id}#{floor}", _now(), recipient=user_id,
                                  account_id=account_id, post_id=post_id, data={"floor": floor}))


def buyer_show(account_id: str, post_id: str, status: str, fan_id: str, reason: str | None = None,
               *, strict: bool = False) -> None:
    """``sent`` (it passed moderation: to the owner), ``featured`` or ``rejected`` (to the fan)."""
    to_owner = status == "sent"
    raise_event(NotificationEvent("buyer_show", f"buyer_show#{post_id}#{status}", _now(),
                                  recipient=OWNER if to_owner else fan_id, account_id=account_id, post_id=post_id,
                                  actor=fan_id if to_owner else None,
                                  data={"status": status, **({"reason": reason} if reason else {})}), strict=strict)


def moderated(account_id: str, post_id: str, status: str, reason: str | None = None, *, strict: bool = False) -> None:
    """``rejected`` (with its reason), ``held`` for review, ``approved`` after review, ``removed``."""
    raise_event(NotificationEvent("moderation", f"moderation#{post_id}#{status}", _now(), account_id=account_id,
                                  post_id=post_id, data={"status": status, "reason": reason}), strict=strict)


def penalised(account_id: str, kind: str, key: str, reason: str | None = None, post_id: str | None = None,
              *, strict: bool = False) -> None:
    """``strike``, ``h1`` (sent to H1) or ``release``; ``key`` names the strike or audit entry."""
    raise_event(NotificationEvent("penalty", f"penalty#{account_id}#{kind}#{key}", _now(), account_id=account_id,
                                  post_id=post_id, data={"kind": kind, "reason": reason}), strict=strict)


def graded(run_id: str, kind: str, changes: Iterable[tuple[str, str, str | None, str | None]]) -> None:
    """Grading's events, ``(account_id, tier, old_tier, tier_status)`` each: ``kind`` ``monthly`` (a tier
    change) or ``weekly`` (the status warning). Strict: a failure fails the shard, whose re-run raises
    them again under the same keys."""
    raise_events([NotificationEvent("grade", f"grade#{account_id}#{run_id}", _now(), account_id=account_id,
                                    data={"kind": kind, "tier": tier, "old_tier": old_tier, "tier_status": status})
                  for account_id, tier, old_tier, status in changes])


def entered_hot_list(entries: Iterable[tuple[str, str]]) -> None:
    """``(account_id, post_id)`` of posts that entered the hot list (strict, like :func:`graded`)."""
    raise_events([NotificationEvent("hot", f"hot#{post_id}", _now(), account_id=account_id, post_id=post_id)
                  for account_id, post_id in entries])


def raise_events(events: list[NotificationEvent]) -> None:
    """Enqueue many events from a worker (10 per SendMessageBatch); errors propagate."""
    if events:
        queues.send_many("notifications", [e.to_json() for e in events])


# --- the consumer --------------------------------------------------------------------------------

def apply_events(events: Iterable[NotificationEvent]) -> list[tuple[str, str]]:
    """Store a batch of events exactly once in effect; returns (user, notification id) written or regrouped.

    Events of one group in the batch are merged into one write of the group; an event
    for a muted type, or an owner's own action, is dropped.
    """
    events = list(events)
    accounts = accounts_by_ids(list({e.account_id for e in events if e.account_id}))
    targeted: list[tuple[str, NotificationEvent]] = []
    for event in events:
        account = accounts.get(event.account_id or "")
        if event.recipient == OWNER:
            if account is None:
                continue  # the account is gone: nobody to tell
            recipient = str(account.owner_id)
        else:
            recipient = event.recipient
        if recipient != event.actor:
            targeted.append((recipient, event))
    muted = {u: set(s.muted or ()) for u, s in store.settings_of(r for r, _ in targeted).items()}
    targeted = [(r, e) for r, e in targeted if e.type not in muted.get(r, set())]
    now = clock.now()
    written: list[tuple[str, str]] = []
    groups: dict[str, list[tuple[str, NotificationEvent]]] = defaultdict(list)
    for recipient, event in targeted:
        if event.grouped:
            groups[rules.group_key(recipient, event)].append((recipient, event))
            continue
        account = accounts.get(event.account_id or "")
        nid = rules.single_id(recipient, event.key)
        item = store.NotificationModel(
            recipient, nid, type=event.type, order=rules.order_key(now, nid),
            type_order=rules.type_order_key(event.type, rules.order_key(now, nid)), account_id=event.account_id,
            account_name=account.display_name if account else None, post_id=event.post_id,
            actors=[event.actor] if event.actor else None, actor_count=1, data=event.data or None,
            created_at=event.instant, updated_at=now, expires=now + rules.TTL)
        if store.put_single(item):
            store.maybe_trim(recipient, nid)
            written.append((recipient, nid))
    for key, members in groups.items():
        written += _apply_group(key, members, accounts, now)
    _announce(written)
    return written


def _announce(written: list[tuple[str, str]]) -> None:
    """New or regrouped notifications ``(user, notification id)``: queue a push to the users present."""
    try:
        present = presence.present({user for user, _ in written}, clock.now()) if written else {}
        messages = [NotificationPushMessage(u, n).to_json() for u, n in written if u in present]
        if messages:
            queues.send_many("push", messages)
    except Exception:
        logger.exception("notification pushes not enqueued", count=len(written))


def _apply_group(key: str, members: list[tuple[str, NotificationEvent]], accounts: dict[str, Any],
                 now: datetime) -> list[tuple[str, str]]:
    written: list[tuple[str, str]] = []
    members.sort(key=lambda m: m[1].instant)
    # Consecutive events that fall in the same group are committed together.
    runs: list[tuple[tuple[str, datetime, bool], list[NotificationEvent]]] = []
    for _, event in members:
        if runs and not runs[-1][0][2] and rules.in_window(runs[-1][0][1], event.instant):
            runs[-1][1].append(event)  # the group just opened takes it: no second head read
            continue
        opened = store.open_group(key, event.instant)
        if runs and runs[-1][0] == opened:
            runs[-1][1].append(event)
        else:
            runs.append((opened, [event]))
    recipient = members[0][0]
    for (nid, first_at, late), events in runs:
        sample = events[0]
        account = accounts.get(sample.account_id or "")
        addition = store.GroupAddition(
            user_id=recipient, notification_id=nid, group_key=key, type=sample.type, first_at=first_at,
            account_id=sample.account_id, account_name=account.display_name if account else None,
            post_id=sample.post_id, actors=tuple(str(e.actor) for e in reversed(events)), late=late)
        added, _ = store.add_to_group(addition, now)
        if added:
            written.append((recipient, nid))
    return written


# --- the user's list ------------------------------------------------------------------------------

def view(item: store.NotificationModel, read_marker: str | None) -> dict[str, Any]:
    data = item.data or {}
    return {"notification_id": item.notification_id, "type": item.type, "account_id": item.account_id,
            "post_id": item.post_id, "actors": list(item.actors or []), "count": int(item.actor_count),
            "text": rules.text_for(item.type, int(item.actor_count), data, item.account_name),
            "data": _public_data(item.type, data), "created_at": clock.rfc3339(item.created_at),
            "updated_at": clock.rfc3339(item.updated_at), "read": rules.is_read(item.order, read_marker)}


def _public_data(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    if type_ == "moderation":
        return {"status": data.get("status"), "reason": data.get("reason")}
    if type_ == "grade":
        return {"tier": data.get("tier"), "old_tier": data.get("old_tier"), "tier_status": data.get("tier_status"),
                "kind": data.get("kind")}
    return dict(data)


CURSOR_FIELDS = {None: ("notification_id", "order"), "typed": ("notification_id", "type_order")}


def list_notifications(principal: Principal, type_: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    if type_ is not None and type_ not in rules.TYPES:
        raise InvalidInput(f"type must be one of {', '.join(rules.TYPES)}",
                           details=[{"pointer": "/type", "message": f"must be one of {', '.join(rules.TYPES)}"}])
    fields = ("user_id", *CURSOR_FIELDS["typed" if type_ else None])
    # The cursor is scoped to the caller and the type: the user's own list is the only one read.
    scope = cursor_scope("/me/notifications", principal.user_id, user_id=principal.user_id, type=type_)
    position = decode_cursor(cursor, fields, scope)
    after = raw_key(position) if position else None
    items, last = store.page(principal.user_id, type_, clock.now(), limit, after)
    marker = store.get_settings(principal.user_id).read_marker
    flat = flat_key(last)
    next_cursor = encode_cursor({k: flat[k] for k in fields}, scope) if flat else None
    return {"items": [view(i, marker) for i in items], "next_cursor": next_cursor}


def unread(principal: Principal) -> dict[str, Any]:
    return {"count": unread_of(principal.user_id)}


def notification_frame(user_id: str, notification_id: str) -> dict[str, Any] | None:
    """The realtime ``notification`` frame of one notification, with the unread count (None: it is gone)."""
    item = store.get_notification(user_id, notification_id)
    if item is None:
        return None
    return {"type": "notification", "notification": view(item, store.get_settings(user_id).read_marker),
            "unread": unread_of(user_id)}


def unread_of(user_id: str) -> int:
    return store.unread_count(user_id, store.get_settings(user_id).read_marker, clock.now())


def mark_read(principal: Principal, body: Any) -> dict[str, Any]:
    """Everything up to (and including) ``up_to`` is read; without it, everything so far."""
    body = validate("notifications_read", body if body is not None else {})
    up_to = body.get("up_to")
    if up_to is None:
        marker = rules.order_key(clock.now(), "~")  # after every id of this millisecond
    else:
        marker = found(store.get_notification(principal.user_id, up_to), f"notification {up_to} not found").order
    store.advance_read_marker(principal.user_id, marker)
    return {"unread": unread_of(principal.user_id)}


def get_settings(principal: Principal) -> dict[str, Any]:
    return {"muted": list(store.get_settings(principal.user_id).muted or [])}


def put_settings(principal: Principal, body: Any) -> dict[str, Any]:
    muted = list(dict.fromkeys(validate("notification_settings", body)["muted"]))
    store.set_muted(principal.user_id, muted)
    return {"muted": muted}

