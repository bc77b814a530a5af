"""Notifications raised by post events (each only enqueues; its key makes a re-emit land once)."""

from __future__ import annotations

from chalicelib.services import notifications
from chalicelib.services.post_events import PostHeld, PostPublished, PostRejected


def buyer_show_sent(event: PostPublished) -> None:
    """A fan's buyer show passed moderation: the owner hears of it."""
    post = event.post
    if post.fan_submission:
        notifications.buyer_show(post.account_id, post.post_id, "sent", post.author_id)


def post_rejected(event: PostRejected) -> None:
    """The owner hears their post was rejected (with the reason); a fan, that their buyer show was."""
    post = event.post
    if post.fan_submission:
        notifications.buyer_show(post.account_id, post.post_id, "rejected", post.author_id, event.reason)
    else:
        notifications.moderated(post.account_id, post.post_id, "rejected", event.reason)


def post_held(event: PostHeld) -> None:
    if not event.post.fan_submission:
        notifications.moderated(event.post.account_id, event.post.post_id, "held")
