"""Index a published post's fingerprint, so later copies (other accounts) and repeats are found."""

from __future__ import annotations

from chalicelib.services.moderation_chain import index_published
from chalicelib.services.post_events import PostPublished


def index_published_post(event: PostPublished) -> None:
    """Idempotent: the index keys are the post's and its publication time's."""
    if not event.post.fan_submission:  # a fan's buyer show is not the account's content
        index_published(event.post, event.at)
