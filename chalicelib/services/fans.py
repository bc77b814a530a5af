"""Fan distribution (粉丝分布) of an account, for its owner."""

from __future__ import annotations

from typing import Any

from chalicelib.auth import Principal
from chalicelib.domain import clock, fans
from chalicelib.services.accounts import owner_only_account
from chalicelib.store import fan_counts


def fan_distribution(principal: Principal, account_id: str) -> dict[str, Any]:
    """By group, by follow month and by activity: one account read and four counter Queries."""
    account = owner_only_account(principal, account_id)
    today = clock.local_day(clock.now())
    return fans.distribution(int(account.follower_count), fan_counts.counters(account_id, today), today)
