"""Engagement: likes, comments (盖楼 floors), poll votes, buyer shows (买家秀)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, endpoint
from chalicelib.services import buyer_shows, engagement

bp = Blueprint(__name__)


@endpoint(bp, "/posts/{post_id}/likes/me", "PUT", "Like a post (idempotent)", response="like_result")
def like(call: Call, post_id: str) -> dict[str, Any]:
    return engagement.like(call.principal, post_id)


@endpoint(bp, "/posts/{post_id}/likes/me", "DELETE", "Take a like back (idempotent)", statuses=(204,))
def unlike(call: Call, post_id: str) -> Reply:
    engagement.unlike(call.principal, post_id)
    return Reply(None, 204)


@endpoint(bp, "/posts/{post_id}/comments", "POST", "Comment on a post; the comment takes the next floor",
          request_schema="comment", statuses=(201,), response="comment_view")
def comment(call: Call, post_id: str) -> Reply:
    return Reply(engagement.comment(call.principal, post_id, call.json()), 201)


@endpoint(bp, "/posts/{post_id}/comments", "GET", "A post's comments, oldest first", query=("limit", "cursor"),
          response="comment_list")
def list_comments(call: Call, post_id: str) -> dict[str, Any]:
    return engagement.comments(call.principal, post_id, call.limit(), call.query("cursor"))


@endpoint(bp, "/posts/{post_id}/votes", "POST", "Vote in a poll (one vote per user)", request_schema="vote",
          statuses=(201, 409), response="vote_result")
def vote(call: Call, post_id: str) -> Reply:
    return Reply(engagement.vote(call.principal, post_id, call.json()), 201)


@endpoint(bp, "/accounts/{account_id}/buyer-shows", "POST", "Send a buyer show to an account (held for moderation)",
          request_schema="posts/buyer_show", statuses=(202, 409), response="post_view", idempotent=True)
def submit_buyer_show(call: Call, account_id: str) -> Reply:
    return Reply(buyer_shows.submit(call.principal, account_id, call.json(), call.header("Idempotency-Key"),
                                    call.lambda_context), 202)


@endpoint(bp, "/accounts/{account_id}/buyer-shows", "GET", "An account's approved buyer shows, newest first",
          query=("limit", "cursor"), response="post_list")
def list_buyer_shows(call: Call, account_id: str) -> dict[str, Any]:
    return buyer_shows.wall(call.principal, account_id, call.limit(), call.query("cursor"))


@endpoint(bp, "/posts/{post_id}/featured", "PUT",
          "Feature a fan's buyer show (owner); the day's first is pushed to followers", statuses=(200, 409),
          response="featured_buyer_show")
def feature_buyer_show(call: Call, post_id: str) -> dict[str, Any]:
    return buyer_shows.feature(call.principal, post_id)
