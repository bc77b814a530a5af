"""Discovery rules without AWS: co-follow similarity, popular lists, suggestion scoring and exclusions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.discovery import (
    CandidateFacts,
    PopularEntry,
    PopularTally,
    Related,
    co_follow_counts,
    cosine,
    discovery_config,
    excluded,
    live_dismissals,
    merge_popular,
    rank_suggestions,
    related_accounts,
    sample_start,
    score_candidates,
    shortlist,
    strongest_candidates,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
CONFIG = replace(discovery_config(), min_support=2, related_size=3)


def facts(account_id: str, *, owner: str = "someone", tier: str = "W2", has_posts: bool = True) -> CandidateFacts:
    return CandidateFacts(account_id, owner, tier, has_posts)


# --- related accounts ------------------------------------------------------------------------

def test_co_follow_counts_each_sampled_follower_once_and_never_the_account_itself() -> None:
    # Given the follow lists of three sampled followers of "a", one listing "b" twice
    follow_lists = [["a", "b", "c", "b"], ["a", "b"], ["c"]]

    # When the co-follows are counted
    counts = co_follow_counts("a", follow_lists)

    # Then each account counts once per follower, and "a" itself not at all
    assert counts == {"b": 2, "c": 2}


def test_cosine_is_exact_on_a_full_sample_and_scales_a_partial_one() -> None:
    # Given 6 common followers seen in a full sample of 10 (other account: 40), and in a 10% sample of 100 (other: 400)
    # When the similarity is computed
    full = cosine(co=6, sampled=10, followers=10, other_followers=40)
    partial = cosine(co=6, sampled=10, followers=100, other_followers=400)

    # Then the full sample gives 6 / sqrt(400), and the partial one estimates 60 of 100 and 400: the same
    assert full == pytest.approx(0.3)
    assert partial == pytest.approx(0.3)
    # And no overlap is 0, and an estimate above 1 is capped
    assert cosine(co=0, sampled=10, followers=10, other_followers=10) == 0.0
    assert cosine(co=50, sampled=10, followers=100, other_followers=1) == 1.0


def test_related_keeps_the_most_similar_above_min_support_best_first() -> None:
    # Given co-follow counts of a big, a niche and a mid account, one seen once, and one whose size is unknown
    counts = {"big": 9, "niche": 3, "once": 1, "mid": 4, "unknown": 5}
    followers = {"big": 10_000, "niche": 3, "once": 1, "mid": 8}

    # When the related accounts are chosen
    related = related_accounts("a", sampled=10, followers=10, counts=counts, follower_counts=followers,
                               config=CONFIG)

    # Then they are the most similar first, without the one below min support or the unknown one
    # niche: 3/sqrt(30) .548, mid: 4/sqrt(80) .447, big: 9/sqrt(100000) .028; "once" below support, "unknown" unknown
    assert [r.account_id for r in related] == ["niche", "mid", "big"]
    assert related[0] == Related("niche", round(3 / 30 ** 0.5, 6), 3)


def test_related_keeps_at_most_related_size() -> None:
    # Given ten co-followed accounts of the same size, x9 the most co-followed
    counts = {f"x{i}": 2 + i for i in range(10)}

    # When the related accounts are chosen
    related = related_accounts("a", 20, 20, counts, {k: 20 for k in counts}, CONFIG)

    # Then only related_size of them are kept, the strongest first
    assert len(related) == CONFIG.related_size
    assert related[0].account_id == "x9"


def test_strongest_candidates_are_bounded_and_ordered_by_count() -> None:
    # Given co-follow counts, one below the minimum support of 2, and two tied at 5
    counts = {"a": 5, "b": 1, "c": 7, "d": 5}

    # When the 2 strongest candidates are taken
    strongest = strongest_candidates(counts, min_support=2, limit=2)

    # Then they are the highest counts first, a tie going to the lower account id
    assert strongest == ["c", "a"]


def test_the_follower_sample_starts_at_a_fixed_point_per_account() -> None:
    # Given two accounts
    # When the start of each one's follower sample is computed (the first one twice)
    first, again, other = sample_start("acct-1"), sample_start("acct-1"), sample_start("acct-2")

    # Then it is the same each time for an account, and another account's differs
    assert first == again
    assert first != other


def test_popular_tally_and_merge_keep_the_most_followed_per_category_and_overall() -> None:
    # Given two shards' tallies of accounts in two categories, one account without followers
    first, second = PopularTally(size=2), PopularTally(size=2)
    for account, category, followers in [("a", "服饰", 10), ("b", "服饰", 30), ("c", "美妆", 5), ("z", "服饰", 0)]:
        first.add(account, category, followers)
    for account, category, followers in [("d", "服饰", 20), ("e", "美妆", 50)]:
        second.add(account, category, followers)

    # When they are merged into lists of 2
    merged = merge_popular([first.to_json(10), second.to_json(10)], size=2, max_categories=10)

    # Then overall and each category keep their 2 most followed, most followed first
    assert merged[""] == [PopularEntry("e", 50), PopularEntry("b", 30)]
    assert merged["服饰"] == [PopularEntry("b", 30), PopularEntry("d", 20)]
    assert merged["美妆"] == [PopularEntry("e", 50), PopularEntry("c", 5)]
    # And an account without followers is not popular anywhere
    assert all(e.account_id != "z" for entries in merged.values() for e in entries)


# --- suggestions -----------------------------------------------------------------------------

def test_co_follow_reason_names_the_strongest_via_and_its_overlap_and_scores_add_up() -> None:
    # Given two followed accounts both related to "x" (f2 the more strongly), and f2 related to "y"
    related = {"f1": [Related("x", 0.2, 4)], "f2": [Related("x", 0.5, 3), Related("y", 0.4, 9)]}

    # When the candidates are scored
    found = score_candidates(["f1", "f2"], related, [], {}, [], NOW, CONFIG)

    # Then "x" scores the sum of both similarities, and each reason names the strongest via and its overlap
    assert found["x"].score == pytest.approx(0.7)
    assert found["x"].reasons == [{"kind": "co_follow", "via": "f2", "overlap": 3}]
    assert found["y"].reasons == [{"kind": "co_follow", "via": "f2", "overlap": 9}]


def test_commerce_signals_come_first_purchase_before_favourite_and_old_ones_are_ignored() -> None:
    # Given a strong co-follow, a shop favourited 3 days ago, one bought from yesterday and one 181 days ago
    related = {"f1": [Related("co", 1.0, 50)]}
    signals = [("fav", "favorite_shop", NOW - timedelta(days=3)), ("buy", "purchase", NOW - timedelta(days=1)),
               ("stale", "purchase", NOW - timedelta(days=181))]

    # When the candidates are scored and ranked
    found = score_candidates(["f1"], related, signals, {}, [], NOW, CONFIG)
    ranked = rank_suggestions(found, {a: facts(a) for a in found}, "me", set(), {}, NOW, 10, CONFIG)

    # Then the purchase comes first, then the favourite, then the co-follow; the old purchase is ignored
    assert [s.account_id for s in ranked] == ["buy", "fav", "co"]
    assert ranked[0].reasons == [{"kind": "purchase"}]
    assert "stale" not in found


def test_popular_in_a_followed_category_then_overall_fallback_for_someone_who_follows_nothing() -> None:
    # Given popular lists overall and for 美妆
    popular = {"": [PopularEntry("top", 900), PopularEntry("second", 800)], "美妆": [PopularEntry("beauty", 50)]}

    # When candidates are scored for a user following a 美妆 account, and for a newcomer following nothing
    following = score_candidates(["f1"], {}, [], popular, ["美妆"], NOW, CONFIG)
    newcomer = score_candidates([], {}, [], popular, [], NOW, CONFIG)
    ranked = rank_suggestions(newcomer, {a: facts(a) for a in newcomer}, "me", set(), {}, NOW, 10, CONFIG)

    # Then the first is offered the category's popular account, and the newcomer the overall ones
    assert following["beauty"].reasons == [{"kind": "popular", "category": "美妆"}]
    assert [s.account_id for s in ranked] == ["top", "second"]
    assert ranked[0].reasons == [{"kind": "popular"}]


def test_co_follow_outranks_popularity() -> None:
    # Given a very popular account in a followed category and a weakly co-followed one
    popular = {"美妆": [PopularEntry("beauty", 10_000)]}
    found = score_candidates(["f1"], {"f1": [Related("similar", 0.05, 2)]}, [], popular, ["美妆"], NOW, CONFIG)

    # When one is shortlisted
    chosen = shortlist(found, 1)

    # Then it is the co-followed one
    assert chosen == ["similar"]


@pytest.mark.parametrize("candidate, why", [
    (None, "the account no longer exists"),
    (facts("x", has_posts=False), "it never published"),
    (facts("x", tier="H1"), "it is in H1"),
    (facts("x", owner="me"), "the user owns it"),
    (facts("followed"), "the user follows it"),
    (facts("dismissed"), "the user dismissed it 89 days ago"),
])
def test_a_missing_postless_h1_own_followed_or_recently_dismissed_account_is_excluded(
        candidate: CandidateFacts | None, why: str) -> None:
    # Given a candidate that is gone, never published, is in H1, is the user's own, followed, or dismissed 89 days ago
    dismissed = {"dismissed": NOW - timedelta(days=89), "long_ago": NOW - timedelta(days=91)}

    # When it is checked against the exclusions
    is_excluded = excluded(candidate, "me", {"followed"}, dismissed, NOW, CONFIG)

    # Then it is excluded
    assert is_excluded, why


def test_a_dismissal_ends_after_90_days() -> None:
    # Given an account dismissed 91 days ago and one dismissed yesterday
    dismissed = {"long_ago": NOW - timedelta(days=91), "recent": NOW - timedelta(days=1)}

    # When the first is checked against the exclusions, and the live dismissals are listed
    long_ago_excluded = excluded(facts("long_ago"), "me", set(), dismissed, NOW, CONFIG)
    live = live_dismissals(dismissed, NOW, CONFIG)

    # Then the old dismissal no longer counts, and only the recent one is live
    assert not long_ago_excluded
    assert live == {"recent": dismissed["recent"]}


def test_rank_applies_exclusions_then_limit_with_stable_ties() -> None:
    # Given four candidates of equal score, one of them in H1
    found = score_candidates(["f"], {"f": [Related(a, 0.5, 2) for a in ("c", "b", "a", "h1")]}, [], {}, [], NOW,
                             CONFIG)
    known = {a: facts(a) for a in ("a", "b", "c")} | {"h1": facts("h1", tier="H1")}

    # When 2 are ranked
    ranked = rank_suggestions(found, known, "me", set(), {}, NOW, 2, CONFIG)

    # Then the H1 account is left out and the tie is broken by account id
    assert [s.account_id for s in ranked] == ["a", "b"]
