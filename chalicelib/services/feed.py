"""The home feed: newest first, by section, hydrated in a bounded number of store calls.

A page merges the inbox (posts pushed on write) with the posts of the followed
accounts that are pulled at read time (hybrid fan-out, ``services.delivery_switch``), newest
first by feed key; the cursor is the last feed key served, whatever source it came
from, so pages neither repeat nor skip.

Store calls per page: 1 Query listing the fan's pull windows, then per round 1 inbox
Query, 1 Query per pulled account whose buffered posts ran out (at most
``HYBRID_MAX_PULLED`` accounts, the open windows first), 3 BatchGetItem (posts,
follows, accounts) and, only when stale entries were met, 1 BatchWriteItem for the
inbox and 1 for pull windows. Rounds are capped by :data:`MAX_ROUNDS`, so a page costs
at most ``1 + MAX_ROUNDS * (HYBRID_MAX_PULLED + 6)`` calls; a page of a fan who pulls
nothing usually costs 5, one pulling P accounts 5 + P. Reads that do not depend on
each other run at once, so a page takes about three round trips, not one per call.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from chalicelib.auth import Principal
from chalicelib.config import settings
from chalicelib.domain.clock import epoch_millis
from chalicelib.domain.cursor import cursor_int, cursor_scope, decode_cursor, encode_cursor
from chalicelib.domain.delivery_modes import PullWindow, choose_windows, pulled_post_shows
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.feed import FeedEntry, FeedSource, shows_in_feed, take_newest
from chalicelib.domain.posts import SECTIONS
from chalicelib.services import activity
from chalicelib.services.representations import post_view
from chalicelib.store import delivery_state, inbox
from chalicelib.store.accounts import accounts_by_ids
from chalicelib.store.batch import batch_write, key_of
from chalicelib.store.posts import posts_by_ids, published_between

# A page whose entries were all stale (taken down, unfollowed) reads on, but at most
# this many rounds, so a page costs a bounded number of store calls.
MAX_ROUNDS = 3
# Reads of one page that do not depend on each other run at once (one round trip
# instead of several); the pool lives as long as the process (a Lambda container).
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="feed-read")


def read_feed(principal: Principal, section: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of the caller's home feed (inbox merged with pulled accounts).

    Entries that no longer show (taken down, unfollowed) are dropped; stale inbox
    entries and pull windows of unfollowed accounts are deleted when met.
    """
    section = section or "all"
    if section not in SECTIONS:
        raise InvalidInput(f"section must be one of {', '.join(SECTIONS)}",
                           details=[{"pointer": "/section", "message": f"must be one of {', '.join(SECTIONS)}"}])
    scope = cursor_scope("/me/feed", principal.user_id, section=section)
    position = decode_cursor(cursor, ("before", "served"), scope)
    before = position["before"] if position else None
    served = cursor_int(position, "served") if position else 0
    user_id = principal.user_id
    inbox_source = FeedSource(_inbox_fetch(user_id, section), before)
    want = min(limit, settings.inbox_max_entries - served)
    # The inbox is read while the pull windows are listed (independent reads run at once).
    listed = _POOL.submit(delivery_state.pulled_accounts, user_id)
    if want > 0:
        inbox_source.refill(want)
    windows = choose_windows((PullWindow(w.account_id, w.since, w.until) for w in listed.result()),
                             before, settings.hybrid_max_pulled)
    sources = [inbox_source] + [FeedSource(_pull_fetch(window, section), before) for window in windows]
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _ in range(MAX_ROUNDS):
        want = min(limit - len(items), settings.inbox_max_entries - served)
        if want <= 0:
            break
        _all_at_once([partial(source.refill, want) for source in sources if source.needs_refill])
        page = take_newest(sources, want, seen)
        if page:
            before = page[-1].feed_key
        items += _hydrate(user_id, page)
        served += len(page)
        if all(s.done for s in sources) or len(items) >= limit:
            break
    more = not all(s.done for s in sources) and served < settings.inbox_max_entries and before is not None
    activity.record_impressions(user_id, items)  # one message for the whole page
    resume = {"before": before, "served": str(served)} if more and before is not None else None
    next_cursor = encode_cursor(resume, scope) if resume else None
    return {"items": items, "next_cursor": next_cursor}


def _all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run independent store reads concurrently (inline when there is just one)."""
    if len(calls) <= 1:
        return [call() for call in calls]
    return [future.result() for future in [_POOL.submit(call) for call in calls]]


def _inbox_fetch(user_id: str, section: str) -> Any:
    def fetch(before: str | None, want: int) -> list[FeedEntry]:
        return [FeedEntry(e.feed_key, e.post_id, e.account_id)
                for e in inbox.inbox_page(user_id, section, before, want)]
    return fetch


def _pull_fetch(window: PullWindow, section: str) -> Any:
    def fetch(before: str | None, want: int) -> list[FeedEntry]:
        posts = published_between(window.account_id, section, window.since, window.upper(before), want)
        return [FeedEntry(p.feed_key, p.post_id, p.account_id, pulled=True) for p in posts if p.feed_key]
    return fetch


def _hydrate(user_id: str, page: list[FeedEntry]) -> list[dict[str, Any]]:
    if not page:
        return []
    # Posts, follows and accounts are read at once (accounts of every entry: those of
    # entries that turn out hidden are read for nothing, one round trip is saved).
    posts, follows, accounts = _all_at_once([lambda: posts_by_ids([e.post_id for e in page]),
                                             lambda: delivery_state.follows_of(user_id, {e.account_id for e in page}),
                                             lambda: accounts_by_ids(list({e.account_id for e in page}))])

    def shows(entry: FeedEntry) -> bool:
        post, follow = posts.get(entry.post_id), follows.get(entry.account_id)
        if not shows_in_feed(getattr(post, "status", None), follow is not None):
            return False
        if not entry.pulled or post is None or follow is None:
            return True
        return pulled_post_shows(entry.feed_key, epoch_millis(follow.followed_at),
                                 post.audience_groups, follow.groups)

    visible = [e for e in page if shows(e)]
    stale = [e for e in page if not e.pulled and e not in visible]
    if stale:
        batch_write(inbox.InboxModel, delete_keys=[key_of(inbox.InboxModel, user_id, e.feed_key) for e in stale])
    unfollowed = {e.account_id for e in page if e.pulled and e.account_id not in follows}
    delivery_state.remove_pulled(user_id, sorted(unfollowed))
    result = []
    for entry in visible:
        account = accounts.get(entry.account_id)
        if account is None:
            continue
        result.append({**post_view(posts[entry.post_id]), "handle": account.handle,
                       "display_name": account.display_name})
    return result
