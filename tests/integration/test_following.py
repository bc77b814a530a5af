"""Following through HTTP: idempotent follow/unfollow, exact counts, lists, fan groups, backfill."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import bearer
from tests.flows import feed_ids, follow_all, new_account, nine_grid, publish


def test_follow_and_unfollow_are_idempotent(api) -> None:
    account = new_account(api, "m1")
    fan = api.as_user("fan")
    for _ in range(3):
        assert fan.put(f"/me/following/{account['account_id']}").status == 200
    assert fan.get(f"/accounts/{account['account_id']}").json["follower_count"] == 1
    for _ in range(2):
        assert fan.delete(f"/me/following/{account['account_id']}").status == 204
    assert fan.get(f"/accounts/{account['account_id']}").json["follower_count"] == 0
    assert fan.put("/me/following/NOPE").status == 404


def test_follower_count_is_exact_under_concurrent_follows(http_base, api) -> None:
    account = new_account(api, "m1")
    url = f"{http_base}/me/following/{account['account_id']}"

    def follow(i: int) -> int:
        # every fan follows twice at once: 40 requests, 20 distinct fans
        return requests.put(url, headers=bearer(f"fan{i % 20}"), timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(follow, range(40))) == {200}
    assert api.as_user("x").get(f"/accounts/{account['account_id']}").json["follower_count"] == 20


def test_lists_page_with_cursors(api) -> None:
    accounts = [new_account(api, f"m{i}") for i in range(3)]
    for account in accounts:
        api.as_user("fan").put(f"/me/following/{account['account_id']}")
    first = api.as_user("fan").get("/me/following?limit=2").json
    rest = api.as_user("fan").get(f"/me/following?limit=2&cursor={first['next_cursor']}").json
    seen = [a["account_id"] for a in first["items"] + rest["items"]]
    assert sorted(seen) == sorted(a["account_id"] for a in accounts) and rest["next_cursor"] is None
    assert api.as_user("fan").get("/me/following?cursor=garbage").status == 400


def test_followers_are_for_the_owner_only_and_groups_filter_them(api) -> None:
    account = new_account(api, "m1")
    follow_all(api, account["account_id"], ["a", "b", "c"])
    base = f"/accounts/{account['account_id']}"
    assert api.as_user("a").get(f"{base}/followers").status == 404
    assert api.as_user("a").put(f"{base}/groups/vip/members/a").status == 404
    owner = api.as_user("m1")
    assert owner.put(f"{base}/groups/vip/members/b").status == 200
    assert owner.put(f"{base}/groups/vip/members/stranger").status == 404
    assert owner.put(f"{base}/groups/Bad Group!/members/b").status == 400
    followers = owner.get(f"{base}/followers").json["items"]
    assert {f["user_id"]: f["groups"] for f in followers} == {"a": [], "b": ["vip"], "c": []}
    assert [f["user_id"] for f in owner.get(f"{base}/followers?group=vip").json["items"]] == ["b"]
    assert owner.delete(f"{base}/groups/vip/members/b").status == 204
    assert owner.get(f"{base}/followers?group=vip").json["items"] == []


def test_following_backfills_the_latest_five_posts_and_unfollowing_removes_them(api, run_workers, monkeypatch) -> None:
    from chalicelib.domain.tiers import tier_config

    monkeypatch.setitem(tier_config()["tiers"]["W1"], "daily_quota", 10)
    account = new_account(api, "m1")
    posted = [publish(api, "m1", account["account_id"], nine_grid(f"新品第{i}弹"))["post_id"] for i in range(7)]
    run_workers()
    api.as_user("late").put(f"/me/following/{account['account_id']}")
    assert feed_ids(api, "late") == list(reversed(posted))[:5]
    api.as_user("late").delete(f"/me/following/{account['account_id']}")
    assert feed_ids(api, "late") == []
