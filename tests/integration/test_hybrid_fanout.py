"""Hybrid fan-out: huge accounts are pulled at read time and merged with the inbox.

Thresholds are lowered so that a few followers make an account "huge".
"""

from __future__ import annotations

from typing import Any

from chalicelib.config import settings
from chalicelib.domain.delivery_modes import PULL, PUSH
from chalicelib.services.feed import MAX_ROUNDS
from chalicelib.store import delivery_state
from chalicelib.store.inbox import InboxModel
from local.store_calls import StoreCallCounter
from tests.flows import article, feed_ids, follow_all, new_account, nine_grid, publish, video_post


def given_thresholds(monkeypatch: Any, pull_above: int, push_below: int) -> None:
    from chalicelib.domain.tiers import tier_config

    monkeypatch.setattr(settings, "hybrid_pull_above", pull_above)
    monkeypatch.setattr(settings, "hybrid_push_below", push_below)
    monkeypatch.setitem(tier_config()["tiers"]["W1"], "daily_quota", 20)


def paged_ids(api: Any, user: str, limit: int, section: str = "all") -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        path = f"/me/feed?section={section}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        page = api.as_user(user).get(path).json
        seen += [p["post_id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return seen


def inbox_posts(user: str) -> set[str]:
    return {e.post_id for e in InboxModel.query(user)}


def test_a_huge_accounts_posts_are_pulled_at_read_time_and_merged_newest_first(api, run_workers,
                                                                                  monkeypatch) -> None:
    # Given accounts with more than 2 followers are pulled
    given_thresholds(monkeypatch, pull_above=2, push_below=1)
    small, huge = new_account(api, "m1"), new_account(api, "m2")
    follow_all(api, small["account_id"], ["fan"])
    follow_all(api, huge["account_id"], ["fan", "x1", "x2"])
    run_workers()
    assert delivery_state.delivery_mode(huge["account_id"]).mode == PULL
    # When both publish, alternating, posts of every section
    posted: list[tuple[str, str, str]] = []  # (post_id, account, section)
    bodies = [nine_grid(), video_post(), article(), nine_grid("第二弹"), video_post(12), article("又一篇")]
    for i, body in enumerate(bodies):
        shop = (small, huge)[i % 2]
        post_id = publish(api, shop["owner_id"], shop["account_id"], body)["post_id"]
        posted.append((post_id, shop["account_id"], {"new_product": "new", "video": "video"}.get(body["type"], "")))
        run_workers()
    newest_first = [p for p, _, _ in reversed(posted)]

    # Then no inbox holds the huge account's posts
    assert inbox_posts("fan") == {p for p, account, _ in posted if account == small["account_id"]}
    assert inbox_posts("x1") == set()
    # And every follower's feed merges both accounts newest first, on one page or many
    assert feed_ids(api, "fan") == newest_first
    assert paged_ids(api, "fan", limit=2) == newest_first
    assert feed_ids(api, "x1") == [p for p, account, _ in reversed(posted) if account == huge["account_id"]]
    # And sections apply to pulled posts as to pushed ones
    for section in ("new", "video"):
        expected = [p for p, _, s in reversed(posted) if s == section]
        assert feed_ids(api, "fan", section) == expected
        assert paged_ids(api, "fan", 1, section) == expected


def test_crossing_the_threshold_either_way_keeps_every_feed(api, run_workers, monkeypatch) -> None:
    # Given an account pulled above 2 followers and pushed again below 3
    given_thresholds(monkeypatch, pull_above=2, push_below=3)
    shop = new_account(api, "m1")
    account_id, owner = shop["account_id"], shop["owner_id"]

    texts = iter(["秋冬新款上市", "羽绒服限时折扣", "新款运动鞋到店", "会员日全场包邮", "年货节预售开启"])

    def post() -> str:
        post_id = publish(api, owner, account_id, nine_grid(next(texts)))["post_id"]
        run_workers()
        assert api.as_user(owner).get(f"/posts/{post_id}").json["status"] == "published"
        return post_id

    # Pushed while it has two followers
    follow_all(api, account_id, ["a", "b"])
    p1 = post()
    assert inbox_posts("a") == {p1}
    # A third follower makes it huge: later posts are pulled (c got p1 by backfill)
    follow_all(api, account_id, ["c"])
    run_workers()
    assert delivery_state.delivery_mode(account_id).mode == PULL
    p2 = post()
    follow_all(api, account_id, ["d"])  # backfilled with p2 and p1
    p3 = post()
    assert p2 not in inbox_posts("a") | inbox_posts("c") and p3 not in inbox_posts("d")
    assert {u: feed_ids(api, u) for u in "abcd"} == {u: [p3, p2, p1] for u in "abcd"}

    # When a and b unfollow, 2 followers remain: back to fan-out on write
    for user in "ab":
        assert api.as_user(user).delete(f"/me/following/{account_id}").status == 204
    run_workers()
    assert delivery_state.delivery_mode(account_id).mode == PUSH
    p4 = post()
    # Then posts of the pull period stay in the feeds, newer ones are pushed
    assert p4 in inbox_posts("c") and p4 in inbox_posts("d")
    assert {u: feed_ids(api, u) for u in "abcd"} == {"a": [], "b": [], "c": [p4, p3, p2, p1], "d": [p4, p3, p2, p1]}
    # And a takedown of a pulled post hides it everywhere at once
    assert api.as_user(owner).delete(f"/posts/{p2}").status == 204
    assert feed_ids(api, "c") == [p4, p3, p1] and paged_ids(api, "d", 1) == [p4, p3, p1]
    # And a fan who follows again gets what any new follower gets: the latest five
    follow_all(api, account_id, ["a"])
    assert feed_ids(api, "a") == [p4, p3, p1]

    # When it grows again, it is pulled again and nobody loses a post
    follow_all(api, account_id, ["b", "e"])
    run_workers()
    assert delivery_state.delivery_mode(account_id).mode == PULL
    p5 = post()
    assert p5 not in inbox_posts("c")
    assert {u: feed_ids(api, u) for u in "abcde"} == {
        "a": [p5, p4, p3, p1], "b": [p5, p4, p3, p1], "c": [p5, p4, p3, p1], "d": [p5, p4, p3, p1],
        "e": [p5, p4, p3, p1]}


def test_audience_groups_and_unfollows_apply_to_pulled_posts(api, run_workers, monkeypatch) -> None:
    # Given a pulled account whose follower vip1 is in the "vip" fan group
    given_thresholds(monkeypatch, pull_above=1, push_below=1)
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    follow_all(api, account_id, ["vip1", "plain"])
    run_workers()
    assert api.as_user("m1").put(f"/accounts/{account_id}/groups/vip/members/vip1").status == 200
    # When it publishes one post for everyone and one for the vip group
    public = publish(api, "m1", account_id, nine_grid())["post_id"]
    run_workers()
    members_only = publish(api, "m1", account_id, nine_grid("会员专享", audience={"groups": ["vip"]}))["post_id"]
    run_workers()
    # Then only group members see the group's post
    assert feed_ids(api, "vip1") == [members_only, public]
    assert feed_ids(api, "plain") == [public]
    # And an unfollow hides the account at once
    assert api.as_user("plain").delete(f"/me/following/{account_id}").status == 204
    assert feed_ids(api, "plain") == []


def test_a_feed_page_costs_a_bounded_number_of_store_calls(api, run_workers, monkeypatch) -> None:
    # Given a fan who follows one pushed account and 12 pulled ones, each with a post,
    # and pages merge at most 10 pulled accounts
    given_thresholds(monkeypatch, pull_above=1, push_below=1)
    monkeypatch.setattr(settings, "hybrid_max_pulled", 10)
    small = new_account(api, "small")
    follow_all(api, small["account_id"], ["fan"])
    huge = [new_account(api, f"big{i}") for i in range(12)]
    for shop in huge:
        follow_all(api, shop["account_id"], ["fan", "other"])
    run_workers()
    for shop in [small, *huge]:
        publish(api, shop["owner_id"], shop["account_id"], nine_grid())
    run_workers()
    counter = StoreCallCounter().attach()
    try:
        # When the fan reads a page of 20
        with counter.counting():
            page = api.as_user("fan").get("/me/feed?limit=20").json
    finally:
        counter.detach()
    # Then it merged the inbox with 10 pulled accounts in one round:
    # 1 Query of pull windows, 1 inbox Query, 10 pulled Queries, 3 BatchGetItem
    assert len(page["items"]) == 11
    assert counter.calls == {"Query": 12, "BatchGetItem": 3}
    assert counter.total <= 1 + MAX_ROUNDS * (settings.hybrid_max_pulled + 6)
