"""What happened to a post: the events a transition emits (their subscribers: services/subscribers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from chalicelib.store.posts import PostModel


@dataclass(frozen=True)
class PostPublished:
    """pending_review → published (by the chain or a moderator); ``post`` is as stored after it."""

    name: ClassVar[str] = "post_published"
    post: PostModel
    at: datetime


@dataclass(frozen=True)
class PostRejected:
    """pending_review → rejected (by the chain or a moderator), for ``reason``."""

    name: ClassVar[str] = "post_rejected"
    post: PostModel
    reason: str
    at: datetime


@dataclass(frozen=True)
class PostHeld:
    """The chain held the post for a moderator (the review queue)."""

    name: ClassVar[str] = "post_held"
    post: PostModel
    at: datetime


@dataclass(frozen=True)
class PostRemoved:
    """A post was taken down (by its owner or a moderator); ``previous`` is the status it left."""

    name: ClassVar[str] = "post_removed"
    post: PostModel
    previous: str
    feed_key: str | None
    at: datetime


@dataclass(frozen=True)
class BuyerShowPushed:
    """The day's first featured buyer show got its feed keys: it goes to every follower."""

    name: ClassVar[str] = "buyer_show_pushed"
    post: PostModel
    at: datetime
