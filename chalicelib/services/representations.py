"""The JSON shapes of API.md, built from store models."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.clock import rfc3339
from chalicelib.store.accounts import AccountModel
from chalicelib.store.posts import PostModel


def account_view(account: AccountModel, *, for_owner: bool = False) -> dict[str, Any]:
    view = {
        "account_id": account.account_id,
        "owner_id": account.owner_id,
        "handle": account.handle,
        "display_name": account.display_name,
        "kind": account.kind,
        "category": account.category,
        "bio": account.bio,
        "fan_nickname": account.fan_nickname,
        "background_image": account.background_image,
        "labels": sorted(account.labels or ()),
        "tier": account.tier,
        "tier_status": account.tier_status,
        "follower_count": int(account.follower_count),
        "created_at": rfc3339(account.created_at),
    }
    if for_owner:
        view["auto_new_products"] = account.auto_new_products is not False
    return view


def post_view(post: PostModel, *, for_owner: bool = False) -> dict[str, Any]:
    """A post as clients see it; the owner and moderators also see hook results."""
    view: dict[str, Any] = {
        **post.content,
        "post_id": post.post_id,
        "account_id": post.account_id,
        "status": post.status,
        "reject_reason": post.reject_reason,
        "created_at": rfc3339(post.created_at),
        "publish_at": rfc3339(post.publish_at),
        "published_at": rfc3339(post.published_at),
        "likes": int(post.likes),
        "comments": int(post.comments),
        "reads": int(post.reads),
        "system": bool(post.system),
    }
    if post.audience_groups and for_owner:  # the owner's fan-group names are theirs alone
        view["audience"] = {"groups": list(post.audience_groups)}
    if post.type == "poll":
        tallies: list[Any] = list(post.votes or []) or [0] * len(post.content.get("poll", {}).get("options", []))
        view["votes"] = [int(n) for n in tallies]
    if post.type == "floor_contest":
        view["winners"] = [{"floor": int(w["floor"]), "user_id": w["user_id"], "comment_id": w["comment_id"]}
                           for w in post.winners or []]
        view["winner_count"] = int(post.winner_count or 0)
    if post.fan_submission:
        view["author_id"] = post.author_id
        view["featured"] = post.featured_at is not None
    if for_owner:
        view["moderation"] = post.hook_results or []
    return view
