"""The queue messages (their JSON schemas: ``schemas/messages/<queue>.json``), each built and parsed here.

A producer builds a message with its class and sends ``to_json()``; the consumer
in ``chalicelib/events`` parses the body with ``from_json`` (or the queue's
``parse_..._message`` where one queue carries several kinds), ``ValueError`` on
anything malformed: the record fails alone (a partial batch failure) and, after its
retries, goes to the DLQ.

A message that *is* a domain record lives with that record; every other lives here:

============== ================================================================ ==========================
queue          message                                                          module
============== ================================================================ ==========================
moderation     :class:`ModerationMessage`                                       here
fanout         :class:`PostFanoutMessage`, :class:`SwitchFanoutMessage`         here
grading        :class:`GradingShardMessage`                                     here
suggestions    :class:`SuggestionShardMessage`                                  here
signals        :class:`SignalsMessage` (of :class:`CommerceSignal`)             here
new_products   :class:`ListingsMessage` (of :class:`ListingEvent`),             here
               :class:`CloseWindowMessage`
push           :class:`FeedPushMessage`, :class:`RosterFeedPushMessage`,        here
               :class:`PulledFeedPushMessage`,
               :class:`NotificationPushMessage`, :class:`CountersPushMessage`,
               :class:`ReplayPushMessage`, :class:`ClosePushMessage`
activity       ``ActivityMessage``                                              ``domain/activity.py``
notifications  ``NotificationEvent``                                            ``domain/notifications.py``
============== ================================================================ ==========================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar

from chalicelib.domain import clock
from chalicelib.domain.discovery import SIGNAL_KINDS
from chalicelib.domain.new_products import Listing

# Fan-out queue operations: deliver or retract one post, open or close followers'
# pull windows of one account (a delivery-mode switch).
PUT, DELETE = "put", "delete"
PULL_ON, PULL_OFF = "pull_on", "pull_off"
POST_OPS, SWITCH_OPS = (PUT, DELETE), (PULL_ON, PULL_OFF)


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value


def _whole(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a whole number")
    return value


def _texts(body: dict[str, Any], name: str) -> tuple[str, ...]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{name} must be a list of non-empty strings")
    return tuple(value)


def _items(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list")
    return value


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError("a message is a JSON object")
    return body


def _after(body: dict[str, Any]) -> dict[str, Any] | None:
    after = body.get("after")
    if after is not None and not isinstance(after, dict):
        raise ValueError("after must be an object or null")
    return after


@dataclass(frozen=True)
class ModerationMessage:
    """Moderate one post (``moderation`` queue)."""

    post_id: str

    def to_json(self) -> dict[str, Any]:
        return {"post_id": self.post_id}

    @classmethod
    def from_json(cls, body: Any) -> ModerationMessage:
        return cls(_text(_object(body), "post_id"))


@dataclass(frozen=True)
class PostFanoutMessage:
    """One page of followers of a post's delivery (``put``) or retraction (``delete``, with its feed key)."""

    op: str
    post_id: str
    chunk: int = 0
    after: dict[str, Any] | None = None
    feed_key: str | None = None

    @classmethod
    def deliver(cls, post_id: str) -> PostFanoutMessage:
        return cls(PUT, post_id)

    @classmethod
    def retract(cls, post_id: str, feed_key: str | None) -> PostFanoutMessage:
        return cls(DELETE, post_id, feed_key=feed_key)

    @property
    def job_id(self) -> str:
        return f"{self.op}#{self.post_id}"

    def next_page(self, after: dict[str, Any]) -> PostFanoutMessage:
        return replace(self, chunk=self.chunk + 1, after=after)

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"op": self.op, "post_id": self.post_id, "chunk": self.chunk, "after": self.after}
        if self.op == DELETE:
            body["feed_key"] = self.feed_key
        return body


@dataclass(frozen=True)
class SwitchFanoutMessage:
    """One page of followers of an account switching delivery mode (``pull_on`` / ``pull_off``)."""

    op: str
    account_id: str
    generation: int
    chunk: int = 0
    after: dict[str, Any] | None = None

    @property
    def job_id(self) -> str:
        return f"{self.op}#{self.account_id}#{self.generation}"

    def next_page(self, after: dict[str, Any]) -> SwitchFanoutMessage:
        return replace(self, chunk=self.chunk + 1, after=after)

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "account_id": self.account_id, "generation": self.generation, "chunk": self.chunk,
                "after": self.after}


