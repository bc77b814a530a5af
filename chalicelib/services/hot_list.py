"""The hot list (精选热榜): rebuilt by a schedule, served from storage.

The job reads the posts published in the window through the sparse ``recent`` index
(one keys-only Query per day-and-shard bucket, never a scan), loads them and their
accounts with BatchGetItem, keeps what may enter (published, eligible tier, never
H1), ranks them (:mod:`chalicelib.domain.ranking`) and writes one item per list.
``GET /hot`` reads one list item and hydrates it; it re-checks each post and
account, so a post taken down or an account sent to H1 after the last run never shows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.auth import OPERATOR, Principal
from chalicelib.domain import clock
from chalicelib.domain.cursor import cursor_int, cursor_scope, decode_cursor, encode_cursor
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.ranking import ALL, Candidate, hot_list_config, may_be_picked, may_enter, rank, recent_buckets
from chalicelib.domain.tiers import PENALTY_TIER
from chalicelib.domain.visibility import is_targeted
from chalicelib.observability import logger
from chalicelib.services import notifications
from chalicelib.services.representations import post_view
from chalicelib.store import audit, hot_picks
from chalicelib.store import hot_list as store
from chalicelib.store.accounts import accounts_by_ids, get_account
from chalicelib.store.audit import audit_entry
from chalicelib.store.posts import get_post, posts_by_ids
from chalicelib.validation import validate

MAX_CATEGORY_CHARS = 64
MAX_PICK_DAYS = 30


def _may_enter(post: Any, tier: str) -> bool:
    return may_enter(post.status, tier, is_targeted(post.audience_groups))


def _targeted(post: Any) -> bool:
    return is_targeted(post.audience_groups)


def _may_be_picked(post: Any, tier: str) -> bool:
    return may_be_picked(post.status, tier, _targeted(post))


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

    previous = store.get_list(store.ALL_LIST)
    listed_before = {e["post_id"] for e in (previous.entries or [])} if previous else set()
    written = store.save_lists(entries(ALL), {c: entries(c) for c in lists if c != ALL}, now)
    notifications.entered_hot_list([(posts[r.post_id].account_id, r.post_id) for r in lists.get(ALL, [])
                                    if r.post_id not in listed_before])
    summary = {"candidates": len(posts), "ranked": len(lists.get(ALL, [])), "lists": written}
    logger.info("hot list rebuilt", extra=summary)
    return summary


def hot_list(principal: Principal, category: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of the stored hot list (overall, or of one account category), live picks first.

    Every item says whether it is ``picked``; a pick of a post taken down or of an account
    in H1 never shows, and a picked post is not repeated further down.
    """
    if category is not None and not 0 < len(category.strip()) <= MAX_CATEGORY_CHARS:
        raise InvalidInput(f"category must be 1 to {MAX_CATEGORY_CHARS} characters",
                           details=[{"pointer": "/category", "message": f"1 to {MAX_CATEGORY_CHARS} characters"}])
    scope = cursor_scope("/hot", principal.user_id, category=category)
    position = decode_cursor(cursor, ("offset",), scope)
    offset = cursor_int(position, "offset") if position else 0
    list_id = store.category_list_id(category) if category else store.ALL_LIST
    stored = store.get_list(list_id)
    picked = [p.post_id for p in hot_picks.live_picks(list_id, clock.now())]
    scores = {e["post_id"]: e["score"] for e in (stored.entries if stored else [])}
    combined = picked + [post_id for post_id in scores if post_id not in set(picked)]
    page = combined[offset:offset + limit]
    posts = posts_by_ids(page)
    accounts = accounts_by_ids(list({p.account_id for p in posts.values()}))
    items = []
    for rank_index, post_id in enumerate(page, start=offset + 1):
        post = posts.get(post_id)
        account = accounts.get(post.account_id) if post else None
        is_pick = post_id in picked
        if post is None or account is None:
            continue
        if not (_may_be_picked(post, account.tier) if is_pick else _may_enter(post, account.tier)):
            continue
        items.append({**post_view(post), "handle": account.handle, "display_name": account.display_name,
                      "category": account.category, "rank": rank_index, "score": scores.get(post_id, 0.0),
                      "picked": is_pick})
    more = offset + limit < len(combined)
    return {"items": items, "category": category, "computed_at": clock.rfc3339(stored.computed_at) if stored else None,
            "next_cursor": encode_cursor({"offset": str(offset + limit)}, scope) if more else None}


def pick(principal: Principal, post_id: str, body: Any) -> dict[str, Any]:
    """``PUT /ops/hot/picks/{post_id}``: pin a published post into a hot list until a time (audited)."""
    principal.require(OPERATOR)
    fields = validate("hot_pick", body)
    now = clock.now()
    try:
        until = clock.parse_rfc3339(fields["until"])
    except ValueError:
        message = "must be an RFC 3339 time with an offset"
        raise InvalidInput(f"until {message}", details=[{"pointer": "/until", "message": message}]) from None
    if not now < until <= now + timedelta(days=MAX_PICK_DAYS):
        raise InvalidInput(f"until must be in the future and at most {MAX_PICK_DAYS} days away",
                           details=[{"pointer": "/until", "message": f"must be within the next {MAX_PICK_DAYS} days"}])
    category = fields.get("category")
    if category is not None and not category.strip():
        raise InvalidInput("category must not be blank", details=[{"pointer": "/category", "message": "is blank"}])
    post = get_post(post_id)
    account = get_account(post.account_id)
    if not _may_be_picked(post, account.tier):
        why = ("its account is in H1" if account.tier == PENALTY_TIER else
               "it is limited to fan groups" if _targeted(post) else f"it is {post.status}")
        raise Conflict(f"post {post_id} cannot be picked: {why}")
    saved = hot_picks.pin(post_id, post.account_id, category, until, principal.user_id, now)
    audit.append(audit_entry(post.account_id, "hot_pick", principal.user_id, f"picked into {saved.list_id}", now,
                             post_id=post_id, details={"until": clock.rfc3339(until), "category": category}))
    return _pick_view(saved)


def unpick(principal: Principal, post_id: str) -> None:
    """``DELETE /ops/hot/picks/{post_id}``: end a pick now (idempotent; audited when there was one)."""
    principal.require(OPERATOR)
    removed = hot_picks.unpin(post_id)
    if removed is not None:
        audit.append(audit_entry(removed.account_id, "hot_unpick", principal.user_id,
                                 f"unpicked from {removed.list_id}", clock.now(), post_id=post_id))


def _pick_view(pick: hot_picks.HotPickModel) -> dict[str, Any]:
    category = pick.list_id.partition("#")[2] if pick.list_id != store.ALL_LIST else None
    return {"post_id": pick.post_id, "account_id": pick.account_id, "category": category,
            "until": clock.rfc3339(pick.until), "picked_by": pick.picked_by, "picked_at": clock.rfc3339(pick.picked_at),
            "picked": True}
