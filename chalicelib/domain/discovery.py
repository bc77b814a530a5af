"""Discovery (关联推荐): co-follow similarity of accounts and the rules of a user's suggestions.

Related accounts (the daily job, :mod:`chalicelib.services.suggestion_runs`):

- an account's followers are sampled (at most ``follower_sample`` of them, from a
  pseudo-random start in the follow table's user-id order, fixed per account so a rerun
  reads the same sample), and each sampled follower's newest ``follow_sample`` follows;
- ``co[B]`` counts the sampled followers of ``A`` who also follow ``B``; a candidate needs
  at least ``min_support`` of them;
- similarity is the cosine over follower sets, with the co-follow count scaled up from the
  sample: ``cos(A, B) = co[B] · (n_A / s_A) / sqrt(n_A · n_B)`` (Twitter's "Sims");
- the ``related_size`` (50) most similar are kept.

A user's suggestions combine, per candidate account:

- commerce signals (``purchase`` > ``favorite_shop``): these always come first;
- co-follow: the sum of the candidate's similarity to each followed account whose related
  list holds it; the reason names the strongest ``via`` and its overlap;
- popularity in a category the user follows, then the overall popular list (the fallback
  for someone who follows nothing).

Never suggested: an account the user follows or owns, one dismissed in the last 90 days,
one in H1, one that no longer exists or has never published.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from chalicelib.domain.data_files import data_file
from chalicelib.domain.tiers import PENALTY_TIER

SIGNAL_KINDS = ("favorite_shop", "purchase")


@dataclass(frozen=True)
class DiscoveryConfig:
    follower_sample: int
    follow_sample: int
    min_support: int
    related_size: int
    popular_size: int
    popular_categories: int
    user_follow_sample: int
    max_candidates: int
    dismiss_days: int
    signal_days: int
    signal_weights: dict[str, float]
    popular_weight: float


@lru_cache(maxsize=1)
def discovery_config() -> DiscoveryConfig:
    """The parsed ``discovery.json`` (read once per process)."""
    raw = data_file("discovery.json")
    return DiscoveryConfig(
        follower_sample=int(raw["follower_sample"]), follow_sample=int(raw["follow_sample"]),
        min_support=int(raw["min_support"]), related_size=int(raw["related_size"]),
        popular_size=int(raw["popular_size"]), popular_categories=int(raw["popular_categories"]),
        user_follow_sample=int(raw["user_follow_sample"]), max_candidates=int(raw["max_candidates"]),
        dismiss_days=int(raw["dismiss_days"]), signal_days=int(raw["signal_days"]),
        signal_weights={k: float(v) for k, v in raw["signal_weights"].items()},
        popular_weight=float(raw["popular_weight"]))


# --- related accounts ------------------------------------------------------------------------

def sample_start(account_id: str) -> str:
    """Where an account's follower sample starts in user-id order: fixed per account, spread over ids.

    User ids are random (Cognito subs), so the followers after a hashed point are a
    uniform sample, and the same point every run makes reruns read the same sample.

    Examples
    --------
    >>> sample_start("acct-1") == sample_start("acct-1")
    True
    """
    return f"{zlib.crc32(account_id.encode()):08x}"


@dataclass(frozen=True)
class Related:
    account_id: str
    similarity: float
    overlap: int  # sampled followers of the source account who also follow this one


def co_follow_counts(account_id: str, follows_of_sample: Iterable[Iterable[str]]) -> dict[str, int]:
    """How many of the sampled followers follow each other account (the account itself left out)."""
    counts: dict[str, int] = {}
    for follows in follows_of_sample:
        for other in set(follows):
            if other != account_id:
                counts[other] = counts.get(other, 0) + 1
    return counts


def cosine(co: int, sampled: int, followers: int, other_followers: int) -> float:
    """Cosine over follower sets, the co-follow count scaled up from a sample of ``sampled`` followers.

    Examples
    --------
    >>> cosine(co=10, sampled=10, followers=10, other_followers=10)
    1.0
    >>> round(cosine(co=5, sampled=100, followers=1000, other_followers=40), 4)  # 50 common of 1000 and 40
    0.25
    """
    if co <= 0 or sampled <= 0 or followers <= 0 or other_followers <= 0:
        return 0.0
    estimated_common = co * max(followers, sampled) / sampled
    return min(1.0, estimated_common / math.sqrt(max(followers, sampled) * other_followers))


def related_accounts(account_id: str, sampled: int, followers: int, counts: Mapping[str, int],
                     follower_counts: Mapping[str, int], config: DiscoveryConfig) -> list[Related]:
    """The most similar accounts (at most ``related_size``), best first; ties by overlap, then id.

    Candidates below ``min_support`` or whose follower count is unknown are left out.
    """
    kept = []
    for other, co in counts.items():
        if co < config.min_support or other not in follower_counts:
            continue
        similarity = cosine(co, sampled, followers, max(int(follower_counts[other]), co))
        if similarity > 0:
            kept.append(Related(other, round(similarity, 6), co))
    kept.sort(key=lambda r: (-r.similarity, -r.overlap, r.account_id))
    return kept[:config.related_size]


def strongest_candidates(counts: Mapping[str, int], min_support: int, limit: int) -> list[str]:
    """The candidates with the most co-follows (at least ``min_support``), to look their follower counts up."""
    eligible = [(co, other) for other, co in counts.items() if co >= min_support]
    eligible.sort(key=lambda pair: (-pair[0], pair[1]))
    return [other for _, other in eligible[:limit]]


@dataclass(frozen=True)
class PopularEntry:
    account_id: str
    followers: int


def merge_popular(parts: Iterable[Mapping[str, list[list[Any]]]], size: int, max_categories: int
                  ) -> dict[str, list[PopularEntry]]:
    """Merge per-shard popular lists (``{category: [[account_id, followers], ...]}``) into the top ``size``.

    Categories are kept by their most-followed account, the largest ``max_categories`` first.
    """
    merged: dict[str, dict[str, int]] = {}
    for part in parts:
        for category, entries in part.items():
            bucket = merged.setdefault(category, {})
            for account_id, followers in entries:
                bucket[str(account_id)] = max(int(followers), bucket.get(str(account_id), 0))
    ranked = {category: sorted((PopularEntry(a, n) for a, n in bucket.items()),
                               key=lambda e: (-e.followers, e.account_id))[:size]
              for category, bucket in merged.items()}
    order = sorted(ranked, key=lambda c: (-(ranked[c][0].followers if ranked[c] else 0), c))
    return {category: ranked[category] for category in order[:max_categories]}


class PopularTally:
    """The most-followed accounts of one shard, overall (key ``""``) and per category, in bounded memory."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.lists: dict[str, list[tuple[int, str]]] = {}

    def add(self, account_id: str, category: str, followers: int) -> None:
        if followers <= 0:
            return
        for key in ("", category):
            entries = self.lists.setdefault(key, [])
            entries.append((followers, account_id))
            if len(entries) > 2 * self.size:
                entries.sort(key=lambda e: (-e[0], e[1]))
                del entries[self.size:]

    def to_json(self, max_categories: int) -> dict[str, list[list[Any]]]:
        """The lists as JSON, the overall one and the ``max_categories`` categories with the biggest accounts."""
        top = {key: sorted(entries, key=lambda e: (-e[0], e[1]))[:self.size] for key, entries in self.lists.items()}
        keep = sorted(top, key=lambda k: (k != "", -(top[k][0][0] if top[k] else 0), k))[:max_categories + 1]
        return {key: [[a, n] for n, a in top[key]] for key in keep}


