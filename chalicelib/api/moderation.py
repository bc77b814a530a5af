"""Moderation: the review queue, decisions on held posts, H1 (小黑屋), strikes and the audit trail."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, endpoint
from chalicelib.services import moderation

bp = Blueprint(__name__)


@endpoint(bp, "/moderation/queue", "GET", "Posts held for review, oldest first (moderator)",
          query=("limit", "cursor"), response="post_list")
def review_queue(call: Call) -> dict[str, Any]:
    return moderation.review_queue(call.principal, call.limit(), call.query("cursor"))


@endpoint(bp, "/moderation/posts/{post_id}/decision", "POST", "Approve or reject a held post (moderator)",
          request_schema="decision", statuses=(200, 409), response="post_view")
def decide(call: Call, post_id: str) -> dict[str, Any]:
    return moderation.decide(call.principal, post_id, call.json())


@endpoint(bp, "/moderation/accounts/{account_id}/blackroom", "PUT", "Send an account to H1 (moderator)",
          request_schema="blackroom", response="account_view")
def send_to_blackroom(call: Call, account_id: str) -> dict[str, Any]:
    return moderation.send_to_blackroom(call.principal, account_id, call.json())


@endpoint(bp, "/moderation/accounts/{account_id}/blackroom", "DELETE", "Release an account from H1 to W1 (moderator)",
          response="account_view")
def release_from_blackroom(call: Call, account_id: str) -> dict[str, Any]:
    return moderation.release_from_blackroom(call.principal, account_id)


@endpoint(bp, "/moderation/accounts/{account_id}/strikes", "GET", "An account's strikes counting towards H1 "
          "(moderator)", response="account_strikes")
def account_strikes(call: Call, account_id: str) -> dict[str, Any]:
    return moderation.account_strikes(call.principal, account_id)


@endpoint(bp, "/moderation/audit", "GET", "The audit trail of one account or one actor, newest first (moderator)",
          query=("account_id", "actor", "limit", "cursor"), response="audit_list")
def audit_trail(call: Call) -> dict[str, Any]:
    return moderation.audit_trail(call.principal, call.query("account_id"), call.query("actor"),
                                  call.limit(), call.query("cursor"))
