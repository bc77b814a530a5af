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

from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from chalicelib.auth import Principal
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.clock import epoch_millis
from chalicelib.domain.cursor import cursor_int, cursor_scope, decode_cursor, encode_cursor
from chalicelib.domain.delivery_modes import PullWindow, choose_windows, pulled_post_shows
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.feed import FeedEntry, FeedSource, shows_in_feed, take_newest, window_from_recent
from chalicelib.domain.posts import SECTIONS
from chalicelib.services import activity, background
from chalicelib.services.representations import post_view
from chalicelib.store import delivery_state, inbox, read_cache
from chalicelib.store.accounts import accounts_by_ids
from chalicelib.store.posts import posts_by_ids, published_between

# A page whose entries were all stale (taken down, unfollowed) reads on, but at most
# this many rounds, so a page costs a bounded number of store calls.
MAX_ROUNDS = 3
# Reads of one page that do not depend on each other run at once (one round trip
# instead of several); the pool lives as long as the process (a Lambda container).
_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="feed-read")
# A pulled account's newest posts per section are read once per container and TTL
# (store/read_cache.py) and shared by all its fans' pages; older pages query the store.
RECENT_POSTS = 50


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
    # The fan's pull windows come from this container's cache; when they are not there the
    # inbox is read while they are listed (independent reads run at once).
    if read_cache.PULL_WINDOWS.get(user_id) is None:
        listing = _POOL.submit(_pull_windows, user_id)
        if want > 0:
            inbox_source.refill(want)
        listed = listing.result()
    else:
        listed = _pull_windows(user_id)
    windows = choose_windows((PullWindow(w.account_id, w.since, w.until) for w in listed),
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
    # One message per page, not waited for; stamped with the read's time, not the send's.
    background.later(activity.record_impressions, user_id, items, clock.now())
    resume = {"before": before, "served": str(served)} if more and before is not None else None
    next_cursor = encode_cursor(resume, scope) if resume else None
    return {"items": items, "next_cursor": next_cursor}


def _all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run independent store reads concurrently (the first inline, the others on the pool)."""
    if len(calls) <= 1:
        return [call() for call in calls]
    futures = [_POOL.submit(call) for call in calls[1:]]
    return [calls[0](), *(future.result() for future in futures)]


def _inbox_fetch(user_id: str, section: str) -> Any:
    def fetch(before: str | None, want: int) -> list[FeedEntry]:
        return [FeedEntry(e.feed_key, e.post_id, e.account_id)
                for e in inbox.inbox_page(user_id, section, before, want)]
    return fetch


def _pull_windows(user_id: str) -> list[Any]:
    """The fan's pull windows (cached and renewed in the background, else one Query)."""
    return _through_cache(read_cache.PULL_WINDOWS, [user_id],
                          lambda users: {u: delivery_state.pulled_accounts(u) for u in users})[user_id]


def _pull_fetch(window: PullWindow, section: str) -> Any:
    def fetch(before: str | None, want: int) -> list[FeedEntry]:
        posts = _recent_posts(window.account_id, section, window.since, window.upper(before), want)
        return [FeedEntry(p.feed_key, p.post_id, p.account_id, pulled=True) for p in posts if p.feed_key]
    return fetch


def _recent_posts(account_id: str, section: str, since: str, upper: str | None, want: int) -> list[Any]:
    """A pull from the account's cached newest posts when they cover it, else one Query."""
    def read(keys: list[tuple[str, str]]) -> dict[tuple[str, str], list[Any]]:
        # feed keys are digits first, so "0" is below every one of them
        return {(a, s): published_between(a, s, "0", None, RECENT_POSTS) for a, s in keys}
    newest = _through_cache(read_cache.RECENT_POSTS, [(account_id, section)], read)[(account_id, section)]
    picked = window_from_recent([p.feed_key or "" for p in newest], len(newest) < RECENT_POSTS, since, upper, want)
    if picked is None:
        return published_between(account_id, section, since, upper, want)
    return [newest[i] for i in picked]


def _follows(user_id: str, account_ids: set[str]) -> dict[str, Any]:
    """The fan's follows of these accounts (cached, the rest in one BatchGetItem)."""
    def read(keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        return {(a, user_id): f for a, f in delivery_state.follows_of(user_id, {a for a, _ in keys}).items()}
    found = _through_cache(read_cache.FOLLOWS, [(a, user_id) for a in sorted(account_ids)], read)
    return {a: f for (a, _), f in found.items()}


def _posts(post_ids: list[str]) -> dict[str, Any]:
    """Posts by id (cached, the rest in one BatchGetItem)."""
    return _through_cache(read_cache.POSTS, post_ids, posts_by_ids)


def _accounts(account_ids: set[str]) -> dict[str, Any]:
    """Accounts by id (cached, the rest in one BatchGetItem)."""
    return _through_cache(read_cache.ACCOUNTS, sorted(account_ids), accounts_by_ids)


_refreshing: set[Hashable] = set()  # keys a background refresh is reading now


def _through_cache(cache: read_cache.TtlCache[Any, Any], keys: list[Any],
                   read: Callable[[list[Any]], dict[Any, Any]]) -> dict[Any, Any]:
    """Cached values of ``keys``; missing ones are read now, aging ones re-read in the
    background (at most one refresh per key at a time). Only what was found is cached."""
    drops = cache.drops
    found, aging = cache.get_aging(keys)
    missing = [k for k in keys if k not in found]
    if missing:
        fresh = read(missing)
        cache.put_many(fresh, read_after=drops)
        found.update(fresh)
    stale = [k for k in aging if k not in _refreshing]
    if stale:
        _refreshing.update(stale)
        background.later(_refresh, cache, stale, read)
    return found


def _refresh(cache: read_cache.TtlCache[Any, Any], keys: list[Any],
             read: Callable[[list[Any]], dict[Any, Any]]) -> None:
    drops = cache.drops
    try:
        fresh = read(keys)
        cache.put_many(fresh, read_after=drops)
    finally:
        _refreshing.difference_update(keys)


def _hydrate(user_id: str, page: list[FeedEntry]) -> list[dict[str, Any]]:
    if not page:
        return []
    # Posts, follows and accounts are read at once (accounts of every entry: those of
    # entries that turn out hidden are read for nothing, one round trip is saved).
    # Posts, follows and accounts usually come from this container's caches
    # (store/read_cache.py); what is missing is read at once, in one round trip.
    account_ids = {e.account_id for e in page}
    posts, follows, accounts = _all_at_once([lambda: _posts([e.post_id for e in page]),
                                             lambda: _follows(user_id, account_ids),
                                             lambda: _accounts(account_ids)])

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
        inbox.drop_entries(user_id, [e.feed_key for e in stale])
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
