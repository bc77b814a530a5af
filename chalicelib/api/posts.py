"""Posts: create, read, list, take down."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, endpoint
from chalicelib.services import posts

bp = Blueprint(__name__)


@endpoint(bp, "/accounts/{account_id}/posts", "POST", "Publish a post as the account (owner)",
          request_schema="post", statuses=(202, 409, 429), response="post_view", idempotent=True)
def create_post(call: Call, account_id: str) -> Reply:
    view = posts.create_post(call.principal, account_id, call.json(), call.header("Idempotency-Key"),
                             call.lambda_context)
    return Reply(view, 202)


@endpoint(bp, "/posts/{post_id}", "GET", "Read a post", response="post_view")
def get_post(call: Call, post_id: str) -> dict[str, Any]:
    return posts.get_post(call.principal, post_id)


@endpoint(bp, "/accounts/{account_id}/posts", "GET", "An account's posts (published; the owner sees all)",
          query=("limit", "cursor"), response="post_list")
def list_posts(call: Call, account_id: str) -> dict[str, Any]:
    return posts.account_posts(call.principal, account_id, call.limit(), call.query("cursor"))


@endpoint(bp, "/posts/{post_id}", "DELETE", "Take a post down (owner or moderator)", statuses=(204,))
def delete_post(call: Call, post_id: str) -> Reply:
    posts.take_down(call.principal, post_id)
    return Reply(None, 204)
