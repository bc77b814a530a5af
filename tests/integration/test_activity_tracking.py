"""Activity tracking: per-account Asia/Shanghai day counters, fan-days and active hours."""

from __future__ import annotations

from datetime import datetime, timedelta

import boto3

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.ids import new_id
from chalicelib.services import pipeline
from chalicelib.store import queues
from chalicelib.store.activity import AccountDayModel, AccountHourModel, FanDayModel
from chalicelib.store.posts import PostModel
from tests.flows import article, follow_all, new_account, nine_grid, publish

EVENING = datetime(2024, 5, 1, 20, 0, tzinfo=clock.SHANGHAI)


def counters(account_id: str, day: str) -> dict[str, int]:
    try:
        item = AccountDayModel.get(account_id, day)
    except AccountDayModel.DoesNotExist:
        return {}
    return {k: int(v) for k, v in item.attribute_values.items() if isinstance(v, (int, float))}


def fan_days(account_id: str) -> list[str]:
    return sorted(item.day_user for item in FanDayModel.query(account_id))


def hours(account_id: str) -> dict[str, int]:
    return {item.day_hour: int(item.active) for item in AccountHourModel.query(account_id)}


def activity_queue_depth() -> int:
    sqs = boto3.client("sqs", region_name=settings.region)
    url = sqs.get_queue_url(QueueName=settings.queue("activity"))["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def at(moment: datetime) -> None:
    clock.set_now(lambda: moment)


def test_reads_just_before_and_after_local_midnight_fall_on_different_days(api, run_workers) -> None:
    # Given a shop's post and a follower
    at(EVENING)
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    follow_all(api, account_id, ["f1"])
    post_id = publish(api, "m1", account_id, article("五一出游穿搭指南"))["post_id"]
    run_workers()
    # When the fan opens the post at 23:59:59 and again at 00:00:01 Asia/Shanghai
    # (both instants are on 2024-05-01 in UTC), and reads the feed just after midnight
    at(datetime(2024, 5, 1, 23, 59, 59, tzinfo=clock.SHANGHAI))
    assert api.as_user("f1").get(f"/posts/{post_id}").status == 200
    at(datetime(2024, 5, 2, 0, 0, 1, tzinfo=clock.SHANGHAI))
    assert api.as_user("f1").get(f"/posts/{post_id}").status == 200
    assert len(api.as_user("f1").get("/me/feed").json["items"]) == 1
    run_workers()
    # Then each read is counted on its own local day, the impression on the second
    first, second = counters(account_id, "2024-05-01"), counters(account_id, "2024-05-02")
    assert (first["reads"], first.get("impressions", 0)) == (1, 0)
    assert (second["reads"], second["impressions"]) == (1, 1)
    # And the fan was active on both days, in hour 23 of one and hour 0 of the next
    assert fan_days(account_id) == ["2024-05-01#f1", "2024-05-02#f1"]
    assert hours(account_id) == {"2024-05-01#23": 1, "2024-05-02#00": 2}
    # And the post itself counts both reads
    assert PostModel.get(post_id).reads == 2


def test_a_feed_page_is_one_message_counting_an_impression_per_post_shown(api, run_workers) -> None:
    # Given a follower of two shops that published 3 and 2 posts
    at(EVENING)
    big, small = new_account(api, "m1"), new_account(api, "m2")
    follow_all(api, big["account_id"], ["f1"])
    follow_all(api, small["account_id"], ["f1"])
    for i in range(3):
        publish(api, "m1", big["account_id"], nine_grid(f"大店上新第{i}款"))
    for i in range(2):
        publish(api, "m2", small["account_id"], nine_grid(f"小店上新第{i}款"))
    run_workers()
    # When the fan reads one page of the feed
    assert len(api.as_user("f1").get("/me/feed").json["items"]) == 5
    # Then exactly one activity message was sent for the page
    assert activity_queue_depth() == 1
    run_workers()
    # And each shop counts one impression per post shown, and the fan as active that day
    assert counters(big["account_id"], "2024-05-01")["impressions"] == 3
    assert counters(small["account_id"], "2024-05-01")["impressions"] == 2
    assert fan_days(big["account_id"]) == fan_days(small["account_id"]) == ["2024-05-01#f1"]
    # And an empty page sends nothing
    api.as_user("nobody").get("/me/feed")
    assert activity_queue_depth() == 0


def test_follows_unfollows_and_manual_and_system_posts_are_counted(api, run_workers) -> None:
    # Given a shop on one local day
    at(EVENING)
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    # When two fans follow (one twice), one unfollows (twice)
    follow_all(api, account_id, ["f1", "f2", "f1"])
    assert api.as_user("f2").delete(f"/me/following/{account_id}").status == 204
    assert api.as_user("f2").delete(f"/me/following/{account_id}").status == 204
    # And the owner publishes two posts, and the platform one system post (auto new-product)
    publish(api, "m1", account_id, nine_grid("春季新品到店"))
    publish(api, "m1", account_id, article("新品搭配建议"))
    system_post = PostModel(new_id(clock.now()), account_id=account_id, author_id="system", type="new_product",
                            format="nine_grid", section="new", status="pending_review", system=True,
                            content={"type": "new_product", "format": "nine_grid", "text": "自动上新",
                                     "images": ["https://img.example.com/auto.jpg"], "products": ["sku-9"]},
                            created_at=clock.now())
    system_post.save()
    assert pipeline.publish(system_post, None)
    run_workers()
    # Then the day counts each change once, and manual posts apart from system posts
    day = counters(account_id, "2024-05-01")
    assert (day["new_followers"], day["lost_followers"]) == (2, 1)
    assert (day["posts"], day["system_posts"]) == (2, 1)


def test_everyone_counts_but_only_followers_are_active_fans(api, run_workers) -> None:
    # Given a poll by a shop with one follower
    at(EVENING)
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    follow_all(api, account_id, ["f1"])
    poll = publish(api, "m1", account_id, {
        "type": "poll", "format": "nine_grid", "text": "下一期直播想看什么？",
        "images": ["https://img.example.com/p.jpg"],
        "poll": {"question": "选一个", "options": ["新品", "清仓"],
                 "closes_at": clock.rfc3339(EVENING + timedelta(days=2))}})["post_id"]
    run_workers()
    # When the follower and a stranger each read, like, comment and vote
    for user in ("f1", "stranger"):
        fan = api.as_user(user)
        assert fan.get(f"/posts/{poll}").status == 200
        assert fan.put(f"/posts/{poll}/likes/me").status == 200
        assert fan.post(f"/posts/{poll}/comments", {"text": "想看新品"}).status == 201
        assert fan.post(f"/posts/{poll}/votes", {"option": 0}).status == 201
    run_workers()
    # Then the counters count both users
    day = counters(account_id, "2024-05-01")
    assert (day["reads"], day["likes"], day["comments"], day["votes"]) == (2, 2, 2, 2)
    # And only the follower is an active fan, with four moments of activity in hour 20
    assert fan_days(account_id) == ["2024-05-01#f1"]
    assert hours(account_id) == {"2024-05-01#20": 4}


def test_a_malformed_activity_message_is_dropped_and_the_batch_applied(api, run_workers) -> None:
    # Given a shop, one good message and two malformed ones in the activity queue
    at(EVENING)
    account_id = new_account(api, "m1")["account_id"]
    run_workers()
    queues.send("activity", {"v": 1, "at": "yesterday", "user_id": "f1", "accounts": {}})
    queues.send("activity", {"v": 1, "at": clock.now().isoformat(), "user_id": "f1",
                             "accounts": {account_id: {"impressions": -5}}})
    queues.send("activity", {"v": 1, "at": clock.now().isoformat(), "user_id": "f1",
                             "accounts": {account_id: {"impressions": 4}}})
    # When the consumer runs
    run_workers()
    # Then the good message is applied and nothing is left to retry
    assert counters(account_id, "2024-05-01")["impressions"] == 4
    assert activity_queue_depth() == 0
