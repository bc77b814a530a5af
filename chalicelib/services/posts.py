"""Post use cases: create (idempotent, quota-checked), read, list, take down."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache
from typing import Any

from chalicelib.auth import Principal
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.cursor import cursor_scope, decode_cursor, encode_cursor
from chalicelib.domain.errors import Forbidden, NotFound
from chalicelib.domain.ids import new_id
from chalicelib.domain.messages import ModerationMessage
from chalicelib.domain.posts import (
    CONTENT_FIELDS,
    PENDING_REVIEW,
    PUBLISHED,
    QUEUE_MODERATION,
    QUEUE_SCHEDULED,
    SCHEDULED,
    check_post_rules,
    section_of,
)
from chalicelib.domain.quota import quota_charge, quota_exceeded
from chalicelib.domain.tiers import PENALTY_TIER
from chalicelib.domain.visibility import may_see
from chalicelib.observability import POSTS_CREATED, QUOTA_REFUSALS, count, logger
from chalicelib.services import activity
from chalicelib.services.accounts import owned_account
from chalicelib.services.idempotency import check_idempotency_key, idempotent_create, run_once
from chalicelib.services.moderation import record_takedown
from chalicelib.services.pipeline import remove_post
from chalicelib.services.representations import post_view
from chalicelib.store import follows, queues
from chalicelib.store import posts as store
from chalicelib.store.accounts import AccountModel, get_account
from chalicelib.validation import validate_post


def _insert(account: AccountModel, author_id: str, body: dict[str, Any], idempotency_key: str | None) -> str:
    """Validate and store a new post, charge the quota, hand it to moderation; returns its id."""
    if account.tier == PENALTY_TIER:
        raise Forbidden("this account is in H1 (小黑屋) for violations and cannot publish until a moderator "
                        "releases it")
    body = validate_post(body)
    now = clock.now()
    publish_at = check_post_rules(body, now)
    publishes_at = publish_at if publish_at is not None and publish_at > now else now
    scheduled = publishes_at > now
    charge = quota_charge(account.tier, publishes_at)
    post_id = new_id(now)
    post = store.PostModel(
        post_id, account_id=account.account_id, author_id=author_id, type=body["type"], format=body["format"],
        section=section_of(body["type"]), status=SCHEDULED if scheduled else PENDING_REVIEW,
        content={k: body[k] for k in CONTENT_FIELDS if k in body},
        audience_groups=body.get("audience", {}).get("groups"), created_at=now,
        publish_at=publish_at if scheduled else None, quota_day=charge.day,
        # Sparse work queue: the scheduler publishes due posts and re-sends posts that
        # moderation has not picked up in time (a lost or failed send).
        queue=QUEUE_SCHEDULED if scheduled else QUEUE_MODERATION,
        queue_at=store.queue_time(publish_at if scheduled and publish_at else
                                  now + timedelta(seconds=settings.moderation_resend_after_s)),
    )
    try:
        store.insert_post(post, charge, idempotency_key)
    except store.QuotaFull as full:
        count(QUOTA_REFUSALS)
        raise quota_exceeded(charge, full.count, now) from None
    except store.KeyTaken as taken:
        post_id = taken.post_id
    else:
        count(POSTS_CREATED)
        if not scheduled:
            send_to_moderation(post_id)
    return post_id


def send_to_moderation(post_id: str) -> None:
    try:
        queues.send("moderation", ModerationMessage(post_id).to_json())
    except Exception:
        # The post is stored with a due time in the moderation work queue; the
        # scheduler re-sends it, so the client still gets its 202.
        logger.exception("moderation send failed; the scheduler will resend", post_id=post_id)


@lru_cache(maxsize=1)
def _create_once() -> Callable[..., dict[str, str]]:
    @idempotent_create
    def create(request: dict[str, Any]) -> dict[str, str]:
        account = get_account(request["account_id"])
        return {"post_id": _insert(account, request["author_id"], request["body"], request["idempotency_key"])}

    return create


def create_post(principal: Principal, account_id: str, body: Any, idempotency_key: str | None,
                lambda_context: Any = None) -> dict[str, Any]:
    """Create a post as the account's owner; a retried ``Idempotency-Key`` returns the first post."""
    owned_account(principal, account_id)
    if idempotency_key is None:
        post_id = _insert(get_account(account_id), principal.user_id, body, None)
    else:
        check_idempotency_key(idempotency_key)
        request = {"key": f"{account_id}#{idempotency_key}", "account_id": account_id,
                   "author_id": principal.user_id, "idempotency_key": idempotency_key, "body": body}
        post_id = run_once(_create_once(), request, lambda_context)["post_id"]
    post = store.get_post(post_id, consistent=True)
    if post.status == PENDING_REVIEW and post.queue == QUEUE_MODERATION and idempotency_key is not None:
        send_to_moderation(post_id)  # a retry may follow a lost send; moderation is idempotent
    return post_view(post, for_owner=True)