FanoutMessage = PostFanoutMessage | SwitchFanoutMessage


def parse_fanout_message(body: Any) -> FanoutMessage:
    """A ``fanout`` queue body as the message of its ``op``."""
    body = _object(body)
    op = body.get("op")
    if op in POST_OPS:
        feed_key = body.get("feed_key")
        if op == DELETE and feed_key is not None and not isinstance(feed_key, str):
            raise ValueError("feed_key must be a string")
        return PostFanoutMessage(str(op), _text(body, "post_id"), _whole(body, "chunk"), _after(body),
                                 feed_key if op == DELETE else None)
    if op in SWITCH_OPS:
        return SwitchFanoutMessage(str(op), _text(body, "account_id"), _whole(body, "generation"),
                                   _whole(body, "chunk"), _after(body))
    raise ValueError(f"unknown fan-out op {op!r}")


@dataclass(frozen=True)
class GradingShardMessage:
    """Run one map or reduce shard of a grading run (``grading`` queue)."""

    run_id: str
    shard: str

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "shard": self.shard}

    @classmethod
    def from_json(cls, body: Any) -> GradingShardMessage:
        body = _object(body)
        return cls(_text(body, "run_id"), _text(body, "shard"))


@dataclass(frozen=True)
class SuggestionShardMessage:
    """Compute the related lists of one scan segment of accounts (``suggestions`` queue)."""

    run_id: str
    shard: str  # the segment's number, zero-padded to 4 digits

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "shard": self.shard}

    @classmethod
    def from_json(cls, body: Any) -> SuggestionShardMessage:
        body = _object(body)
        shard = _text(body, "shard")
        if not (shard.isascii() and shard.isdigit()):
            raise ValueError("shard must be a segment number")
        return cls(_text(body, "run_id"), shard)


# --- signals -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CommerceSignal:
    """A shop platform's fact: ``user_id`` favourited ``account_id``'s shop or bought from it (``kind``)."""

    user_id: str
    account_id: str
    kind: str
    at: datetime

    def to_json(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "account_id": self.account_id, "kind": self.kind,
                "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, body: Any) -> CommerceSignal:
        body = _object(body)
        kind = body.get("kind")
        if kind not in SIGNAL_KINDS:
            raise ValueError(f"unknown signal kind {kind!r}")
        return cls(_text(body, "user_id"), _text(body, "account_id"), str(kind),
                   clock.parse_rfc3339(_text(body, "at")))


@dataclass(frozen=True)
class SignalsMessage:
    """Up to 100 validated signals to store (``signals`` queue); one bad signal fails the whole message."""

    signals: tuple[CommerceSignal, ...]

    def to_json(self) -> dict[str, Any]:
        return {"signals": [s.to_json() for s in self.signals]}

    @classmethod
    def from_json(cls, body: Any) -> SignalsMessage:
        return cls(tuple(CommerceSignal.from_json(s) for s in _items(_object(body), "signals")))


# --- new_products (auto 上新) -------------------------------------------------------------------

@dataclass(frozen=True)
class ListingEvent:
    """One accepted listing and its event id (``<batch>:<index>``, kept on the product's dedup mark)."""

    event_id: str
    listing: Listing

    def to_json(self) -> dict[str, Any]:
        return {**self.listing.to_json(), "event_id": self.event_id}

    @classmethod
    def from_json(cls, body: Any) -> ListingEvent:
        body = _object(body)
        for name in ("account_id", "product_id", "title", "image", "listed_at"):
            _text(body, name)
        price = body.get("price")
        if not isinstance(price, int | float) or isinstance(price, bool):
            raise ValueError("price must be a number")
        return cls(_text(body, "event_id"), Listing.from_json(body))  # listed_at: ValueError unless RFC 3339


@dataclass(frozen=True)
class ListingsMessage:
    """A chunk of up to 50 listing events to gather into their accounts' windows (``new_products`` queue)."""

    op: ClassVar[str] = "listings"
    events: tuple[ListingEvent, ...]

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "events": [e.to_json() for e in self.events]}


@dataclass(frozen=True)
class CloseWindowMessage:
    """Turn a due listing window into its one system post (``new_products`` queue)."""

    op: ClassVar[str] = "close"
    window_id: str

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "window_id": self.window_id}


NewProductsMessage = ListingsMessage | CloseWindowMessage


