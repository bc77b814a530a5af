"""What happened to a post: the events a transition emits (their subscribers: services/subscribers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from chalicelib.store.posts import PostModel


@dataclass(frozen=True)
class PostEvent:
    """Something happened to ``post`` at ``at``; ``post`` is as stored after the transition."""

    name: ClassVar[str]
    post: PostModel
    at: datetime


@dataclass(frozen=True)
class PostPublished(PostEvent):
    """pending_review → published (by the chain or a moderator)."""

    name: ClassVar[str] = "post_published"


@dataclass(frozen=True)
class PostHeld(PostEvent):
    """The chain held the post for a moderator (the review queue)."""

    name: ClassVar[str] = "post_held"


@dataclass(frozen=True)
class BuyerShowPushed(PostEvent):
    """The day's first featured buyer show got its feed keys: it goes to every follower."""

    name: ClassVar[str] = "buyer_show_pushed"


@dataclass(frozen=True)
class PostRejected(PostEvent):
    """pending_review → rejected (by the chain or a moderator), for ``reason``."""

    name: ClassVar[str] = "post_rejected"
    reason: str = ""


@dataclass(frozen=True)
class PostRemoved(PostEvent):
    """A post was taken down (by its owner or a moderator); ``previous`` is the status it left."""

    name: ClassVar[str] = "post_removed"
    previous: str = ""
    feed_key: str | None = None
