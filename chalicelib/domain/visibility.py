"""Who may see a post: the one rule every route and ranking applies.

A post limited to fan groups (定向推送, e.g. a member-only coupon) is the owner's
message to those fans: only its owner, moderators and members of its groups see it,
in the feed, on its own page, in the account's list, in its comments; public rankings
(the hot list) never carry it. Anything a caller may not see is answered as if it
did not exist (404), so no route tells a stranger that it does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chalicelib.domain.posts import PUBLISHED


def may_see(status: str, audience_groups: Iterable[Any] | None, *, privileged: bool,
            member_groups: Iterable[str] | None) -> bool:
    """Whether a caller sees a post.

    Parameters
    ----------
    status
        The post's status; others than the owner and moderators see only ``published``.
    audience_groups
        The fan groups the post is limited to; empty or None for all followers.
    privileged
        The caller owns the account or is a moderator.
    member_groups
        The caller's fan groups in the post's account (None when not a follower).

    Examples
    --------
    >>> may_see("published", ["vip"], privileged=False, member_groups={"vip"})
    True
    >>> may_see("published", ["vip"], privileged=False, member_groups=None)
    False
    """
    if privileged:
        return True
    if status != PUBLISHED:
        return False
    groups = set(audience_groups or ())
    return not groups or bool(groups & set(member_groups or ()))


def is_targeted(audience_groups: Iterable[Any] | None) -> bool:
    """A post limited to fan groups: never in a public ranking."""
    return bool(list(audience_groups or ()))
