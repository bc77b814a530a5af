"""Account standing: a post of an account that is in H1 (小黑屋) is not published.

Creating a post in H1 is refused at the door (403); this catches posts written
before the account was sent there (scheduled ones, or ones still in moderation).
The account's tier comes from the ``account_tier`` service the pipeline passes in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.domain.moderation.chain import REJECT, Hook, PostContent, Verdict, required_service

NAME = "account_standing"


def account_standing_hook(settings: dict[str, Any]) -> Hook:
    """Reject posts of accounts in one of ``settings["blocked_tiers"]``."""
    account_tier: Callable[[str], str | None] = required_service(settings, "account_tier", NAME)
    blocked = frozenset(settings.get("blocked_tiers", ["H1"]))

    def check(content: PostContent) -> Verdict:
        tier = account_tier(content.account_id)
        if tier is not None and tier in blocked:
            return Verdict(NAME, REJECT, f"account_in_{tier.lower()}",
                           f"the account is in {tier} and cannot publish until a moderator releases it")
        return Verdict.approve(NAME)

    return check
