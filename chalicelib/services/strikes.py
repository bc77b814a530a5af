"""Strikes and H1 (小黑屋): record a violation, and send the account to H1 at the limit.

Both steps are idempotent, so the moderation consumer can run them before it marks
the post rejected and simply run them again on a redelivery.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from chalicelib.domain.moderation.chain import moderation_config
from chalicelib.domain.moderation.strikes import StrikeRule
from chalicelib.domain.tiers import PENALTY_TIER
from chalicelib.observability import logger
from chalicelib.services import notifications
from chalicelib.store import audit
from chalicelib.store import strikes as store
from chalicelib.store.accounts import get_account

SYSTEM = "system"


@lru_cache(maxsize=1)
def strike_rule() -> StrikeRule:
    return StrikeRule.from_config(moderation_config())


def add_strike(account_id: str, post_id: str, reason: str, by: str, at: datetime) -> bool:
    """Record a strike for the rejection of ``post_id`` and enforce the limit; True if it sent the account to H1."""
    store.add_strike(account_id, post_id, reason, by, at)
    notifications.penalised(account_id, "strike", post_id, reason, post_id)  # once per key, even when re-run
    return enforce_strike_limit(account_id, post_id, at)


def active_strikes(account_id: str, now: datetime) -> list[store.StrikeModel]:
    """The account's strikes that still count towards H1."""
    items = store.account_strikes(account_id)
    releases = [i.at for i in items if i.kind == store.RELEASE]
    strikes = [i for i in items if i.kind == store.STRIKE]
    counted = set(strike_rule().active([s.at for s in strikes], releases, now))
    return [s for s in strikes if s.at in counted]


def enforce_strike_limit(account_id: str, trigger_post_id: str, now: datetime) -> bool:
    """Send the account to H1 if it has reached the strike limit (idempotent); True if it moved now."""
    rule = strike_rule()
    counted = active_strikes(account_id, now)
    if len(counted) < rule.limit:
        return False
    account = get_account(account_id)
    if account.tier == PENALTY_TIER:
        return False
    entry = audit.audit_entry(
        account_id, "blackroom", SYSTEM,
        f"{len(counted)} strikes within {rule.window_days} days (limit {rule.limit})", now, post_id=trigger_post_id,
        details={"previous_tier": account.tier, "automatic": True,
                 "strikes": [{"post_id": s.post_id, "reason": s.reason, "at": s.at.isoformat()} for s in counted]})
    moved = audit.send_to_penalty_tier(entry)
    if moved:
        logger.info("account sent to H1 by strikes", account_id=account_id, strikes=len(counted))
        notifications.penalised(account_id, "h1", entry.entry_id, entry.reason)
    return moved
