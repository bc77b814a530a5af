"""Notification rules: types, events, grouping windows, recent actors, keys and Chinese texts.

Pure functions (no AWS): the store and the consumer apply them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import clock

TYPES = ("follow", "like", "comment", "vote", "buyer_show", "moderation", "penalty", "grade", "hot", "contest_win")
# Grouped per account (follow) or per post (like, vote).
GROUPED = {"follow": "account_id", "like": "post_id", "vote": "post_id"}
GROUP_WINDOW = timedelta(hours=12)
RECENT_ACTORS = 8
KEEP_PER_USER = 500
TTL = timedelta(days=90)
# Recipient "owner": the owner of ``account_id`` (resolved by the consumer, so the
# request raising the event does not read the account).
OWNER = "owner"

MODERATION_TEXT = {
    "rejected": "{name} 的内容未通过审核：{reason}",
    "held": "{name} 的内容需要人工复审",
    "approved": "{name} 的内容已通过复审并发布",
    "removed": "{name} 的内容已被下架：{reason}",
}
PENALTY_TEXT = {
    "strike": "{name} 收到一次违规记录：{reason}",
    "h1": "{name} 已被移入小黑屋（H1）：{reason}",
    "release": "{name} 已移出小黑屋，恢复为 W1",
}
BUYER_SHOW_TEXT = {
    "sent": "有粉丝给 {name} 发来了买家秀",
    "featured": "你的买家秀被 {name} 精选了",
    "rejected": "你的买家秀未通过审核：{reason}",
}


@dataclass(frozen=True)
class NotificationEvent:
    """One event that concerns one user (``recipient``: a user id, or :data:`OWNER` of ``account_id``).

    ``key`` identifies the event itself: raising the same event twice (a retried
    request, a redelivered message) gives the same key and so the same notification.
    """

    type: str
    key: str
    at: str  # RFC 3339; the event's own time decides its group, not the time it is processed
    recipient: str = OWNER
    account_id: str | None = None
    post_id: str | None = None
    actor: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"unknown notification type {self.type!r}")
        if self.type in GROUPED and (not self.actor or not getattr(self, GROUPED[self.type])):
            raise ValueError(f"a {self.type} event needs an actor and a {GROUPED[self.type]}")
        if self.recipient == OWNER and not self.account_id:
            raise ValueError("an event for an account's owner needs the account_id")

    def to_json(self) -> dict[str, Any]:
        """The ``notifications`` queue body (schema ``schemas/messages/notifications.json``)."""
        return {k: v for k, v in asdict(self).items() if v not in (None, {})}

    @classmethod
    def from_json(cls, body: Any) -> NotificationEvent:
        """Parse a queue body; ``ValueError`` for anything malformed.

        Unknown fields are ignored, so a producer may add one before every consumer knows it.
        """
        if not isinstance(body, dict):
            raise ValueError("a notification event is a JSON object")
        for name in ("type", "key", "at", "recipient"):
            value = body.get(name, OWNER if name == "recipient" else None)
            if not isinstance(value, str) or not value:
                raise ValueError(f"{name} must be a non-empty string")
        for name in ("account_id", "post_id", "actor"):
            if body.get(name) is not None and not isinstance(body[name], str):
                raise ValueError(f"{name} must be a string")
        if not isinstance(body.get("data", {}), dict):
            raise ValueError("data must be an object")
        clock.parse_rfc3339(body["at"])
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in body.items() if k in names})  # __post_init__ checks the rules

    @property
    def instant(self) -> datetime:
        return datetime.fromisoformat(self.at)

    @property
    def grouped(self) -> bool:
        return self.type in GROUPED

    def group_target(self) -> str:
        return str(getattr(self, GROUPED[self.type]))


def group_key(user_id: str, event: NotificationEvent) -> str:
    return f"{user_id}#{event.type}#{event.group_target()}"


def in_window(first_at: datetime, at: datetime) -> bool:
    """Whether an event at ``at`` joins the group that started at ``first_at``."""
    return first_at <= at < first_at + GROUP_WINDOW


def single_id(user_id: str, event_key: str) -> str:
    """The id of an ungrouped notification: derived from the event, so a duplicate lands on it."""
    return "n" + hashlib.sha256(f"{user_id}\x00{event_key}".encode()).hexdigest()[:24]


def group_id(group: str, first_at: datetime) -> str:
    """The id of a group's notification: derived from the group and its first event's time."""
    return "g" + hashlib.sha256(f"{group}\x00{first_at.isoformat()}".encode()).hexdigest()[:24]


def order_key(updated_at: datetime, notification_id: str) -> str:
    """Sort key of "most recently updated first" (and of the read marker)."""
    return f"{clock.epoch_millis(updated_at):013d}#{notification_id}"


def type_order_key(type_: str, order: str) -> str:
    """Sort key of one type's notifications, most recently updated first: ``<type>#<order key>``."""
    return f"{type_}#{order}"


def merge_actors(current: Iterable[str], newest_first: Iterable[str]) -> list[str]:
    """The group's most recent actors after ``newest_first`` joined, most recent first, at most 8."""
    merged: list[str] = []
    for actor in [*newest_first, *current]:
        if actor not in merged:
            merged.append(actor)
    return merged[:RECENT_ACTORS]


def is_read(order: str, read_marker: str | None) -> bool:
    return read_marker is not None and order <= read_marker


def text_for(type_: str, count: int, data: dict[str, Any], account_name: str | None) -> str:
    """The short Chinese summary of a notification."""
    name = account_name or "你的账号"
    reason = data.get("reason") or "违反平台规则"
    if type_ == "follow":
        return f"{count} 人关注了 {name}"
    if type_ == "like":
        return f"{count} 人赞了你的内容"
    if type_ == "vote":
        return f"{count} 人参与了你的投票"
    if type_ == "comment":
        return f"有人评论了你的内容（{data.get('floor', '?')} 楼）：{str(data.get('text', ''))[:40]}"
    if type_ == "buyer_show":
        return BUYER_SHOW_TEXT.get(str(data.get("status")), BUYER_SHOW_TEXT["sent"]).format(name=name, reason=reason)
    if type_ == "moderation":
        return MODERATION_TEXT.get(str(data.get("status")), MODERATION_TEXT["rejected"]).format(
            name=name, reason=reason)
    if type_ == "penalty":
        return PENALTY_TEXT.get(str(data.get("kind")), PENALTY_TEXT["strike"]).format(name=name, reason=reason)
    if type_ == "grade":
        if data.get("kind") == "weekly":
            status = data.get("tier_status")
            return (f"{name} 本周状态预警：{status}" if status else f"{name} 的状态预警已解除")
        return f"{name} 的等级由 {data.get('old_tier')} 调整为 {data.get('tier')}"
    if type_ == "hot":
        return f"{name} 的内容进入了精选热榜"
    if type_ == "contest_win":
        return f"恭喜！你在盖楼活动中抢到了第 {data.get('floor')} 楼"
    raise ValueError(f"unknown notification type {type_!r}")

