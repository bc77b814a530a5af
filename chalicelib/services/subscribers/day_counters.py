"""Count a publication on its account's day: a manual or a system post."""

from __future__ import annotations

from chalicelib.domain.clock import day_of
from chalicelib.services.post_events import PostPublished
from chalicelib.store import activity


def count_publication(event: PostPublished) -> None:
    """Idempotent: the ADD and a once-marker for the post are one transaction.

    A fan's buyer show is neither: it is not the account's post, and pushing a featured
    one rides on top of the quota.
    """
    post = event.post
    if post.fan_submission:
        return
    activity.add_day_counters_once(post.account_id, day_of(event.at), {"system_posts" if post.system else "posts": 1},
                                   once=f"post_published#day_counters#{post.post_id}", at=event.at)