def can_see_everything(principal: Principal, post: store.PostModel) -> bool:
    if principal.is_moderator:
        return True
    return get_account(post.account_id).owner_id == principal.user_id


def sees(principal: Principal, post: store.PostModel) -> bool:
    """The visibility rule (:mod:`chalicelib.domain.visibility`) for this caller and post."""
    if post.status == PUBLISHED and not post.audience_groups:
        return True  # the common case costs no lookup
    if can_see_everything(principal, post):
        return True
    groups = follows.groups_of(post.account_id, principal.user_id) if post.audience_groups else None
    return may_see(post.status, [str(g) for g in post.audience_groups or ()], privileged=False, member_groups=groups)


def visible_post(principal: Principal, post_id: str, *, published: bool = False) -> store.PostModel:
    """A post the caller may see (``published``: and that is published); 404 otherwise, never 403."""
    post = store.get_post(post_id)
    if not sees(principal, post) or (published and post.status != PUBLISHED):
        raise NotFound(f"post {post_id} not found")
    return post


def get_post(principal: Principal, post_id: str) -> dict[str, Any]:
    post = visible_post(principal, post_id)
    activity.record_read(principal.user_id, post)
    return post_view(post, for_owner=post.status != PUBLISHED or can_see_everything(principal, post))


def account_posts(principal: Principal, account_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    account = get_account(account_id)
    is_owner = account.owner_id == principal.user_id
    fields = ("account_id", "post_id") if is_owner else ("account_id", "feed_key", "post_id")
    scope = cursor_scope("/accounts/{account_id}/posts", principal.user_id, account_id=account_id,
                         view="owner" if is_owner else "published")
    position = decode_cursor(cursor, fields, scope)
    items, last = store.account_posts_page(account_id, not is_owner, limit, position)
    if not (is_owner or principal.is_moderator) and any(p.audience_groups for p in items):
        groups = follows.groups_of(account_id, principal.user_id)
        items = [p for p in items
                 if may_see(p.status, [str(g) for g in p.audience_groups or ()], privileged=False,
                            member_groups=groups)]
    return {"items": [post_view(p, for_owner=is_owner) for p in items],
            "next_cursor": encode_cursor(last, scope) if last else None}


def take_down(principal: Principal, post_id: str) -> None:
    """Owner or moderator removes a post everywhere (idempotent)."""
    post = store.get_post(post_id, consistent=True)
    if not can_see_everything(principal, post):
        if sees(principal, post):
            raise Forbidden("only the owner or a moderator may take a post down")
        raise NotFound(f"post {post_id} not found")
    is_owner = get_account(post.account_id).owner_id == principal.user_id
    previous_status = post.status
    remove_post(post, by=principal.user_id, reason="removed by owner" if is_owner else "taken down by a moderator")
    if not is_owner:
        record_takedown(principal, post, previous_status)
