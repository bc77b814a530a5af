"""Buyer shows (买家秀): moderated, on the account's wall, one featured show a day pushed on top of quota."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain import clock
from chalicelib.domain.tiers import daily_quota_for
from chalicelib.store.activity import AccountDayModel
from tests.flows import feed_ids, follow_all, new_account, nine_grid, publish

DAY_ONE = datetime(2024, 6, 3, 10, 0, tzinfo=clock.SHANGHAI)


def buyer_show(text: str = "衣服质量很好，码数正，推荐！") -> dict:
    return {"format": "nine_grid", "text": text, "images": ["https://img.example.com/show.jpg"],
            "products": ["sku-1"]}


def send_show(api, fan: str, account_id: str, text: str) -> dict:
    sent = api.as_user(fan).post(f"/accounts/{account_id}/buyer-shows", buyer_show(text))
    assert sent.status == 202, sent
    return sent.json


def day_counters(account_id: str, day: str) -> AccountDayModel:
    return AccountDayModel.get(account_id, day)


def test_a_buyer_show_is_moderated_then_shown_on_the_wall_but_not_pushed(api, run_workers) -> None:
    # Given a shop with two followers
    clock.set_now(lambda: DAY_ONE)
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    follow_all(api, account_id, ["f1", "f2"])
    # When a buyer sends a buyer show
    sent = send_show(api, "buyer", account_id, "买了三件，面料舒服，洗了不变形")
    # Then it is held for moderation as a buyer_show post written by the buyer
    assert (sent["type"], sent["status"], sent["author_id"], sent["featured"]) == (
        "buyer_show", "pending_review", "buyer", False)
    assert api.as_user("x").get(f"/accounts/{account_id}/buyer-shows").json["items"] == []
    # And once moderation approves it, it is on the wall, not in any follower's feed
    run_workers()
    wall = api.as_user("x").get(f"/accounts/{account_id}/buyer-shows").json["items"]
    assert [(p["post_id"], p["status"]) for p in wall] == [(sent["post_id"], "published")]
    assert feed_ids(api, "f1") == []
    assert api.as_user("x").get(f"/accounts/{account_id}/posts").json["items"] == []
    # And it counts as the buyer's engagement, not as the shop's post
    counters = day_counters(account_id, "2024-06-03")
    assert (counters.buyer_shows, counters.posts) == (1, 0)


def test_one_featured_buyer_show_a_day_is_pushed_on_top_of_the_quota(api, run_workers) -> None:
    # Given a shop that used its whole daily quota, with a follower, and two approved buyer shows
    clock.set_now(lambda: DAY_ONE)
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    follow_all(api, account_id, ["f1"])
    for i in range(daily_quota_for("W1")):
        publish(api, "m1", account_id, nine_grid(f"今日上新第{i}款，限时折扣"))
    first = send_show(api, "buyer1", account_id, "颜色和图片一样，很满意")
    second = send_show(api, "buyer2", account_id, "物流很快，包装完好")
    run_workers()
    # When the owner features the first one an hour later
    clock.set_now(lambda: DAY_ONE + timedelta(hours=1))
    featured = api.as_user("m1").put(f"/posts/{first['post_id']}/featured")
    run_workers()
    # Then it is pushed to followers although the quota is used up, and tops their feed
    assert featured.status == 200 and (featured.json["featured"], featured.json["pushed"]) == (True, True)
    assert feed_ids(api, "f1")[0] == first["post_id"]
    # And featuring a second one the same day features it without pushing it
    again = api.as_user("m1").put(f"/posts/{second['post_id']}/featured")
    run_workers()
    assert (again.json["featured"], again.json["pushed"]) == (True, False)
    assert second["post_id"] not in feed_ids(api, "f1")
    # And repeating the first feature changes nothing (no second delivery)
    assert api.as_user("m1").put(f"/posts/{first['post_id']}/featured").json["pushed"] is True
    run_workers()
    assert feed_ids(api, "f1").count(first["post_id"]) == 1
    # And the push is not counted as one of the shop's manual posts
    assert day_counters(account_id, "2024-06-03").posts == daily_quota_for("W1")
    # When the owner features the second one again the next day, it is pushed then
    clock.set_now(lambda: DAY_ONE + timedelta(days=1))
    assert api.as_user("m1").put(f"/posts/{second['post_id']}/featured").json["pushed"] is True
    run_workers()
    assert feed_ids(api, "f1")[0] == second["post_id"]


def test_only_the_owner_features_only_approved_fan_buyer_shows(api, run_workers) -> None:
    # Given a shop, an approved buyer show and one of the owner's own posts
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    show = send_show(api, "buyer", account_id, "尺码标准，做工精细")
    own = publish(api, "m1", account_id, nine_grid("店主自己的上新"))
    run_workers()
    # Then a stranger may not feature it, and the owner cannot feature their own post
    assert api.as_user("stranger").put(f"/posts/{show['post_id']}/featured").status == 403
    assert api.as_user("m1").put(f"/posts/{own['post_id']}/featured").status == 409
    # And a show still in moderation cannot be featured yet
    pending = send_show(api, "buyer", account_id, "刚收到，还没试穿")
    assert api.as_user("m1").put(f"/posts/{pending['post_id']}/featured").status == 409
    assert api.as_user("stranger").put(f"/posts/{pending['post_id']}/featured").status == 404


def test_a_buyer_show_is_validated_like_a_post(api) -> None:
    # Given an account
    account_id = new_account(api, "m1")["account_id"]
    fan = api.as_user("buyer")
    # Then a show without products, of another type, targeted or scheduled is a 400 naming the field
    missing = fan.post(f"/accounts/{account_id}/buyer-shows", {"format": "nine_grid",
                                                               "images": ["https://img.example.com/a.jpg"]})
    assert missing.status == 400 and missing.json["error"]["details"][0]["pointer"] == "/products"
    assert fan.post(f"/accounts/{account_id}/buyer-shows", {**buyer_show(), "type": "video"}).status == 400
    targeted = fan.post(f"/accounts/{account_id}/buyer-shows", {**buyer_show(), "audience": {"groups": ["vip"]}})
    assert targeted.status == 400 and targeted.json["error"]["details"][0]["pointer"] == "/audience"
    assert fan.post("/accounts/NOPE/buyer-shows", buyer_show()).status == 404
    # And a retry with the same Idempotency-Key returns the same show
    headers = {"Idempotency-Key": "show-1"}
    once = fan.post(f"/accounts/{account_id}/buyer-shows", buyer_show(), headers=headers)
    twice = fan.post(f"/accounts/{account_id}/buyer-shows", buyer_show(), headers=headers)
    assert once.status == twice.status == 202 and once.json["post_id"] == twice.json["post_id"]
