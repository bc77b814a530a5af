"""GET /accounts/{id}/fans: kept by the follow, unfollow, group and activity writes, exact, owner-only."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import requests

from chalicelib.domain import clock
from chalicelib.store.follows import FollowModel
from local.store_calls import StoreCallCounter
from tests.conftest import bearer
from tests.flows import article, follow_all, new_account, publish


def _fans(api, owner: str, account_id: str) -> dict:
    response = api.as_user(owner).get(f"/accounts/{account_id}/fans")
    assert response.status == 200, response
    return response.json


def _truth(account_id: str) -> tuple[int, dict[str, int], int]:
    """What the distribution must say, by reading every follower (the test may scan; the route may not)."""
    follows = list(FollowModel.query(account_id, consistent_read=True))
    groups: dict[str, int] = {}
    for follow in follows:
        for group in follow.groups or ():
            groups[group] = groups.get(group, 0) + 1
    return len(follows), groups, sum(1 for f in follows if not f.groups)


def test_distribution_by_group_month_and_activity(api, run_workers) -> None:
    # Given an account followed by two fans in February and three in March (Asia/Shanghai)
    clock.set_now(lambda: datetime(2026, 2, 10, 4, tzinfo=UTC))
    account = new_account(api, "m1")
    base = f"/accounts/{account['account_id']}"
    follow_all(api, account["account_id"], ["f1", "f2"])
    clock.set_now(lambda: datetime(2026, 3, 1, 4, tzinfo=UTC))
    follow_all(api, account["account_id"], ["f3", "f4", "f5"])
    owner = api.as_user("m1")
    # ... two of them in vip, one also in new-fans, and one who later unfollows
    for group, user in (("vip", "f1"), ("vip", "f3"), ("new-fans", "f3"), ("vip", "f5")):
        assert owner.put(f"{base}/groups/{group}/members/{user}").status == 200
    assert owner.put(f"{base}/groups/vip/members/f1").status == 200  # again: counted once
    # ... f1 reads the account's post on 3 March, f2 on 5 March and again on 20 March
    publish(api, "m1", account["account_id"], article())
    run_workers()
    post_id = owner.get(f"{base}/posts").json["items"][0]["post_id"]
    for day, user in ((3, "f1"), (5, "f2"), (20, "f2"), (20, "f5")):
        clock.set_now(lambda d=day: datetime(2026, 3, d, 4, tzinfo=UTC))
        assert api.as_user(user).get(f"/posts/{post_id}").status == 200
        run_workers()
    run_workers()  # redelivery-safe: nothing moves twice
    api.as_user("f5").delete(f"/me/following/{account['account_id']}")

    # When the owner asks on 21 March (the last completed day is the 20th)
    clock.set_now(lambda: datetime(2026, 3, 21, 4, tzinfo=UTC))
    body = _fans(api, "m1", account["account_id"])

    # Then every view counts the four current followers
    assert body["total"] == 4
    assert body["by_group"] == [{"group": "vip", "count": 2}, {"group": "new-fans", "count": 1}]
    assert body["ungrouped"] == 2
    months = {m["month"]: m["count"] for m in body["by_follow_month"]}
    assert len(body["by_follow_month"]) == 12 and body["by_follow_month"][-1]["month"] == "2026-03"
    assert months["2026-02"] == 2 and months["2026-03"] == 2 and sum(months.values()) == 4
    # f2 active on the 20th (7d and 30d), f1 on the 3rd (30d only), f3 and f4 never
    assert body["by_activity"] == {"active_7d": 1, "active_30d": 2, "inactive_30d": 2}
    assert body["as_of"] == "2026-03-20"

    # And activity today does not change what "as of yesterday" says
    clock.set_now(lambda: datetime(2026, 3, 21, 6, tzinfo=UTC))
    assert api.as_user("f2").get(f"/posts/{post_id}").status == 200
    assert api.as_user("f4").get(f"/posts/{post_id}").status == 200
    run_workers()
    assert _fans(api, "m1", account["account_id"])["by_activity"] == body["by_activity"]
    # ... and tomorrow it counts
    clock.set_now(lambda: datetime(2026, 3, 22, 4, tzinfo=UTC))
    assert _fans(api, "m1", account["account_id"])["by_activity"] == {
        "active_7d": 2, "active_30d": 3, "inactive_30d": 1}


def test_fans_are_for_the_owner_only(api) -> None:
    account = new_account(api, "m1")
    assert api.as_user("someone").get(f"/accounts/{account['account_id']}/fans").status == 404
    assert api.as_user("m1").get("/accounts/NOPE/fans").status == 404
    assert api.get(f"/accounts/{account['account_id']}/fans").status == 401


def test_reading_the_distribution_costs_the_same_few_store_calls_whatever_the_followers(api) -> None:
    # Given two accounts, one with 2 followers and one with 30 in groups
    small, big = new_account(api, "m1"), new_account(api, "m1")
    follow_all(api, small["account_id"], ["a", "b"])
    fans = [f"fan{i}" for i in range(30)]
    follow_all(api, big["account_id"], fans)
    for i, fan in enumerate(fans):
        api.as_user("m1").put(f"/accounts/{big['account_id']}/groups/g{i % 3}/members/{fan}")
    counter = StoreCallCounter().attach()
    try:
        costs = []
        for account in (small, big):
            with counter.counting():
                _fans(api, "m1", account["account_id"])
            costs.append(dict(counter.calls))
    finally:
        counter.detach()
    # Then both cost one account read and four counter Queries
    assert costs[0] == costs[1] == {"GetItem": 1, "Query": 4}


def test_distribution_is_exact_under_concurrent_follows_unfollows_and_group_changes(http_base, api) -> None:
    # Given an account and 12 fans changing their follow and groups all at once
    account = new_account(api, "m1")
    account_id = account["account_id"]
    base = f"{http_base}/accounts/{account_id}"
    users = [f"u{i}" for i in range(12)]
    follow_all(api, account_id, users)
    rng = random.Random(7)
    ops = []
    for _ in range(120):
        user = rng.choice(users)
        ops.append(rng.choice([("PUT", f"{http_base}/me/following/{account_id}", user),
                               ("DELETE", f"{http_base}/me/following/{account_id}", user),
                               ("PUT", f"{base}/groups/{rng.choice(['vip', 'new'])}/members/{user}", "m1"),
                               ("DELETE", f"{base}/groups/{rng.choice(['vip', 'new'])}/members/{user}", "m1")]))

    def run(op: tuple[str, str, str]) -> int:
        method, url, caller = op
        return requests.request(method, url, headers=bearer(caller), timeout=60).status_code

    # When they all run concurrently
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(run, ops))
    # (a group change for someone who just unfollowed is a 404; nothing else fails)
    assert set(statuses) <= {200, 204, 404} and 500 not in statuses

    # Then the counts equal what the followers themselves say
    total, groups, ungrouped = _truth(account_id)
    body = _fans(api, "m1", account_id)
    assert body["total"] == total
    assert {g["group"]: g["count"] for g in body["by_group"]} == groups
    assert body["ungrouped"] == ungrouped
    this_month = clock.local_day(clock.now()).strftime("%Y-%m")
    assert {m["month"]: m["count"] for m in body["by_follow_month"]}[this_month] == total
    assert body["by_activity"]["inactive_30d"] == total


def test_a_follower_moves_between_activity_days_exactly_once_under_redelivery(api, run_workers) -> None:
    # Given a fan active on two days, each activity message delivered twice
    from chalicelib.services import activity as activity_service

    account = new_account(api, "m1")
    follow_all(api, account["account_id"], ["fan"])
    now = datetime.now(UTC)
    yesterday = now - timedelta(days=1)
    body = json.dumps({"v": 1, "at": yesterday.isoformat(), "user_id": "fan",
                       "accounts": {account["account_id"]: {"reads": 1}}, "posts": {}})
    activity_service.apply_batch([("m-1", body), ("m-1", body)])
    activity_service.apply_batch([("m-1", body)])
    activity_service.apply_batch([("m-2", body)])  # another message of the same day moves nothing either
    # Then the fan counts once, as active yesterday
    fans = _fans(api, "m1", account["account_id"])
    assert fans["by_activity"] == {"active_7d": 1, "active_30d": 1, "inactive_30d": 0}
