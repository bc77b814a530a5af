"""The hot list (精选热榜): which posts may enter, how they score, and the recent-post buckets.

Score of a post ``age_h`` hours after publication::

    engagement = w_reads·reads + w_likes·likes + w_comments·comments + w_votes·votes
    score      = engagement · 2^(−age_h / half_life_h) · (1 + boost if preferred_store)

with the constants of ``chalicelib/data/hot_list.json`` (weights 1/4/6/3, a 24-hour
half-life, +20% for ``preferred_store`` accounts, posts of the last 72 hours). A post
with no engagement does not enter. The top ``size`` (100) are kept overall and per
account category.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from chalicelib.domain import clock
from chalicelib.domain.data_files import data_file
from chalicelib.domain.posts import PUBLISHED, recent_bucket_key
from chalicelib.domain.tiers import PENALTY_TIER, hot_list_eligible, tier_config

ALL = "all"


@dataclass(frozen=True)
class HotListConfig:
    """``hot_list.json``: which posts compete, how their engagement is weighed and decays, how many are listed."""

    window_hours: float
    half_life_hours: float
    weights: dict[str, float]
    preferred_store_boost: float
    size: int
    bucket_shards: int


@lru_cache(maxsize=1)
def hot_list_config() -> HotListConfig:
    """The parsed ``hot_list.json`` (read once per process)."""
    raw = data_file("hot_list.json")
    return HotListConfig(window_hours=float(raw["window_hours"]), half_life_hours=float(raw["half_life_hours"]),
                         weights={k: float(v) for k, v in raw["weights"].items()},
                         preferred_store_boost=float(raw["preferred_store_boost"]), size=int(raw["size"]),
                         bucket_shards=int(raw["bucket_shards"]))


@dataclass(frozen=True)
class Candidate:
    """A recent post with what ranking needs from it and its account."""

    post_id: str
    category: str
    published_at: datetime
    reads: int = 0
    likes: int = 0
    comments: int = 0
    votes: int = 0
    preferred_store: bool = False


@dataclass(frozen=True)
class Ranked:
    post_id: str
    score: float


def may_enter(status: str, tier: str, targeted: bool = False) -> bool:
    """Published posts of accounts whose tier has hot-list eligibility; never H1 or unknown tiers,
    never a post limited to fan groups (the list is public)."""
    if targeted or status != PUBLISHED or tier == PENALTY_TIER or tier not in tier_config()["tiers"]:
        return False
    return hot_list_eligible(tier)


def may_be_picked(status: str, tier: str, targeted: bool = False) -> bool:
    """An operator's pick (人工精选) overrides tier eligibility, never the exclusions: published, not H1,
    not limited to fan groups."""
    return not targeted and status == PUBLISHED and tier != PENALTY_TIER and tier in tier_config()["tiers"]


def engagement(candidate: Candidate, config: HotListConfig) -> float:
    w = config.weights
    return (w.get("reads", 0) * candidate.reads + w.get("likes", 0) * candidate.likes
            + w.get("comments", 0) * candidate.comments + w.get("votes", 0) * candidate.votes)


def hot_score(candidate: Candidate, now: datetime, config: HotListConfig) -> float:
    """The decayed, weighted engagement score of one post at ``now``.

    Examples
    --------
    >>> from datetime import UTC, datetime, timedelta
    >>> config = HotListConfig(72, 24, {"likes": 4}, 0.2, 100, 4)
    >>> now = datetime(2024, 5, 2, tzinfo=UTC)
    >>> hot_score(Candidate("p", "服饰", now - timedelta(hours=24), likes=10), now, config)
    20.0
    >>> round(hot_score(Candidate("p", "服饰", now - timedelta(hours=24), likes=10, preferred_store=True),
    ...                 now, config), 6)
    24.0
    """
    age_hours = max(0.0, (now - candidate.published_at).total_seconds() / 3600)
    boost = 1 + config.preferred_store_boost if candidate.preferred_store else 1.0
    return engagement(candidate, config) * 2 ** (-age_hours / config.half_life_hours) * boost


def rank(candidates: Iterable[Candidate], now: datetime, config: HotListConfig) -> dict[str, list[Ranked]]:
    """The top ``config.size`` posts overall (key :data:`ALL`) and per category (key = category).

    Posts outside the window or without engagement are left out; ties go to the newer post.
    """
    oldest = now - timedelta(hours=config.window_hours)
    scored = []
    for c in candidates:
        if c.published_at < oldest:
            continue
        score = hot_score(c, now, config)
        if score > 0:
            scored.append((score, c))
    scored.sort(key=lambda sc: (-sc[0], -sc[1].published_at.timestamp(), sc[1].post_id))
    lists: defaultdict[str, list[Ranked]] = defaultdict(list)
    for score, c in scored:
        for key in (ALL, c.category):
            if len(lists[key]) < config.size:
                lists[key].append(Ranked(c.post_id, round(score, 6)))
    return dict(lists)


def recent_buckets(now: datetime, config: HotListConfig) -> list[str]:
    """Every bucket that can hold a post published within the window before ``now``."""
    first = clock.local_day(now - timedelta(hours=config.window_hours))
    last = clock.local_day(now)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [recent_bucket_key(day, shard) for day in days for shard in range(config.bucket_shards)]
