"""The queue messages (their JSON schemas: ``schemas/messages/``), each built and parsed here.

A producer builds a message with its class and sends ``to_json()``; the consumer
in ``chalicelib/events`` parses the body with ``from_json`` (``ValueError`` on
anything malformed: the record fails and, after its retries, goes to the DLQ).
The activity queue's message is :class:`chalicelib.domain.activity.ActivityMessage`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

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
