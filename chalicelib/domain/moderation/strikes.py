"""Strikes: which rejections count as violations, and when they send an account to H1 (小黑屋).

Configured in the chain file: each chain entry says whether its rejections are
strikes (``"strike": true``: banned words, spam, plagiarism; media format mistakes
are not), and ``strikes`` holds the limit and the window (3 within 30 days).
A moderator's release wipes the slate: strikes before it no longer count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.moderation.chain import REJECT, ChainResult


@dataclass(frozen=True)
class StrikeRule:
    """``limit`` strikes within ``window_days`` send the account to H1."""

    limit: int = 3
    window_days: int = 30

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> StrikeRule:
        section = config.get("strikes", {})
        rule = cls(limit=int(section.get("limit", cls.limit)), window_days=int(section.get("window_days",
                                                                                           cls.window_days)))
        if rule.limit < 1 or rule.window_days < 1:
            raise ValueError("strikes.limit and strikes.window_days must be positive")
        return rule

    def active(self, strikes: Sequence[datetime], releases: Sequence[datetime], now: datetime) -> list[datetime]:
        """The strikes that still count: inside the window and after the latest release.

        Examples
        --------
        >>> from datetime import UTC
        >>> now = datetime(2024, 6, 30, tzinfo=UTC)
        >>> days = [datetime(2024, 5, 20, tzinfo=UTC), datetime(2024, 6, 5, tzinfo=UTC),
        ...         datetime(2024, 6, 20, tzinfo=UTC)]
        >>> len(StrikeRule().active(days, [], now))
        2
        >>> len(StrikeRule().active(days, [datetime(2024, 6, 10, tzinfo=UTC)], now))
        1
        """
        since = now - timedelta(days=self.window_days)
        released = max(releases, default=None)
        return sorted(at for at in strikes if since <= at <= now and (released is None or at > released))

    def reached(self, strikes: Sequence[datetime], releases: Sequence[datetime], now: datetime) -> bool:
        """Whether the account has ``limit`` active strikes (and goes to H1)."""
        return len(self.active(strikes, releases, now)) >= self.limit


def rejection_strike(config: dict[str, Any], result: ChainResult) -> str | None:
    """The strike reason a chain rejection earns, or None (not rejected, or not a violation).

    A rejection is a strike when the chain entry of the hook that decided it has
    ``"strike": true``.
    """
    deciding = result.deciding
    if result.outcome != REJECT or deciding is None:
        return None
    striking = {entry["hook"] for entry in config["chain"] if entry.get("strike")}
    if deciding.hook not in striking:
        return None
    return f"{deciding.reason}: {deciding.message}"
