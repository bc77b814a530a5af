"""Drops this container's cached recent posts of an account when one is published or taken down.

The cache is store/read_cache.py's; the feed here then re-reads the list at once.

Other containers re-read it within the cache's TTL; a taken-down post never shows
anyway (the feed re-reads each post it serves). Idempotent: dropping twice is a no-op.
"""

from __future__ import annotations

from chalicelib.services.post_events import PostEvent
from chalicelib.store.read_cache import forget_account_posts


def forget_recent_posts(event: PostEvent) -> None:
    forget_account_posts(event.post.account_id)