# --- suggestions -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CandidateFacts:
    """What the exclusions need to know about a candidate account."""

    account_id: str
    owner_id: str
    tier: str
    has_posts: bool


@dataclass
class Suggestion:
    account_id: str
    score: float = 0.0
    reasons: list[dict[str, Any]] = field(default_factory=list)


def excluded(facts: CandidateFacts | None, user_id: str, followed: set[str], dismissed: Mapping[str, datetime],
             now: datetime, config: DiscoveryConfig) -> bool:
    """Whether a candidate must not be suggested to ``user_id`` (``facts`` None: the account is gone)."""
    if facts is None or not facts.has_posts or facts.tier == PENALTY_TIER:
        return True
    if facts.owner_id == user_id or facts.account_id in followed:
        return True
    at = dismissed.get(facts.account_id)
    return at is not None and now - at < timedelta(days=config.dismiss_days)


def live_dismissals(dismissed: Mapping[str, datetime], now: datetime, config: DiscoveryConfig
                    ) -> dict[str, datetime]:
    """The dismissals still in force (the store's TTL deletes old ones late, or never on moto)."""
    return {a: at for a, at in dismissed.items() if now - at < timedelta(days=config.dismiss_days)}


def score_candidates(followed_sample: list[str], related_of: Mapping[str, list[Related]],
                     signals: Iterable[tuple[str, str, datetime]], popular: Mapping[str, list[PopularEntry]],
                     followed_categories: list[str], now: datetime, config: DiscoveryConfig
                     ) -> dict[str, Suggestion]:
    """Every candidate with its score and reasons (before exclusions).

    ``signals`` are ``(account_id, kind, at)``; those older than ``signal_days`` are ignored.
    ``popular`` holds the overall list under ``""`` and one list per category.
    """
    found: dict[str, Suggestion] = {}

    def entry(account_id: str) -> Suggestion:
        return found.setdefault(account_id, Suggestion(account_id))

    oldest = now - timedelta(days=config.signal_days)
    commerce: dict[str, set[str]] = {}
    for account_id, kind, at in signals:
        if kind in config.signal_weights and oldest <= at <= now + timedelta(minutes=5):
            commerce.setdefault(account_id, set()).add(kind)
    for account_id, kinds in commerce.items():
        suggestion = entry(account_id)
        for kind in sorted(kinds, key=lambda k: -config.signal_weights[k]):
            suggestion.score += config.signal_weights[kind]
            suggestion.reasons.append({"kind": kind})

    strongest: dict[str, tuple[float, int, str]] = {}
    co_score: dict[str, float] = {}
    for via in followed_sample:
        for related in related_of.get(via, []):
            co_score[related.account_id] = co_score.get(related.account_id, 0.0) + related.similarity
            best = strongest.get(related.account_id)
            if best is None or (related.similarity, related.overlap) > best[:2]:
                strongest[related.account_id] = (related.similarity, related.overlap, via)
    for account_id, total in co_score.items():
        _, overlap, via = strongest[account_id]
        suggestion = entry(account_id)
        suggestion.score += total
        suggestion.reasons.append({"kind": "co_follow", "via": via, "overlap": overlap})

    lists = [(category, popular.get(category, [])) for category in dict.fromkeys(followed_categories)]
    if not followed_sample:
        lists.append(("", popular.get("", [])))
    for category, entries in lists:
        for rank, item in enumerate(entries):
            suggestion = entry(item.account_id)
            if any(r["kind"] == "popular" for r in suggestion.reasons):
                continue
            suggestion.score += config.popular_weight / (rank + 1)
            reason: dict[str, Any] = {"kind": "popular"}
            if category:
                reason["category"] = category
            suggestion.reasons.append(reason)
    return found


def rank_suggestions(candidates: Mapping[str, Suggestion], facts: Mapping[str, CandidateFacts], user_id: str,
                     followed: set[str], dismissed: Mapping[str, datetime], now: datetime, limit: int,
                     config: DiscoveryConfig) -> list[Suggestion]:
    """The best ``limit`` suggestions after the exclusions: highest score first, ties by account id."""
    kept = [s for s in candidates.values()
            if not excluded(facts.get(s.account_id), user_id, followed, dismissed, now, config)]
    kept.sort(key=lambda s: (-s.score, s.account_id))
    return kept[:limit]


def shortlist(candidates: Mapping[str, Suggestion], limit: int) -> list[str]:
    """The candidates worth looking up (bounded: one BatchGetItem's worth), best first."""
    return [s.account_id for s in sorted(candidates.values(), key=lambda s: (-s.score, s.account_id))[:limit]]
