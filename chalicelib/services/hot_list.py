"""The hot list (精选热榜): rebuilt by a schedule, served from storage.

The job reads the posts published in the window through the sparse ``recent`` index
(one keys-only Query per day-and-shard bucket, never a scan), loads them and their
accounts with BatchGetItem, keeps what may enter (published, eligible tier, never
H1), ranks them (:mod:`chalicelib.domain.ranking`) and writes one item per list.
``GET /hot`` reads one list item and hydrates it; it re-checks each post and
account, so a post taken down or an account sent to H1 after the last run never shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.auth import Principal
from chalicelib.domain import clock
from chalicelib.domain.cursor import cursor_int, cursor_scope, decode_cursor, encode_cursor
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.ranking import ALL, Candidate, hot_list_config, may_enter, rank, recent_buckets
from chalicelib.domain.visibility import is_targeted
from chalicelib.observability import logger
from chalicelib.services.representations import post_view
from chalicelib.store import hot_list as store
from chalicelib.store.accounts import accounts_by_ids
from chalicelib.store.posts import posts_by_ids

MAX_CATEGORY_CHARS = 64


def _may_enter(post: Any, tier: str) -> bool:
    return may_enter(post.status, tier, is_targeted(post.audience_groups))


def rebuild_hot_list(now: datetime | None = None) -> dict[str, Any]:
    """Rank the window's posts and store the overall and per-category lists."""
    now = now or clock.now()
    config = hot_list_config()
    posts = posts_by_ids(store.recent_post_ids(recent_buckets(now, config)))
    accounts = accounts_by_ids(list({p.account_id for p in posts.values()}))
    candidates = []
    for post in posts.values():
        account = accounts.get(post.account_id)
        if account is None or post.published_at is None or not _may_enter(post, account.tier):
            continue
        candidates.append(Candidate(
            post_id=post.post_id, category=account.category, published_at=post.published_at,
            reads=int(post.reads), likes=int(post.likes), comments=int(post.comments),
            votes=sum(int(n) for n in post.votes or []),  # type: ignore[call-overload]
            preferred_store="preferred_store" in (account.labels or ())))
    lists = rank(candidates, now, config)

    def entries(key: str) -> list[dict[str, Any]]:
        return [{"post_id": r.post_id, "score": r.score} for r in lists.get(key, [])]

    written = store.save_lists(entries(ALL), {c: entries(c) for c in lists if c != ALL}, now)
    summary = {"candidates": len(posts), "ranked": len(lists.get(ALL, [])), "lists": written}
    logger.info("hot list rebuilt", extra=summary)
    return summary


def hot_list(principal: Principal, category: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of the stored hot list (overall, or of one account category)."""
    if category is not None and not 0 < len(category.strip()) <= MAX_CATEGORY_CHARS:
        raise InvalidInput(f"category must be 1 to {MAX_CATEGORY_CHARS} characters",
                           details=[{"pointer": "/category", "message": f"1 to {MAX_CATEGORY_CHARS} characters"}])
    scope = cursor_scope("/hot", principal.user_id, category=category)
    position = decode_cursor(cursor, ("offset",), scope)
    offset = cursor_int(position, "offset") if position else 0
    stored = store.get_list(store.category_list_id(category) if category else store.ALL_LIST)
    entries = stored.entries if stored else []
    page = entries[offset:offset + limit]
    posts = posts_by_ids([e["post_id"] for e in page])
    accounts = accounts_by_ids(list({p.account_id for p in posts.values()}))
    items = []
    for rank_index, entry in enumerate(page, start=offset + 1):
        post = posts.get(entry["post_id"])
        account = accounts.get(post.account_id) if post else None
        if post is None or account is None or not _may_enter(post, account.tier):
            continue
        items.append({**post_view(post), "handle": account.handle, "display_name": account.display_name,
                      "category": account.category, "rank": rank_index, "score": entry["score"]})
    more = offset + limit < len(entries)
    return {"items": items, "category": category, "computed_at": clock.rfc3339(stored.computed_at) if stored else None,
            "next_cursor": encode_cursor({"offset": str(offset + limit)}, scope) if more else None}
