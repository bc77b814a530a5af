"""Moderator use cases: the review queue, decisions, H1 (小黑屋), strikes and the audit trail.

Every decision is written in the same transaction as its audit entry
(:mod:`chalicelib.store.audit`); an approval publishes through the pipeline with its
entry. Only moderators reach any of this.
"""

from __future__ import annotations

from typing import Any

from chalicelib.auth import MODERATOR, Principal
from chalicelib.domain import clock
from chalicelib.domain.clock import rfc3339
from chalicelib.domain.cursor import cursor_scope, decode_cursor, encode_cursor
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.posts import FINAL_STATUSES, PENDING_REVIEW, QUEUE_REVIEW
from chalicelib.domain.tiers import NEW_ACCOUNT_TIER, PENALTY_TIER
from chalicelib.observability import logger
from chalicelib.services import notifications
from chalicelib.services.pipeline import publish
from chalicelib.services.post_events import PostRejected
from chalicelib.services.representations import account_view, post_view
from chalicelib.services.strikes import active_strikes, enforce_strike_limit, strike_rule
from chalicelib.services.subscribers import notify
from chalicelib.store import audit, strikes
from chalicelib.store.accounts import get_account
from chalicelib.store.posts import PostModel, get_post, queue_page, rejection_actions
from chalicelib.validation import validate

MODERATOR_HOOK = "moderator"


