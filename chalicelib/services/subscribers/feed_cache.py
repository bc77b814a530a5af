"""Drop this container's cached list of an account's recent posts when one is published
or taken down (store/read_cache.py), so the feed re-reads it at once here.

Other containers re-read it within the cache's TTL; a taken-down post never shows
anyway (the feed re-reads each post it serves). Idempotent: dropping twice is a no-op.
"""

from __future__ import annotations

from chalicelib.services.post_events import PostEvent
from chalicelib.store.read_cache import forget_account_posts


def forget_recent_posts(event: PostEvent) -> None:
    forget_account_posts(event.post.account_id)
