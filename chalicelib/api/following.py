"""Following, follower lists and fan groups."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, endpoint
from chalicelib.services import following

bp = Blueprint(__name__)


@endpoint(bp, "/me/following/{account_id}", "PUT", "Follow an account (idempotent)", response="follow_result")
def follow(call: Call, account_id: str) -> dict[str, Any]:
    return following.follow(call.principal, account_id)


@endpoint(bp, "/me/following/{account_id}", "DELETE", "Unfollow an account (idempotent)", statuses=(204,))
def unfollow(call: Call, account_id: str) -> Reply:
    following.unfollow(call.principal, account_id)
    return Reply(None, 204)


@endpoint(bp, "/me/following", "GET", "Accounts the caller follows", query=("limit", "cursor"),
          response="following_list")
def list_following(call: Call) -> dict[str, Any]:
    return following.following(call.principal, call.limit(), call.query("cursor"))


@endpoint(bp, "/accounts/{account_id}/followers", "GET", "Followers of an account (owner)",
          query=("limit", "cursor", "group"), response="follower_list")
def list_followers(call: Call, account_id: str) -> dict[str, Any]:
    return following.followers(call.principal, account_id, call.limit(), call.query("cursor"), call.query("group"))


@endpoint(bp, "/accounts/{account_id}/groups/{group}/members/{user_id}", "PUT", "Put a follower in a fan group",
          response="group_membership")
def add_group_member(call: Call, account_id: str, group: str, user_id: str) -> dict[str, Any]:
    return following.set_group_member(call.principal, account_id, group, user_id, member=True)


@endpoint(bp, "/accounts/{account_id}/groups/{group}/members/{user_id}", "DELETE",
          "Take a follower out of a fan group", statuses=(204,))
def remove_group_member(call: Call, account_id: str, group: str, user_id: str) -> Reply:
    following.set_group_member(call.principal, account_id, group, user_id, member=False)
    return Reply(None, 204)
