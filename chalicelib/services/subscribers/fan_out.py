"""Start a post's fan-out to followers' inboxes, or its retraction, with one fan-out message."""

from __future__ import annotations

from chalicelib.domain.messages import PostFanoutMessage
from chalicelib.domain.posts import PUBLISHED
from chalicelib.services.post_events import BuyerShowPushed, PostPublished, PostRemoved
from chalicelib.store import queues


def deliver_post(event: PostPublished | BuyerShowPushed) -> None:
    """Idempotent: a second first page finds its hand-over marker and writes the same inbox keys."""
    if event.post.feed_key is None:
        return  # a fan's buyer show on the wall reaches followers only once featured
    queues.send("fanout", PostFanoutMessage.deliver(event.post.post_id).to_json())


def retract_post(event: PostRemoved) -> None:
    """Idempotent: deleting inbox entries twice deletes nothing more."""
    if event.previous == PUBLISHED:
        queues.send("fanout", PostFanoutMessage.retract(event.post.post_id, event.feed_key).to_json())
