"""Hot-list scoring: weights, half-life decay, the preferred-store boost, eligibility and buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.posts import recent_bucket
from chalicelib.domain.ranking import (
    ALL,
    Candidate,
    HotListConfig,
    hot_list_config,
    hot_score,
    may_enter,
    rank,
    recent_buckets,
)

NOW = datetime(2024, 6, 10, 12, 0, tzinfo=UTC)
CONFIG = HotListConfig(window_hours=72, half_life_hours=24, weights={"reads": 1, "likes": 4, "comments": 6,
                                                                     "votes": 3},
                       preferred_store_boost=0.2, size=3, bucket_shards=4)


def post(post_id: str, hours_ago: float, category: str = "服饰", **counts: int) -> Candidate:
    return Candidate(post_id=post_id, category=category, published_at=NOW - timedelta(hours=hours_ago), **counts)


def test_engagement_is_weighted_and_halves_every_half_life() -> None:
    # Given a fresh post with 10 reads and one like, comment and vote, and posts with 5 likes a day and two days old
    fresh = post("p", 0, reads=10, likes=1, comments=1, votes=1)
    a_day_old, two_days_old = post("p", 24, likes=5), post("p", 48, likes=5)

    # When they are scored
    scores = [hot_score(p, NOW, CONFIG) for p in (fresh, a_day_old, two_days_old)]

    # Then each kind of engagement counts with its weight, and the score halves every 24 hours
    assert scores[0] == 10 + 4 + 6 + 3
    assert scores[1] == pytest.approx(10.0)
    assert scores[2] == pytest.approx(5.0)


def test_preferred_stores_get_twenty_percent_more() -> None:
    # Given two posts of the same age and likes, one of them from a preferred store
    plain_post = post("p", 5, likes=7)
    preferred_post = Candidate("p", "服饰", NOW - timedelta(hours=5), likes=7, preferred_store=True)

    # When they are scored
    plain, preferred = hot_score(plain_post, NOW, CONFIG), hot_score(preferred_post, NOW, CONFIG)

    # Then the preferred store's scores 20% more
    assert preferred == pytest.approx(plain * 1.2)


def test_a_post_published_in_the_future_is_not_boosted_by_a_negative_age() -> None:
    # Given a post with one like whose publication time is 2 hours ahead of now (a clock skew)
    future = post("p", -2, likes=1)

    # When it is scored
    score = hot_score(future, NOW, CONFIG)

    # Then it scores as a fresh post would, not more
    assert score == 4


def test_rank_orders_by_score_keeps_the_top_per_list_and_drops_the_rest() -> None:
    # Given posts of two categories, one outside the 72-hour window and one without engagement
    candidates = [
        post("old-but-loved", 30, likes=20),   # 80 * 2^-1.25 = 33.6
        post("fresh", 1, likes=8),            # 32 * 0.971 = 31.1
        post("digital", 2, "数码", likes=9),    # 36 * 0.944 = 34.0
        post("outside-window", 73, likes=999),
        post("silent", 1),
        post("fourth", 3, likes=1),
    ]

    # When they are ranked into lists of 3
    lists = rank(candidates, NOW, CONFIG)

    # Then the overall list and each category's list hold their best 3, highest score first
    assert [r.post_id for r in lists[ALL]] == ["digital", "old-but-loved", "fresh"]  # size 3
    assert [r.post_id for r in lists["服饰"]] == ["old-but-loved", "fresh", "fourth"]
    assert [r.post_id for r in lists["数码"]] == ["digital"]


def test_ties_go_to_the_newer_post() -> None:
    # Given two posts with the same score, one a moment newer
    candidates = [post("older", 0.0, likes=1), Candidate("newer", "服饰", NOW, likes=1)]

    # When they are ranked
    lists = rank(candidates, NOW, CONFIG)

    # Then the newer one comes first
    assert [r.post_id for r in lists[ALL]] == ["newer", "older"]


@pytest.mark.parametrize(("status", "tier", "expected"), [
    ("published", "W2", True), ("published", "W4", True), ("published", "W1", False),
    ("published", "H1", False), ("removed", "W3", False), ("rejected", "W3", False), ("published", "W9", False),
])
def test_only_published_posts_of_eligible_tiers_may_enter(status: str, tier: str, expected: bool) -> None:
    # Given a post's status and its account's tier
    # When the hot list is asked whether it may enter
    allowed = may_enter(status, tier)

    # Then only a published post of W2 and above may
    assert allowed is expected


def test_buckets_cover_every_local_day_of_the_window_and_every_shard() -> None:
    # Given a post published at 00:30 on 06-10 in Shanghai
    published = datetime(2024, 6, 9, 16, 30, tzinfo=UTC)

    # When its bucket and the window's buckets are computed (NOW is 20:00 on 06-10 in Shanghai; 72 h back is 06-07)
    bucket = recent_bucket(published, "01HZZZ", 4)
    buckets = recent_buckets(NOW, CONFIG)

    # Then the post's bucket is of its Shanghai day, one of 4 shards
    assert bucket.startswith("2024-06-10#") and 0 <= int(bucket.split("#")[1]) < 4
    # And the window's buckets span every shard of every local day from 06-07 to 06-10, the post's included
    assert buckets[0] == "2024-06-07#0" and buckets[-1] == "2024-06-10#3" and len(buckets) == 16
    assert bucket in buckets


def test_the_shipped_configuration_is_the_documented_one() -> None:
    # Given the shipped hot-list file
    # When it is loaded
    config = hot_list_config()

    # Then it holds the documented window, half-life, boost, size and weights
    assert (config.window_hours, config.half_life_hours) == (72, 24)
    assert (config.preferred_store_boost, config.size) == (0.2, 100)
    assert config.weights == {"reads": 1, "likes": 4, "comments": 6, "votes": 3}