def parse_new_products_message(body: Any) -> NewProductsMessage:
    """A ``new_products`` queue body as the message of its ``op``."""
    body = _object(body)
    op = body.get("op")
    if op == ListingsMessage.op:
        return ListingsMessage(tuple(ListingEvent.from_json(e) for e in _items(body, "events")))
    if op == CloseWindowMessage.op:
        return CloseWindowMessage(_text(body, "window_id"))
    raise ValueError(f"unknown new_products op {op!r}")


# --- push (realtime) -----------------------------------------------------------------------------

@dataclass(frozen=True)
class FeedPushMessage:
    """``feed.new`` of a post for the users fan-out just wrote it to, up to 2,000 (those connected get it)."""

    kind: ClassVar[str] = "feed"
    post_id: str
    users: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "post_id": self.post_id, "users": list(self.users)}

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> FeedPushMessage:
        return cls(_text(body, "post_id"), _texts(body, "users"))


@dataclass(frozen=True)
class RosterFeedPushMessage:
    """``feed.new`` of a post for the followers in some of its account's roster pages, which fan-out
    just wrote it to (the push worker reads the pages; those connected get it)."""

    kind: ClassVar[str] = "feed_roster"
    post_id: str
    pages: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "post_id": self.post_id, "pages": list(self.pages)}

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> RosterFeedPushMessage:
        return cls(_text(body, "post_id"), _texts(body, "pages"))


@dataclass(frozen=True)
class PulledFeedPushMessage:
    """``feed.new`` of a pulled account's post for its connected followers (found from the connections)."""

    kind: ClassVar[str] = "feed_pulled"
    post_id: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "post_id": self.post_id}

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> PulledFeedPushMessage:
        return cls(_text(body, "post_id"))


@dataclass(frozen=True)
class NotificationPushMessage:
    """A new or regrouped notification for a user who is present."""

    kind: ClassVar[str] = "notification"
    user_id: str
    notification_id: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "user_id": self.user_id, "notification_id": self.notification_id}

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> NotificationPushMessage:
        return cls(_text(body, "user_id"), _text(body, "notification_id"))


@dataclass(frozen=True)
class CountersPushMessage:
    """``post.counters`` of a post for its subscribed connections (at most one a second per post)."""

    kind: ClassVar[str] = "counters"
    post_id: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "post_id": self.post_id}

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> CountersPushMessage:
        return cls(_text(body, "post_id"))


@dataclass(frozen=True)
class ReplayPushMessage:
    """Send one connection the user's events after ``since`` (a client's ``resume``), or a resync."""

    kind: ClassVar[str] = "replay"
    connection_id: str
    user_id: str
    since: int

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "connection_id": self.connection_id, "user_id": self.user_id, "since": self.since}

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ReplayPushMessage:
        return cls(_text(body, "connection_id"), _text(body, "user_id"), _whole(body, "since"))


@dataclass(frozen=True)
class ClosePushMessage:
    """Close a connection (a user's sixth closes their oldest); only the push worker manages connections."""

    kind: ClassVar[str] = "close"
    connection_id: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "connection_id": self.connection_id}

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> ClosePushMessage:
        return cls(_text(body, "connection_id"))


PushMessage = (FeedPushMessage | RosterFeedPushMessage | PulledFeedPushMessage | NotificationPushMessage
               | CountersPushMessage | ReplayPushMessage | ClosePushMessage)
_PUSH_KINDS: dict[str, Callable[[dict[str, Any]], PushMessage]] = {
    FeedPushMessage.kind: FeedPushMessage.from_json,
    RosterFeedPushMessage.kind: RosterFeedPushMessage.from_json,
    PulledFeedPushMessage.kind: PulledFeedPushMessage.from_json,
    NotificationPushMessage.kind: NotificationPushMessage.from_json,
    CountersPushMessage.kind: CountersPushMessage.from_json,
    ReplayPushMessage.kind: ReplayPushMessage.from_json,
    ClosePushMessage.kind: ClosePushMessage.from_json,
}


def parse_push_message(body: Any) -> PushMessage:
    """A ``push`` queue body as the message of its ``kind``."""
    body = _object(body)
    kind = body.get("kind")
    parse = _PUSH_KINDS.get(kind) if isinstance(kind, str) else None
    if parse is None:
        raise ValueError(f"unknown push kind {kind!r}")
    return parse(body)
