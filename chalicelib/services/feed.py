"""The home feed: newest first, by section, hydrated in a fixed number of store calls."""

from __future__ import annotations

from typing import Any

from chalicelib.auth import Principal
from chalicelib.config import settings
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.feed import FeedEntry, merge_newest, shows_in_feed
from chalicelib.domain.posts import SECTIONS
from chalicelib.services.views import post_view
from chalicelib.store import inbox
from chalicelib.store.accounts import accounts_by_ids
from chalicelib.store.batch import batch_write, key_of
from chalicelib.store.follows import followed_accounts
from chalicelib.store.posts import posts_by_ids

# A page whose entries were all stale (taken down, unfollowed) reads on, but at most
# this many rounds, so a page costs a bounded number of store calls.
MAX_ROUNDS = 3


def read_feed(principal: Principal, section: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of the caller's home feed.

    Per round: one inbox Query, then BatchGetItem for posts, follows and accounts.
    Entries that no longer show (taken down, unfollowed) are dropped and deleted.
    """
    section = section or "all"
    if section not in SECTIONS:
        raise InvalidInput(f"section must be one of {', '.join(SECTIONS)}",
                           details=[{"pointer": "/section", "message": f"must be one of {', '.join(SECTIONS)}"}])
    position = decode_cursor(cursor, ("before", "served"))
    before = position["before"] if position else None
    served = int(position["served"]) if position and position["served"].isdigit() else 0
    user_id = principal.user_id
    items: list[dict[str, Any]] = []
    exhausted = False
    for _ in range(MAX_ROUNDS):
        want = min(limit - len(items), settings.inbox_max_entries - served)
        if want <= 0:
            break
        entries = [FeedEntry(e.feed_key, e.post_id, e.account_id)
                   for e in inbox.inbox_page(user_id, section, before, want)]
        page = merge_newest([entries], want)
        exhausted = len(entries) < want
        if page:
            before = page[-1].feed_key
        items += _hydrate(user_id, page)
        served += len(page)
        if exhausted or len(items) >= limit:
            break
    more = not exhausted and served < settings.inbox_max_entries and before is not None
    return {"items": items, "next_cursor": encode_cursor({"before": before, "served": str(served)}) if more else None}


def _hydrate(user_id: str, page: list[FeedEntry]) -> list[dict[str, Any]]:
    if not page:
        return []
    posts = posts_by_ids([e.post_id for e in page])
    followed = followed_accounts(user_id, {e.account_id for e in page})
    visible = [e for e in page
               if shows_in_feed(getattr(posts.get(e.post_id), "status", None), e.account_id in followed)]
    stale = [e for e in page if e not in visible]
    if stale:
        batch_write(inbox.InboxModel, delete_keys=[key_of(inbox.InboxModel, user_id, e.feed_key) for e in stale])
    accounts = accounts_by_ids(list({e.account_id for e in visible}))
    result = []
    for entry in visible:
        account = accounts.get(entry.account_id)
        if account is None:
            continue
        result.append({**post_view(posts[entry.post_id]), "handle": account.handle,
                       "display_name": account.display_name})
    return result
