"""Notifications end to end: raised at the event sites, stored once through the queue, read over the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.notifications import NotificationEvent
from chalicelib.services import notifications as service
from chalicelib.store import notifications as store
from tests.flows import follow_all, new_account, nine_grid, publish, queue_depths

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def listed(api: Any, user: str, query: str = "") -> list[dict[str, Any]]:
    response = api.as_user(user).get(f"/me/notifications{query}")
    assert response.status == 200, response
    return response.json["items"]


def unread(api: Any, user: str) -> int:
    response = api.as_user(user).get("/me/notifications/unread")
    assert response.status == 200, response
    return response.json["count"]


def published_post(api: Any, run_workers: Any, owner: str = "owner") -> tuple[dict[str, Any], dict[str, Any]]:
    account = new_account(api, owner)
    post = publish(api, owner, account["account_id"], nine_grid())
    run_workers()
    return account, post


def test_duplicated_and_failing_deliveries_store_each_notification_once(api, run_workers, monkeypatch,
                                                                          sent_twice) -> None:
    # Given a published post, and every notification event sent twice
    account, post = published_post(api, run_workers)
    sent_twice("notifications")
    # And the consumer failing half-way: the second group write of the first merged
    # batch, then the first record-by-record retry
    real_add, calls = store.add_to_group, {"n": 0}

    def flaky_add(addition: Any, now: datetime) -> Any:
        calls["n"] += 1
        if calls["n"] in (2, 3):
            raise RuntimeError("injected crash")
        return real_add(addition, now)

    monkeypatch.setattr(store, "add_to_group", flaky_add)

    # When 10 fans follow, like (one likes, unlikes and likes again) and comment
    fans = [f"fan{i:02d}" for i in range(10)]
    follow_all(api, account["account_id"], fans)
    for fan in fans:
        assert api.as_user(fan).put(f"/posts/{post['post_id']}/likes/me").status == 200
    assert api.as_user("fan03").delete(f"/posts/{post['post_id']}/likes/me").status == 204
    assert api.as_user("fan03").put(f"/posts/{post['post_id']}/likes/me").status == 200
    assert api.as_user("fan05").post(f"/posts/{post['post_id']}/comments", {"text": "想要同款"}).status == 201
    run_workers()

    # Then there is one follow group, one like group and one comment, counted exactly
    assert calls["n"] >= 3
    items = listed(api, "owner")
    by_type = {i["type"]: i for i in items}
    assert sorted(i["type"] for i in items) == ["comment", "follow", "like"]
    assert by_type["like"]["count"] == 10 and by_type["follow"]["count"] == 10
    assert len(by_type["like"]["actors"]) == 8 and len(set(by_type["like"]["actors"])) == 8
    assert by_type["like"]["text"] == "10 人赞了你的内容"
    assert by_type["like"]["post_id"] == post["post_id"] and by_type["like"]["account_id"] == account["account_id"]
    assert by_type["comment"]["data"]["text"] == "想要同款" and by_type["comment"]["actors"] == ["fan05"]
    assert unread(api, "owner") == 3
    # And nothing is left in any queue or dead-letter queue
    assert not any(queue_depths().values()), queue_depths()


def test_a_group_lasts_twelve_hours_and_a_read_group_that_regroups_is_unread_on_top(api, run_workers) -> None:
    now = {"t": T0}
    clock.set_now(lambda: now["t"])
    account, post = published_post(api, run_workers)
    other = publish(api, "owner", account["account_id"], nine_grid("第二篇"))
    run_workers()
    assert api.as_user("a").put(f"/posts/{post['post_id']}/likes/me").status == 200
    run_workers()
    # The owner reads everything
    assert api.as_user("owner").post("/me/notifications/read").json == {"unread": 0}

    # When a comment lands, then another like joins the (read) group 11 hours later
    now["t"] = T0 + timedelta(hours=1)
    assert api.as_user("c").post(f"/posts/{other['post_id']}/comments", {"text": "好看"}).status == 201
    run_workers()
    now["t"] = T0 + timedelta(hours=11)
    assert api.as_user("b").put(f"/posts/{post['post_id']}/likes/me").status == 200
    run_workers()

    # Then the like group is unread again, on top, counting both
    items = listed(api, "owner")
    assert [(i["type"], i["count"], i["read"]) for i in items] == [("like", 2, False), ("comment", 1, False)]
    assert items[0]["actors"] == ["b", "a"]
    assert unread(api, "owner") == 2

    # When a like comes 13 hours after the group's first, it starts a new group
    now["t"] = T0 + timedelta(hours=13)
    assert api.as_user("d").put(f"/posts/{post['post_id']}/likes/me").status == 200
    run_workers()
    items = listed(api, "owner", "?type=like")
    assert [(i["count"], i["actors"]) for i in items] == [(1, ["d"]), (2, ["b", "a"])]

    # Marking up to the comment reads it and everything older, not the newer group
    comment_id = listed(api, "owner", "?type=comment")[0]["notification_id"]
    assert api.as_user("owner").post("/me/notifications/read", {"up_to": comment_id}).json == {"unread": 2}
    # A marker never moves back
    assert api.as_user("owner").post("/me/notifications/read").json == {"unread": 0}
    assert api.as_user("owner").post("/me/notifications/read", {"up_to": comment_id}).json == {"unread": 0}


def test_unread_is_exact_past_any_cap_and_mark_all_is_one_write(api, monkeypatch) -> None:
    # Given 105 comment notifications for one user (stored by the consumer's own code)
    account = new_account(api, "owner")
    events = [NotificationEvent("comment", f"comment#c{i}", T0.isoformat(), account_id=account["account_id"],
                                post_id="p1", actor=f"u{i}", data={"comment_id": f"c{i}", "floor": i, "text": "赞"})
              for i in range(105)]
    assert len(service.apply_events(events)) == 105
    assert len(service.apply_events(events[:10])) == 0  # duplicates add nothing
    assert unread(api, "owner") == 105

    # When the owner marks everything read, it is one write
    writes: list[str] = []
    real_advance = store.advance_read_marker
    monkeypatch.setattr(store, "advance_read_marker", lambda u, m: (writes.append(u), real_advance(u, m))[1])
    assert api.as_user("owner").post("/me/notifications/read").json == {"unread": 0}
    assert writes == ["owner"]

    # And pages walk the whole list, newest first, without repeats
    seen, cursor = [], None
    while True:
        page = api.as_user("owner").get("/me/notifications?limit=50" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status == 200, page
        seen += [i["notification_id"] for i in page.json["items"]]
        cursor = page.json["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 105
    # And only the newest are kept
    assert store.trim("owner", 100) == 5 and unread(api, "owner") == 0
    assert len(listed(api, "owner", "?limit=100")) == 100


def test_muted_types_are_not_stored_and_settings_are_checked(api, run_workers) -> None:
    account, post = published_post(api, run_workers)
    assert api.as_user("owner").put("/me/notification-settings", {"muted": ["like", "like"]}).status == 400
    refused = api.as_user("owner").put("/me/notification-settings", {"muted": ["poke"]})
    assert refused.status == 400 and refused.json["error"]["details"][0]["pointer"] == "/muted/0"
    assert api.as_user("owner").put("/me/notification-settings", {"muted": ["like"]}).json == {"muted": ["like"]}
    assert api.as_user("owner").get("/me/notification-settings").json == {"muted": ["like"]}
    assert api.as_user("fan").put(f"/posts/{post['post_id']}/likes/me").status == 200
    assert api.as_user("fan").put(f"/me/following/{account['account_id']}").status == 200
    # The owner's own comment is no notification either
    assert api.as_user("owner").post(f"/posts/{post['post_id']}/comments", {"text": "谢谢支持"}).status == 201
    run_workers()
    assert [(i["type"], i["actors"]) for i in listed(api, "owner")] == [("follow", ["fan"])]


def test_nobody_reads_or_marks_another_users_notifications(api, run_workers) -> None:
    account, post = published_post(api, run_workers)
    assert api.as_user("fan").put(f"/posts/{post['post_id']}/likes/me").status == 200
    run_workers()
    nid = listed(api, "owner")[0]["notification_id"]
    assert listed(api, "fan") == [] and unread(api, "fan") == 0
    assert api.as_user("fan").post("/me/notifications/read", {"up_to": nid}).status == 404
    assert unread(api, "owner") == 1
    assert api.as_user("fan").get("/me/notifications?type=poke").status == 400
    assert api.as_user("fan").get("/me/notifications?cursor=bad").status == 400
    assert api.as_user("owner").post("/me/notifications/read", {"up_to": nid, "x": 1}).status == 400


def test_moderation_outcomes_penalties_and_fans_hear_about_their_buyer_shows(api, run_workers) -> None:
    account = new_account(api, "owner", display_name="小米官方旗舰店")
    publish(api, "owner", account["account_id"], nine_grid("想要同款加V领券"))
    show = api.as_user("buyer").post(f"/accounts/{account['account_id']}/buyer-shows", {
        "format": "nine_grid", "text": "穿着很舒服", "images": ["https://img.example.com/s.jpg"],
        "products": ["sku-1"]})
    assert show.status == 202, show
    run_workers()
    assert api.as_user("owner").put(f"/posts/{show.json['post_id']}/featured").status == 200
    run_workers()

    owner_items = listed(api, "owner")
    texts = [i["text"] for i in owner_items]
    rejection = next(i for i in owner_items if i["type"] == "moderation")
    assert rejection["data"]["status"] == "rejected" and rejection["text"].startswith(
        "小米官方旗舰店 的内容未通过审核：off_platform_diversion")
    assert any(i["type"] == "penalty" and i["data"]["kind"] == "strike" for i in owner_items)
    assert "有粉丝给 小米官方旗舰店 发来了买家秀" in texts
    assert [i["text"] for i in listed(api, "buyer")] == ["你的买家秀被 小米官方旗舰店 精选了"]
