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

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.auth import Principal
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.activity import day_of
from chalicelib.domain.cursor import decode_cursor, encode_cursor
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.ids import new_id
from chalicelib.domain.posts import CONTENT_FIELDS, feed_key, section_of
from chalicelib.domain.ranking import hot_list_config, recent_bucket
from chalicelib.services import activity, notifications
from chalicelib.services.pipeline import start_fan_out
from chalicelib.services.posts import MAX_KEY_LENGTH, send_to_moderation
from chalicelib.services.views import post_view
from chalicelib.store import activity as activity_store
from chalicelib.store import posts as store
from chalicelib.store.accounts import get_account
from chalicelib.store.base import flat_key, raw_key
from chalicelib.validation import validate_post

# Fields an owner's post may carry but a fan's submission may not.
OWNER_ONLY_FIELDS = ("audience", "publish_at")


def submit(principal: Principal, account_id: str, body: Any, idempotency_key: str | None) -> dict[str, Any]:
    """Send a buyer show to an account; it is held for moderation (202)."""
    account = get_account(account_id)
    if not isinstance(body, dict):
        raise InvalidInput("buyer show must be a JSON object",
                           details=[{"pointer": "", "message": "must be an object"}])
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
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_KEY_LENGTH:
        raise InvalidInput("Idempotency-Key must be 1 to 128 characters",
                           details=[{"pointer": "/headers/Idempotency-Key", "message": "1 to 128 characters"}])
    now = clock.now()
    post = store.PostModel(
        new_id(now), account_id=account.account_id, author_id=principal.user_id, type="buyer_show",
        format=body["format"], section=section_of("buyer_show"), status="pending_review",
        content={k: body[k] for k in CONTENT_FIELDS if k in body}, created_at=now, fan_submission=True,
        queue="moderation", queue_at=store.queue_time(now + timedelta(seconds=settings.moderation_resend_after_s)))
    # The key is the fan's own (namespaced), so it cannot collide with the owner's keys.
    key = f"buyer-show#{principal.user_id}#{idempotency_key}" if idempotency_key else None
    try:
        store.insert_post(post, None, key)
    except store.KeyTaken as taken:
        return post_view(store.get_post(taken.post_id, consistent=True))
    send_to_moderation(post.post_id)
    activity.record_engagement(principal.user_id, account.account_id, "buyer_shows")
    return post_view(store.get_post(post.post_id, consistent=True))


def wall(principal: Principal, account_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """The account's approved buyer shows, newest first (featured ones say so)."""
    get_account(account_id)
    position = decode_cursor(cursor, ("wall_account", "post_id"))
    results = store.PostModel.buyer_show_wall.query(account_id, scan_index_forward=False, limit=limit,
                                                    filter_condition=store.PostModel.status == "published",
                                                    last_evaluated_key=raw_key(position))
    items = list(results)
    last = flat_key(results.last_evaluated_key)
    return {"items": [post_view(p) for p in items], "next_cursor": encode_cursor(last) if last else None}


def feature(principal: Principal, post_id: str) -> dict[str, Any]:
    """The owner features a fan's buyer show; the day's first featured one is pushed to followers."""
    post = store.get_post(post_id, consistent=True)
    if get_account(post.account_id).owner_id != principal.user_id:
        if post.status == "published":
            raise Forbidden("only the account's owner may feature a buyer show")
        raise NotFound(f"post {post_id} not found")
    if not post.fan_submission or post.status != "published":
        raise Conflict("only a fan's buyer show that passed moderation can be featured",
                       details=[{"pointer": "/post_id", "message": f"post is {post.status}"
                                 + ("" if post.fan_submission else " and not a fan's buyer show")}])
    now = clock.now()
    if post.featured_at is None:
        post.update(actions=[store.PostModel.featured_at.set(now)])
        notifications.buyer_show(post.account_id, post_id, "featured", post.author_id)
    day = day_of(now)
    if post.feed_key is None and activity_store.claim_featured_push(post.account_id, day, post_id):
        _push(post, now)
    view = post_view(post)
    return {**view, "pushed": post.feed_key is not None}


def _push(post: store.PostModel, now: datetime) -> None:
    """Give the buyer show its place in feeds and fan it out to every follower (once)."""
    key = feed_key(now, post.post_id)
    try:
        post.update(actions=[store.PostModel.feed_key.set(key),
                             store.PostModel.section_feed_key.set(f"{post.section}#{key}"),
                             store.PostModel.recent_bucket.set(
                                 recent_bucket(now, post.post_id, hot_list_config().bucket_shards))],
                    condition=(store.PostModel.status == "published") & store.PostModel.feed_key.does_not_exist())
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        post.refresh(consistent_read=True)  # pushed by a concurrent call, or taken down meanwhile
        return
    start_fan_out(post)
