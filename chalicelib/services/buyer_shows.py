"""Buyer shows (买家秀): fans send photos or a short video of a product to an account.

A submission is a ``buyer_show`` post of the account, written by the fan, marked
``fan_submission``. It goes through the same moderation chain as any post; once
approved it is ``published`` on the account's buyer-show wall but not delivered to
followers (it has no feed key). The owner can feature it; the first buyer show
featured on an Asia/Shanghai day is pushed to all followers, on top of the daily
quota (no quota is charged, and it is not counted as the account's manual post).
Later ones that day are featured on the wall only; featuring one again on a later
day pushes it then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from chalicelib.auth import Principal
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.cursor import cursor_scope, decode_cursor, encode_cursor
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.ids import new_id
from chalicelib.domain.posts import (
    CONTENT_FIELDS,
    PENDING_REVIEW,
    PUBLISHED,
    QUEUE_MODERATION,
    feed_keys_of,
    section_of,
)
from chalicelib.domain.ranking import hot_list_config
from chalicelib.domain.tiers import PENALTY_TIER
from chalicelib.services import activity, notifications
from chalicelib.services.idempotency import check_idempotency_key, idempotent_create, run_once
from chalicelib.services.post_events import BuyerShowPushed
from chalicelib.services.posts import send_to_moderation
from chalicelib.services.representations import post_view
from chalicelib.services.subscribers import emit
from chalicelib.store import activity as activity_store
from chalicelib.store import posts as store
from chalicelib.store.accounts import get_account
from chalicelib.validation import validate_post

# Fields an owner's post may carry but a fan's submission may not.
OWNER_ONLY_FIELDS = ("audience", "publish_at")


def submit(principal: Principal, account_id: str, body: Any, idempotency_key: str | None,
           lambda_context: Any = None) -> dict[str, Any]:
    """Send a buyer show to an account; it is held for moderation (202).

    A retried ``Idempotency-Key`` returns the first submission; reused with another body, a 409.
    """
    account = get_account(account_id)
    if not isinstance(body, dict):
        raise InvalidInput("buyer show must be a JSON object",
                           details=[{"pointer": "", "message": "must be an object"}])
    sent = body
    body = {"type": "buyer_show", **body}
    if body["type"] != "buyer_show":
        raise InvalidInput("a buyer show has type buyer_show",
                           details=[{"pointer": "/type", "message": "must be buyer_show"}])
    extra = [name for name in OWNER_ONLY_FIELDS if name in body]
    if extra:
        raise InvalidInput("a buyer show cannot be targeted or scheduled",
                           details=[{"pointer": f"/{name}", "message": "is not allowed in a buyer show"}
                                    for name in extra])
    body = validate_post(body)
    check_idempotency_key(idempotency_key)
    if idempotency_key is None:
        post_id = _insert_submission(account.account_id, principal.user_id, body, None)
    else:
        # The key is the fan's own (namespaced), so it cannot collide with the owner's keys.
        key = f"buyer-show#{principal.user_id}#{idempotency_key}"
        request = {"key": key, "account_id": account.account_id, "author_id": principal.user_id,
                   "body": sent, "validated": body}
        post_id = run_once(_submit_once(), request, lambda_context)["post_id"]
    return post_view(store.get_post(post_id, consistent=True))


def _insert_submission(account_id: str, author_id: str, body: dict[str, Any], key: str | None) -> str:
    now = clock.now()
    post = store.PostModel(
        new_id(now), account_id=account_id, author_id=author_id, type="buyer_show",
        format=body["format"], section=section_of("buyer_show"), status=PENDING_REVIEW,
        content={k: body[k] for k in CONTENT_FIELDS if k in body}, created_at=now, fan_submission=True,
        queue=QUEUE_MODERATION, queue_at=store.queue_time(now + timedelta(seconds=settings.moderation_resend_after_s)))
    try:
        store.insert_post(post, None, key)
    except store.KeyTaken as taken:
        return taken.post_id
    send_to_moderation(post.post_id)
    activity.record_engagement(author_id, account_id, "buyer_shows")
    return post.post_id


@lru_cache(maxsize=1)
def _submit_once() -> Callable[..., dict[str, str]]:
    @idempotent_create
    def submit_buyer_show(request: dict[str, Any]) -> dict[str, str]:
        return {"post_id": _insert_submission(request["account_id"], request["author_id"], request["validated"],
                                              request["key"])}

    return submit_buyer_show


def wall(principal: Principal, account_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """The account's approved buyer shows, newest first (featured ones say so)."""
    get_account(account_id)
    scope = cursor_scope("/accounts/{account_id}/buyer-shows", principal.user_id, wall_account=account_id)
    position = decode_cursor(cursor, ("wall_account", "post_id"), scope)
    items, last = store.buyer_show_wall_page(account_id, limit, position)
    return {"items": [post_view(p) for p in items], "next_cursor": encode_cursor(last, scope) if last else None}


def feature(principal: Principal, post_id: str) -> dict[str, Any]:
    """The owner features a fan's buyer show; the day's first featured one is pushed to followers."""
    post = store.get_post(post_id, consistent=True)
    account = get_account(post.account_id)
    if account.owner_id != principal.user_id:
        if post.status == PUBLISHED:
            raise Forbidden("only the account's owner may feature a buyer show")
        raise NotFound(f"post {post_id} not found")
    if account.tier == PENALTY_TIER:
        # Featuring pushes to every follower: an H1 account reaches nobody until released.
        raise Forbidden("this account is in H1 (小黑屋) for violations and cannot feature buyer shows until a "
                        "moderator releases it")
    if not post.fan_submission or post.status != PUBLISHED:
        raise Conflict("only a fan's buyer show that passed moderation can be featured",
                       details=[{"pointer": "/post_id", "message": f"post is {post.status}"
                                 + ("" if post.fan_submission else " and not a fan's buyer show")}])
    now = clock.now()
    if post.featured_at is None:
        notifications.buyer_show(post.account_id, post_id, "featured", post.author_id)
    store.feature(post, now)
    day = clock.day_of(now)
    if post.feed_key is None and activity_store.claim_featured_push(post.account_id, day, post_id):
        _push(post, now)
    view = post_view(post)
    return {**view, "pushed": post.feed_key is not None}


def _push(post: store.PostModel, now: datetime) -> None:
    """Give the buyer show its place in feeds and fan it out to every follower (once)."""
    if store.push_to_feeds(post, feed_keys_of(post.post_id, post.section, now, hot_list_config().bucket_shards)):
        emit(BuyerShowPushed(post, now))