def review_queue(principal: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    """Posts held for review, oldest first (moderators see the hook results)."""
    principal.require(MODERATOR)
    scope = cursor_scope("/moderation/queue", principal.user_id, queue=QUEUE_REVIEW)
    position = decode_cursor(cursor, ("queue", "queue_at", "post_id"), scope)
    items, last = queue_page(QUEUE_REVIEW, limit, position)
    return {"items": [post_view(p, for_owner=True) for p in items],
            "next_cursor": encode_cursor(last, scope) if last else None}


def _held_post(post_id: str) -> PostModel:
    post = get_post(post_id, consistent=True)
    if post.status != PENDING_REVIEW or post.queue != QUEUE_REVIEW:
        raise Conflict(f"post {post_id} is not held for review (status {post.status})",
                       details=[{"pointer": "/decision", "message": f"the post is {post.status}"}])
    return post


def decide(principal: Principal, post_id: str, body: Any) -> dict[str, Any]:
    """Approve (publish and fan out) or reject (with a strike unless ``violation`` is false) a held post."""
    principal.require(MODERATOR)
    body = validate("decision", body)
    post = _held_post(post_id)
    now = clock.now()
    decision = body["decision"]
    reason = body.get("reason", "approved by a moderator" if decision == "approve" else "")
    record = {"hook": MODERATOR_HOOK, "outcome": decision, "reason": "moderator_decision", "message": reason}
    results = [*(post.hook_results or []), record]
    if decision == "approve":
        tier = get_account(post.account_id).tier
        if tier == PENALTY_TIER:
            # Held before the account went to H1: approving would publish for an account that cannot.
            raise Conflict(f"the account of post {post_id} is in tier {PENALTY_TIER} (小黑屋) and cannot publish; "
                           "reject the post or release the account first",
                           details=[{"pointer": "/decision", "message": f"the account is in tier {PENALTY_TIER}"}])
        entry = audit.audit_entry(post.account_id, "approve", principal.user_id, reason, now, post_id=post_id)
        # publish() is the pipeline's one way to publish (status, feed keys, fingerprint,
        # fan-out); the entry is written in the same transaction as the status change, and
        # only while the post is held, so a second moderator's approval gets a 409.
        if not publish(post, results, entry=entry, held_only=True):
            raise Conflict(f"post {post_id} was decided meanwhile")
        if not post.fan_submission:
            notifications.moderated(post.account_id, post_id, "approved")
    else:
        violation = body.get("violation", True)
        entry = audit.audit_entry(post.account_id, "reject", principal.user_id, reason, now, post_id=post_id,
                                  details={"violation": violation})
        strike = (strikes.strike_item(post.account_id, post_id, f"moderator_decision: {reason}", principal.user_id, now)
                  if violation and not post.fan_submission else None)
        actions = rejection_actions(f"moderator_decision: {reason}", results)
        if not audit.decide_held_post(post, actions, entry, strike):
            raise Conflict(f"post {post_id} was decided meanwhile")
        notify.post_rejected(PostRejected(post, now, reason=reason))  # a moderator's rejection emits no event
        if strike is not None:
            notifications.penalised(post.account_id, "strike", post_id, reason, post_id)
            enforce_strike_limit(post.account_id, post_id, now)
    logger.info("moderator decision", post_id=post_id, decision=decision, moderator=principal.user_id)
    return post_view(get_post(post_id, consistent=True), for_owner=True)


def send_to_blackroom(principal: Principal, account_id: str, body: Any) -> dict[str, Any]:
    """Send an account to H1 (idempotent: an account already in H1 stays, with no new entry)."""
    principal.require(MODERATOR)
    body = validate("blackroom", body)
    account = get_account(account_id)
    if account.tier != PENALTY_TIER:
        entry = audit.audit_entry(account_id, "blackroom", principal.user_id, body["reason"], clock.now(),
                                  details={"previous_tier": account.tier, "automatic": False})
        if audit.send_to_penalty_tier(entry):
            notifications.penalised(account_id, "h1", entry.entry_id, body["reason"])
    return account_view(get_account(account_id))


def release_from_blackroom(principal: Principal, account_id: str) -> dict[str, Any]:
    """Release an account from H1 back to W1; its earlier strikes stop counting. No-op if not in H1."""
    principal.require(MODERATOR)
    account = get_account(account_id)
    if account.tier == PENALTY_TIER:
        now = clock.now()
        entry = audit.audit_entry(account_id, "release", principal.user_id, "released from H1", now,
                                  details={"new_tier": NEW_ACCOUNT_TIER})
        if audit.release_from_penalty_tier(entry, strikes.release_item(account_id, principal.user_id, now)):
            notifications.penalised(account_id, "release", entry.entry_id)
    return account_view(get_account(account_id))


def record_takedown(principal: Principal, post: PostModel, previous_status: str) -> None:
    """Audit a moderator's takedown (the owner's own removals are not moderation)."""
    if previous_status in FINAL_STATUSES:
        return  # nothing was taken down by this call
    audit.append(audit.audit_entry(post.account_id, "takedown", principal.user_id, "taken down by a moderator",
                                   clock.now(), post_id=post.post_id, details={"previous_status": previous_status}))
    notifications.moderated(post.account_id, post.post_id, "removed", "违反平台规则，已被审核下架")


def audit_view(entry: audit.AuditModel) -> dict[str, Any]:
    return {"entry_id": entry.entry_id, "account_id": entry.account_id, "post_id": entry.post_id,
            "action": entry.action, "actor": entry.actor, "reason": entry.reason, "at": rfc3339(entry.at),
            "details": entry.details or {}}


def audit_trail(principal: Principal, account_id: str | None, actor: str | None, limit: int,
                cursor: str | None) -> dict[str, Any]:
    """Audit entries of one account or of one actor, newest first."""
    principal.require(MODERATOR)
    if bool(account_id) == bool(actor):
        raise InvalidInput("give exactly one of account_id or actor",
                           details=[{"pointer": "/account_id", "message": "give account_id or actor, not both"}])
    if account_id:
        scope = cursor_scope("/moderation/audit", principal.user_id, account_id=account_id)
        position = decode_cursor(cursor, ("account_id", "entry_id"), scope)
        items, last = audit.account_trail(account_id, limit, position)
    else:
        scope = cursor_scope("/moderation/audit", principal.user_id, actor=str(actor))
        position = decode_cursor(cursor, ("account_id", "entry_id", "actor"), scope)
        items, last = audit.actor_trail(str(actor), limit, position)
    return {"items": [audit_view(e) for e in items], "next_cursor": encode_cursor(last, scope) if last else None}


def account_strikes(principal: Principal, account_id: str) -> dict[str, Any]:
    """The account's strikes that count towards H1, with the rule."""
    principal.require(MODERATOR)
    account = get_account(account_id)
    rule = strike_rule()
    counted = active_strikes(account_id, clock.now())
    return {"account_id": account_id, "tier": account.tier, "limit": rule.limit, "window_days": rule.window_days,
            "items": [{"post_id": s.post_id, "reason": s.reason, "by": s.by, "at": rfc3339(s.at)} for s in counted],
            "next_cursor": None}
