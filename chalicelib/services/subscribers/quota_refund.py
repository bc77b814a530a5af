"""Give back the quota slot of a scheduled post withdrawn before it published."""

from __future__ import annotations

from chalicelib.domain.posts import SCHEDULED
from chalicelib.services.post_events import PostRemoved
from chalicelib.store.posts import refund_quota


def refund_scheduled_post(event: PostRemoved) -> None:
    """Idempotent: the refund and a once-marker for the post are one transaction."""
    if event.previous == SCHEDULED and event.post.quota_day:
        post = event.post
        refund_quota(post.account_id, post.quota_day, once=f"post_removed#quota_refund#{post.post_id}", at=event.at)
