"""Following, unfollowing, follower lists and fan groups."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.auth import Principal
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.cursor import cursor_scope, decode_cursor, encode_cursor
from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.services import activity, delivery_switch, notifications
from chalicelib.services.accounts import owner_only_account
from chalicelib.services.representations import account_view
from chalicelib.store import follows, inbox
from chalicelib.store.accounts import accounts_by_ids, get_account
from chalicelib.store.posts import published_before

GROUP_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"


def follow(principal: Principal, account_id: str) -> dict[str, Any]:
    """Follow an account (idempotent) and backfill its latest posts into the inbox."""
    account = get_account(account_id)
    if account.owner_id == principal.user_id:
        # An owner following their own account would count as a fan and take its own posts into the feed.
        raise Forbidden("you cannot follow an account you own",
                           details=[{"pointer": "/path/account_id", "message": "is your own account"}])
    now = clock.now()
    if follows.follow(account_id, principal.user_id, now, int(account.follower_count)):
        activity.record_follow_change(principal.user_id, account_id, followed=True)
        notifications.followed(account_id, principal.user_id)
        backfill(principal.user_id, account_id)
        account = get_account(account_id)
        delivery_switch.after_follow(principal.user_id, account_id, now, int(account.follower_count))
    return {"following": True, "account": account_view(account)}


def backfill(user_id: str, account_id: str) -> int:
    """Copy the account's latest posts for all followers into a new follower's inbox."""
    recent = [p for p in published_before(account_id, None, settings.backfill_posts * 2) if not p.audience_groups]
    entries = [inbox.inbox_entry(user_id, p.feed_key, p.post_id, account_id, p.section)
               for p in recent[:settings.backfill_posts]]
    if entries:
        inbox.write_entries(entries)
    return len(entries)


def unfollow(principal: Principal, account_id: str) -> None:
    """Unfollow (idempotent); the account's posts leave the caller's inbox."""
    get_account(account_id)
    if follows.unfollow(account_id, principal.user_id):
        activity.record_follow_change(principal.user_id, account_id, followed=False)
    inbox.remove_account_entries(principal.user_id, account_id)
    delivery_switch.after_unfollow(principal.user_id, account_id)


def following(principal: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    scope = cursor_scope("/me/following", principal.user_id, user_id=principal.user_id)
    position = decode_cursor(cursor, ("user_id", "account_id", "followed_at"), scope)
    items, last = follows.following_page(principal.user_id, limit, position)
    found = accounts_by_ids([f.account_id for f in items])
    return {"items": [{**account_view(found[f.account_id]), "followed_at": clock.rfc3339(f.followed_at)}
                      for f in items if f.account_id in found],
            "next_cursor": encode_cursor(last, scope) if last else None}


def followers(principal: Principal, account_id: str, limit: int, cursor: str | None,
              group: str | None = None) -> dict[str, Any]:
    owner_only_account(principal, account_id)
    scope = cursor_scope("/accounts/{account_id}/followers", principal.user_id, account_id=account_id, group=group)
    position = decode_cursor(cursor, ("account_id", "user_id"), scope)
    items, last = follows.followers_page(account_id, limit, position, [group] if group else [])
    return {"items": [{"user_id": f.user_id, "followed_at": clock.rfc3339(f.followed_at),
                       "groups": sorted(f.groups or ())} for f in items],
            "next_cursor": encode_cursor(last, scope) if last else None}


def _check_group(group: str) -> None:
    if not re.match(GROUP_PATTERN, group):
        raise InvalidInput("group names are 1-32 of a-z, 0-9, _ and -, starting with a letter or digit",
                           details=[{"pointer": "/group", "message": f"must match {GROUP_PATTERN}"}])


def set_group_member(principal: Principal, account_id: str, group: str, user_id: str, member: bool) -> dict[str, Any]:
    owner_only_account(principal, account_id)
    _check_group(group)
    if member:
        follows.add_to_group(account_id, user_id, group)
    else:
        follows.remove_from_group(account_id, user_id, group)
    return {"account_id": account_id, "group": group, "user_id": user_id, "member": member}
