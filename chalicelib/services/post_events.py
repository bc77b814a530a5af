"""What happened to a post: the events a transition emits (their subscribers: services/subscribers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.store.posts import PostModel


@dataclass(frozen=True)
class PostEvent:
    """Something happened to ``post`` at ``at``; ``post`` is as stored after the transition."""

    post: PostModel
    at: datetime


@dataclass(frozen=True)
class PostPublished(PostEvent):
    """pending_review → published (by the chain or a moderator)."""


@dataclass(frozen=True)
class PostHeld(PostEvent):
    """The chain held the post for a moderator (the review queue)."""


@dataclass(frozen=True)
class BuyerShowPushed(PostEvent):
    """The day's first featured buyer show got its feed keys: it goes to every follower."""


@dataclass(frozen=True)
class PostRejected(PostEvent):
    """pending_review → rejected (by the chain or a moderator), for ``reason``."""

    reason: str = ""


@dataclass(frozen=True)
class PostRemoved(PostEvent):
    """A post was taken down (by its owner or a moderator); ``previous`` is the status it left."""

    previous: str = ""
    feed_key: str | None = None
