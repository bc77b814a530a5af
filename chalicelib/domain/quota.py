"""The daily publishing quota: which day a post counts on and what a refusal says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain import clock
from chalicelib.domain.errors import QuotaExceeded
from chalicelib.domain.tiers import daily_quota_for


@dataclass(frozen=True)
class QuotaCharge:
    """One manual post charged to ``day`` (the Asia/Shanghai day it publishes on)."""

    day: str
    limit: int


def quota_charge(tier: str, publishes_at: datetime) -> QuotaCharge:
    """The counter a post publishing at ``publishes_at`` is charged to.

    A scheduled post counts on the day it is published, not the day it was written.
    """
    return QuotaCharge(day=clock.day_of(publishes_at), limit=daily_quota_for(tier))


def quota_exceeded(charge: QuotaCharge, count: int, at: datetime) -> QuotaExceeded:
    """The 429 for an account whose counter for ``charge.day`` is full."""
    day = datetime.fromisoformat(charge.day).date()
    reset = clock.local_midnight(day + timedelta(days=1))
    retry_after = max(1, int((reset - at).total_seconds()))
    return QuotaExceeded(
        f"daily quota of {charge.limit} posts for {charge.day} is used up ({count} published); "
        f"it resets at {clock.rfc3339(reset)}",
        details=[{"quota": charge.limit, "count": count, "day": charge.day, "resets_at": clock.rfc3339(reset)}],
        headers={"Retry-After": str(retry_after)},
    )
