"""Auto 上新 through HTTP: listing events in, one system post per account and window out."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.local import LambdaContext

from app import app
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.messages import ListingEvent, ListingsMessage
from chalicelib.domain.new_products import Listing
from chalicelib.services import new_products
from chalicelib.store import new_products as store
from chalicelib.store.accounts import AccountModel
from local.workers import fire_schedule
from tests.flows import article, feed_ids, follow_all, new_account, queue_depths

PLATFORM = ("shop-platform", ["operator"])
WINDOW_S = 60
TITLES = ["羊毛大衣", "羊绒围巾", "真丝衬衫", "牛仔裤", "羽绒服", "针织开衫", "皮靴", "毛呢裙", "卫衣", "棉服",
          "围巾", "手套"]


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):
    """A pinned clock with a short window; ``at.move(seconds)`` moves it on."""
    monkeypatch.setattr(settings, "auto_new_window_s", WINDOW_S)

    class Clock:
        now = datetime.now(UTC).replace(microsecond=0)

        def move(self, seconds: float) -> None:
            self.now += timedelta(seconds=seconds)

    pinned = Clock()
    clock.set_now(lambda: pinned.now)
    return pinned


def event(account_id: str, n: int, **overrides: Any) -> dict[str, Any]:
    return {"account_id": account_id, "product_id": f"sku-{n:03d}", "title": TITLES[n % len(TITLES)],
            "image": f"https://img.example.com/p{n}.jpg", "price": 199 + n,
            "listed_at": clock.rfc3339(clock.now()), **overrides}


def report(api, events: list[dict[str, Any]]):
    return api.as_user(*PLATFORM).post("/ops/products", {"events": events})


def close_windows(api, run_workers, at) -> None:
    """Let every open window end, then run the schedule and the workers it sets off."""
    at.move(WINDOW_S + settings.auto_new_close_grace_s + 1)
    fire_schedule(app, "close_listing_windows")
    run_workers()


def owner_posts(api, owner: str, account_id: str) -> list[dict[str, Any]]:
    return api.as_user(owner).get(f"/accounts/{account_id}/posts").json["items"]


def test_twelve_listings_become_one_system_post_that_fans_see_and_that_costs_no_quota(api, run_workers, at) -> None:
    # Given a W1 shop with fans
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    follow_all(api, account_id, ["fan1", "fan2"])

    # When the platform reports 12 listings in two calls within the window
    assert report(api, [event(account_id, n) for n in range(7)]).json == {"accepted": 7}
    at.move(20)
    assert report(api, [event(account_id, n) for n in range(7, 12)]).status == 202
    run_workers()
    fire_schedule(app, "close_listing_windows")
    run_workers()
    # (nothing is announced while the window is open)
    assert owner_posts(api, "m1", account_id) == []
    close_windows(api, run_workers, at)

    # Then one system post names all 12 products with 9 images, published in the fans' 上新 section
    [post] = owner_posts(api, "m1", account_id)
    assert post["status"] == "published" and post["system"] is True
    assert post["type"] == "new_product" and post["format"] == "nine_grid"
    assert post["text"] == "上新 12 件：羊毛大衣、羊绒围巾、真丝衬衫…"
    assert post["images"] == [f"https://img.example.com/p{n}.jpg" for n in range(9)]
    assert post["products"] == [f"sku-{n:03d}" for n in range(12)]
    assert feed_ids(api, "fan1", "new") == feed_ids(api, "fan2", "all") == [post["post_id"]]
    assert api.as_user("fan1").get("/me/feed?section=new").json["items"][0]["system"] is True
    stats = api.as_user("m1").get(f"/accounts/{account_id}/stats").json["today"]
    assert (stats["system_posts"], stats["posts"]) == (1, 0)

    # And the owner still has W1's whole quota for the day
    for n in range(3):
        assert api.as_user("m1").post(f"/accounts/{account_id}/posts", article(f"今日穿搭第{n}篇")).status == 202
    assert api.as_user("m1").post(f"/accounts/{account_id}/posts", article("第四篇")).status == 429

    # And a later tick finds nothing more to close
    close_windows(api, run_workers, at)
    assert len(owner_posts(api, "m1", account_id)) == 4


def test_a_product_is_announced_once_and_not_again_within_30_days(api, run_workers, at) -> None:
    # Given a shop whose listings the platform reports with repeats (and retries a whole call)
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    batch = [event(account_id, 1), event(account_id, 2), event(account_id, 1)]
    assert report(api, batch).status == 202
    assert report(api, batch).status == 202
    run_workers()
    close_windows(api, run_workers, at)
    [post] = owner_posts(api, "m1", account_id)
    assert post["products"] == ["sku-001", "sku-002"] and post["text"] == "上新 2 件：羊绒围巾、真丝衬衫"
    day = clock.local_day(clock.now() - timedelta(seconds=WINDOW_S + 31)).isoformat()
    assert store.dropped(account_id, day)["duplicate"] == 4

    # When the same products are reported again 10 days later
    at.move(10 * 86400)
    assert report(api, [event(account_id, 1), event(account_id, 2)]).status == 202
    run_workers()
    close_windows(api, run_workers, at)
    # Then nothing new is announced
    assert len(owner_posts(api, "m1", account_id)) == 1

    # But 31 days after its announcement a product may be announced again
    at.move(21 * 86400)
    assert report(api, [event(account_id, 1)]).status == 202
    run_workers()
    close_windows(api, run_workers, at)
    newest = owner_posts(api, "m1", account_id)[0]
    assert len(owner_posts(api, "m1", account_id)) == 2 and newest["products"] == ["sku-001"]


def test_a_window_closes_into_exactly_one_post_however_often_and_by_whom_it_is_closed(api, run_workers, at) -> None:
    # Given a window with listings, past its end
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    assert report(api, [event(account_id, n) for n in range(3)]).status == 202
    run_workers()
    window_id = AccountModel.get(account_id).new_product_window
    at.move(WINDOW_S + settings.auto_new_close_grace_s + 1)

    # When four workers close it at once, and the close is then redelivered and retried
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(new_products.close_window(window_id)))
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.append(new_products.close_window(window_id))
    fire_schedule(app, "close_listing_windows")
    run_workers()

    # Then one close announced it and there is one post, published once
    assert results.count("announced") == 1 and set(results) <= {"announced", "already_closed"}
    posts = owner_posts(api, "m1", account_id)
    assert [p["status"] for p in posts] == ["published"] and posts[0]["post_id"] == store.get_window(window_id).post_id
    assert api.as_user("m1").get(f"/accounts/{account_id}/stats").json["today"]["system_posts"] == 1


def test_an_owner_turns_auto_new_products_off_and_events_are_dropped_and_counted(api, run_workers, at) -> None:
    # Given a shop whose owner turns auto 上新 off
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    assert shop["auto_new_products"] is True
    changed = api.as_user("m1").patch(f"/accounts/{account_id}", {"auto_new_products": False})
    assert changed.status == 200 and changed.json["auto_new_products"] is False
    assert api.as_user("m1").get(f"/accounts/{account_id}").json["auto_new_products"] is False
    assert "auto_new_products" not in api.as_user("fan").get(f"/accounts/{account_id}").json

    # When listings are reported
    assert report(api, [event(account_id, n) for n in range(4)]).json == {"accepted": 4}
    run_workers()
    close_windows(api, run_workers, at)

    # Then they are dropped (and counted), and nothing is announced
    assert owner_posts(api, "m1", account_id) == []
    assert store.dropped(account_id, clock.local_day(clock.now()).isoformat())["opted_out"] == 4

    # And once it is back on, new listings are announced
    assert api.as_user("m1").patch(f"/accounts/{account_id}", {"auto_new_products": True}).status == 200
    assert report(api, [event(account_id, 5)]).status == 202
    run_workers()
    close_windows(api, run_workers, at)
    assert [p["products"] for p in owner_posts(api, "m1", account_id)] == [["sku-005"]]


def test_a_banned_word_in_a_title_rejects_the_system_post_without_a_strike(api, run_workers, at) -> None:
    # Given a listing whose title (not in the post's text) carries a banned word
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    follow_all(api, account_id, ["fan1"])
    titles = ["羊毛大衣", "羊绒围巾", "真丝衬衫", "高仿名牌包"]
    assert report(api, [event(account_id, n, title=t) for n, t in enumerate(titles)]).status == 202
    run_workers()
    close_windows(api, run_workers, at)

    # Then the system post is rejected, reaches no one, and is no strike against the account
    [post] = owner_posts(api, "m1", account_id)
    assert post["status"] == "rejected" and "高仿" not in post["text"]
    assert feed_ids(api, "fan1") == []
    strikes = api.as_user("mod", ["moderator"]).get(f"/moderation/accounts/{account_id}/strikes").json
    assert strikes["items"] == []


def test_only_operators_report_listings_and_bad_items_are_named(api, at) -> None:
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    good = [event(account_id, 1)]

    # Only operators (the shop platform's role) may report, not the shop's owner nor anyone else
    assert api.post("/ops/products", {"events": good}).status == 401
    assert api.as_user("m1").post("/ops/products", {"events": good}).status == 403
    assert api.as_user("fan").post("/ops/products", {"events": good}).status == 403

    # Each bad item is named; nothing of a refused call is queued
    bad = [
        ([event(account_id, 1), event("no-such-account", 2)], "/events/1/account_id"),
        ([{k: v for k, v in event(account_id, 1).items() if k != "product_id"}], "/events/0/product_id"),
        ([event(account_id, 1, product_id="sku-1\n")], "/events/0/product_id"),
        ([event(account_id, 1, image="http://img.example.com/p.jpg")], "/events/0/image"),
        ([event(account_id, 1, listed_at="yesterday")], "/events/0/listed_at"),
        ([event(account_id, 1, listed_at="2020-01-01T00:00:00+08:00")], "/events/0/listed_at"),
        ([event(account_id, 1, listed_at=clock.rfc3339(clock.now() + timedelta(days=1)))], "/events/0/listed_at"),
        ([], "/events"),
        ([event(account_id, n % 999) for n in range(501)], "/events"),
    ]
    for events, pointer in bad:
        response = report(api, events)
        assert response.status == 400, (pointer, response)
        assert pointer in [d["pointer"] for d in response.json["error"]["details"]], (pointer, response)
    assert queue_depths()[settings.queue("new-products")] == 0


def test_a_huge_accounts_system_post_is_pulled_into_its_fans_new_section(api, run_workers, at, monkeypatch) -> None:
    # Given an account big enough (thresholds lowered) to be pulled at read time
    from chalicelib.domain.delivery_modes import PULL
    from chalicelib.store import delivery_state as hybrid
    from chalicelib.store.inbox import InboxModel

    monkeypatch.setattr(settings, "hybrid_pull_above", 2)
    monkeypatch.setattr(settings, "hybrid_push_below", 1)
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    follow_all(api, account_id, ["fan1", "fan2", "fan3"])
    run_workers()
    assert hybrid.delivery_mode(account_id).mode == PULL

    # When its listings are announced
    assert report(api, [event(account_id, n) for n in range(2)]).status == 202
    run_workers()
    close_windows(api, run_workers, at)

    # Then fans read the system post in 上新 although no inbox holds it
    [post] = owner_posts(api, "m1", account_id)
    assert feed_ids(api, "fan3", "new") == [post["post_id"]]
    assert post["post_id"] not in {e.post_id for e in InboxModel.query("fan1")}


def test_a_bad_message_fails_alone_and_a_redelivered_one_changes_nothing(api, at) -> None:
    # Given a chunk of listing events already applied
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    good = ListingsMessage(tuple(ListingEvent(f"batch-1:{n}", Listing.from_json(event(account_id, n)))
                                 for n in range(2)))
    assert new_products.handle_message(good) == {"added": 2}

    # When a batch carries it again (redelivered) next to a malformed message
    records = [{"messageId": f"m{i}", "receiptHandle": f"r{i}", "body": body, "attributes": {},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ap-southeast-1:123456789012:q", "awsRegion": "ap-southeast-1"}
               for i, body in enumerate([json.dumps(good.to_json(), ensure_ascii=False),
                                         json.dumps({"op": "listings"})])]
    handler = app.handler_map["new_products_consumer"]
    result = handler({"Records": records}, LambdaContext("new_products_consumer", memory_size=512))

    # Then only the malformed one goes back to the queue, and the redelivery is not a duplicate
    assert result == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert store.dropped(account_id, clock.local_day(clock.now()).isoformat())["duplicate"] == 0
    window = store.get_window(AccountModel.get(account_id).new_product_window)
    assert window is not None and int(window.listings) == 2


def test_concurrent_first_listings_of_an_account_share_one_window(api, run_workers, at) -> None:
    # Given a shop with no open window, and listings handled by six workers at once
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    outcomes: list[str] = []

    def handle(n: int) -> None:
        outcomes.append(new_products.record_event(Listing.from_json(event(account_id, n)), f"b:{n}"))

    threads = [threading.Thread(target=handle, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_windows(api, run_workers, at)

    # Then all six land in one window and one post
    assert outcomes == ["added"] * 6
    [post] = owner_posts(api, "m1", account_id)
    assert sorted(post["products"]) == [f"sku-{n:03d}" for n in range(6)]
