"""Posts through HTTP: validation, idempotency, quota, H1, scheduling, audiences, takedown."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import requests

from app import app
from chalicelib.domain import clock
from chalicelib.domain.tiers import daily_quota_for
from chalicelib.store.accounts import AccountModel
from chalicelib.store.posts import PostModel
from local.workers import fire_schedule
from tests.conftest import bearer
from tests.flows import article, feed_ids, follow_all, new_account, nine_grid, publish, video_post


def test_a_clean_post_is_published_and_delivered(api, run_workers) -> None:
    account = new_account(api, "m1")
    follow_all(api, account["account_id"], ["f1", "f2"])
    post = publish(api, "m1", account["account_id"], nine_grid())
    assert post["status"] == "pending_review"
    run_workers()
    assert api.as_user("f1").get(f"/posts/{post['post_id']}").json["status"] == "published"
    assert feed_ids(api, "f1") == feed_ids(api, "f2") == [post["post_id"]]


def test_a_bad_post_is_a_400_naming_each_field_and_stores_nothing(api) -> None:
    account = new_account(api, "m1")
    body = nine_grid(images=["http://insecure.example.com/a.jpg"], products=[], status="published", likes=99)
    refused = api.as_user("m1").post(f"/accounts/{account['account_id']}/posts", body)
    assert refused.status == 400
    assert {d["pointer"] for d in refused.json["error"]["details"]} == {"/images/0", "/products", "/status", "/likes"}
    assert api.as_user("m1").get(f"/accounts/{account['account_id']}/posts").json["items"] == []


def test_posting_as_someone_elses_account_is_refused(api) -> None:
    account = new_account(api, "m1")
    assert api.as_user("intruder").post(f"/accounts/{account['account_id']}/posts", nine_grid()).status == 403
    assert api.as_user("m1").post("/accounts/UNKNOWN/posts", nine_grid()).status == 404


def test_a_retry_with_the_same_idempotency_key_returns_the_same_post(api, run_workers) -> None:
    account = new_account(api, "m1")
    follow_all(api, account["account_id"], ["f1"])
    path = f"/accounts/{account['account_id']}/posts"
    first = api.as_user("m1").post(path, nine_grid(), headers={"Idempotency-Key": "k-1"})
    again = api.as_user("m1").post(path, nine_grid(), headers={"Idempotency-Key": "k-1"})
    assert first.status == again.status == 202 and first.json["post_id"] == again.json["post_id"]
    other_body = api.as_user("m1").post(path, nine_grid("换了内容"), headers={"Idempotency-Key": "k-1"})
    assert other_body.status == 409
    run_workers()
    assert len(api.as_user("m1").get(path).json["items"]) == 1
    assert feed_ids(api, "f1") == [first.json["post_id"]]


def test_quota_is_exact_under_20_concurrent_creates(http_base, api) -> None:
    account = new_account(api, "m1")
    quota = daily_quota_for("W1")
    url = f"{http_base}/accounts/{account['account_id']}/posts"

    def create(i: int) -> requests.Response:
        return requests.post(url, headers=bearer("m1"), json=nine_grid(f"第{i}条"), timeout=60)

    with ThreadPoolExecutor(10) as pool:
        responses = list(pool.map(create, range(20)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [202] * quota + [429] * (20 - quota)
    refusal = next(r for r in responses if r.status_code == 429)
    assert int(refusal.headers["Retry-After"]) > 0
    detail = refusal.json()["error"]["details"][0]
    assert (detail["quota"], detail["count"]) == (quota, quota) and detail["resets_at"].endswith("+08:00")
    assert len(api.as_user("m1").get(f"/accounts/{account['account_id']}/posts?limit=100").json["items"]) == quota


def test_h1_accounts_cannot_publish(api) -> None:
    account = new_account(api, "m1")
    AccountModel(account["account_id"]).update(actions=[AccountModel.tier.set("H1")])
    refused = api.as_user("m1").post(f"/accounts/{account['account_id']}/posts", nine_grid())
    assert refused.status == 403 and "H1" in refused.json["error"]["message"]


def test_a_scheduled_post_is_held_and_published_on_time(api, run_workers) -> None:
    account = new_account(api, "m1")
    follow_all(api, account["account_id"], ["f1"])
    start = datetime.now(UTC)
    when = start + timedelta(hours=2)
    post = publish(api, "m1", account["account_id"], nine_grid(publish_at=clock.rfc3339(when)))
    assert post["status"] == "scheduled"
    # Not yet: the schedule fires but the time has not come
    fire_schedule(app, "publish_due")
    run_workers()
    assert feed_ids(api, "f1") == []
    assert api.as_user("f1").get(f"/posts/{post['post_id']}").status == 404
    # When the time comes, the schedule worker releases it through moderation and fan-out
    clock.set_now(lambda: when + timedelta(seconds=30))
    fire_schedule(app, "publish_due")
    run_workers()
    assert feed_ids(api, "f1") == [post["post_id"]]


def test_a_scheduled_post_counts_on_the_day_it_publishes(api) -> None:
    account = new_account(api, "m1")
    tomorrow = datetime.now(UTC) + timedelta(days=1, hours=1)
    path = f"/accounts/{account['account_id']}/posts"
    for _ in range(daily_quota_for("W1")):
        publish(api, "m1", account["account_id"], nine_grid(publish_at=clock.rfc3339(tomorrow)))
    assert api.as_user("m1").post(path, nine_grid(publish_at=clock.rfc3339(tomorrow))).status == 429
    assert api.as_user("m1").post(path, nine_grid()).status == 202  # today's quota is untouched


def test_audience_groups_limit_delivery(api, run_workers) -> None:
    account = new_account(api, "m1")
    base = f"/accounts/{account['account_id']}"
    follow_all(api, account["account_id"], ["vip1", "vip2", "plain"])
    for user in ("vip1", "vip2"):
        api.as_user("m1").put(f"{base}/groups/vip/members/{user}")
    post = publish(api, "m1", account["account_id"], nine_grid(audience={"groups": ["vip"]}))
    run_workers()
    assert feed_ids(api, "vip1") == feed_ids(api, "vip2") == [post["post_id"]]
    assert feed_ids(api, "plain") == []


def test_a_takedown_removes_the_post_everywhere(api, run_workers) -> None:
    account = new_account(api, "m1")
    follow_all(api, account["account_id"], ["f1", "f2"])
    post = publish(api, "m1", account["account_id"], video_post())
    run_workers()
    assert api.as_user("f1").delete(f"/posts/{post['post_id']}").status == 403
    assert api.as_user("mod", ["moderator"]).delete(f"/posts/{post['post_id']}").status == 204
    run_workers()
    assert feed_ids(api, "f1") == feed_ids(api, "f2") == []
    assert api.as_user("f1").get(f"/posts/{post['post_id']}").status == 404
    assert api.as_user("f1").get(f"/accounts/{account['account_id']}/posts").json["items"] == []
    assert api.as_user("m1").get(f"/posts/{post['post_id']}").json["status"] == "removed"
    assert api.as_user("m1").delete(f"/posts/{post['post_id']}").status == 204  # idempotent
    assert PostModel.count() == 1


def test_a_banned_word_rejects_the_post_before_anyone_sees_it(api, run_workers) -> None:
    account = new_account(api, "m1")
    follow_all(api, account["account_id"], ["f1"])
    post = publish(api, "m1", account["account_id"], article("想要优惠的加微信 abc123，还能刷单返现"))
    run_workers()
    seen_by_owner = api.as_user("m1").get(f"/posts/{post['post_id']}").json
    assert seen_by_owner["status"] == "rejected" and "off_platform_diversion" in seen_by_owner["reject_reason"]
    assert feed_ids(api, "f1") == []
    assert api.as_user("f1").get(f"/posts/{post['post_id']}").status == 404
