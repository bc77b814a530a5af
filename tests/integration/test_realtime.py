"""Realtime: tickets and handshakes, the push worker through moto's management API, resume and long-poll.

The handlers are called with API Gateway-shaped events (``chalice.test`` has no
WebSocket support); frames the worker posts land in moto's per-connection buffers.
moto never answers GoneException, so a botocore ``before-send`` handler injects it.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from chalice.local import LambdaContext
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

from app import app
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.messages import FeedPushMessage, PostFanoutMessage, RosterFeedPushMessage
from chalicelib.services import realtime
from chalicelib.store import queues
from chalicelib.store import realtime as store
from chalicelib.store.roster import roster_page
from local.environment import REGION
from local.ws_bridge import ws_event, ws_handler
from tests.flows import follow_all, new_account, nine_grid, publish


@pytest.fixture
def gateway(stack: None) -> Any:
    realtime.use_gateway(realtime.ApiGatewayConnections())
    yield realtime.gateway()
    realtime.use_gateway(None)


def sent_frames(connection_id: str) -> list[dict[str, Any]]:
    """What the worker posted to a connection (moto appends every post to one buffer)."""
    data = apigatewaymanagementapi_backends["123456789012"][REGION].connections[connection_id].data.decode()
    decoder, found, at = json.JSONDecoder(), [], 0
    while at < len(data):
        frame, at = decoder.raw_decode(data, at)
        found.append(frame)
    return found


class GoneBody:
    """The raw body of API Gateway's answer for a connection that is gone."""

    def stream(self, **_: Any) -> Any:
        yield b'{"message": "Gone"}'


def call(route_key: str, connection_id: str, **kw: Any) -> dict[str, Any]:
    return ws_handler(app, route_key)(ws_event(route_key, connection_id, **kw),
                                             LambdaContext("ws", memory_size=128, max_runtime_ms=3000))


def connect(api: Any, user: str, connection_id: str) -> int:
    ticket = api.as_user(user).post("/me/realtime/tickets")
    assert ticket.status == 201 and ticket.json["url"].startswith("ws"), ticket
    return call("$connect", connection_id, query={"ticket": ticket.json["ticket"]})["statusCode"]


def test_a_ticket_works_once_for_sixty_seconds(api, gateway) -> None:
    ticket = api.as_user("u1").post("/me/realtime/tickets").json
    assert call("$connect", "c1", query={"ticket": ticket["ticket"]})["statusCode"] == 200
    assert call("$connect", "c2", query={"ticket": ticket["ticket"]})["statusCode"] == 401  # reused
    assert call("$connect", "c3", query={"ticket": "forged"})["statusCode"] == 401
    assert call("$connect", "c4", query={})["statusCode"] == 401
    late = api.as_user("u1").post("/me/realtime/tickets").json
    now = clock.now()
    clock.set_now(lambda: now + timedelta(seconds=61))
    assert call("$connect", "c5", query={"ticket": late["ticket"]})["statusCode"] == 401  # expired
    assert store.get_connection("c1", clock.now()) is not None
    assert store.get_connection("c2", clock.now()) is None


def test_a_sixth_connection_closes_the_oldest_and_ping_pongs(api, gateway, run_workers) -> None:
    for i in range(6):
        now = clock.now()
        clock.set_now(lambda now=now, i=i: now + timedelta(milliseconds=10 * i))
        assert connect(api, "u1", f"conn{i}") == 200
    run_workers()  # the push worker closes the oldest
    assert store.get_connection("conn0", clock.now()) is None
    assert sorted(store.connections_of(store.presence_of("u1"))) == [f"conn{i}" for i in range(1, 6)]
    assert json.loads(call("$default", "conn1", body='{"action": "ping"}')["body"]) == {"type": "pong"}
    assert json.loads(call("$default", "conn1", body="[1]")["body"])["type"] == "error"
    assert json.loads(call("$default", "conn1", body='{"action": "subscribe", "post_ids": []}')["body"])[
        "type"] == "error"
    call("$disconnect", "conn1")
    assert "conn1" not in store.connections_of(store.presence_of("u1"))


def test_connected_followers_get_feed_new_and_notifications_and_gone_connections_go(
        api, gateway, run_workers) -> None:
    # Given an account with three followers: two connected (one of them on a dead socket), one not
    account = new_account(api, "owner")
    follow_all(api, account["account_id"], ["f1", "f2", "f3"])
    assert connect(api, "f1", "live") == 200
    assert connect(api, "f2", "dead") == 200
    assert connect(api, "owner", "owner-conn") == 200
    run_workers()

    def gone(request: Any, **_: Any) -> AWSResponse | None:
        if request.url.endswith("/@connections/dead"):
            return AWSResponse(request.url, 410, {"x-amzn-ErrorType": "GoneException",
                                                  "Content-Type": "application/json"}, GoneBody())
        return None

    gateway.client().meta.events.register("before-send.apigatewaymanagementapi.PostToConnection", gone)

    # When the owner publishes and f1 likes the post
    post = publish(api, "owner", account["account_id"], nine_grid())
    run_workers()
    assert api.as_user("f1").put(f"/posts/{post['post_id']}/likes/me").status == 200
    run_workers()

    # Then the live follower got feed.new with the feed's item shape, numbered
    frames = [f for f in sent_frames("live") if f["type"] == "feed.new"]
    assert len(frames) == 1 and frames[0]["item"]["post_id"] == post["post_id"]
    feed_item = api.as_user("f1").get("/me/feed").json["items"][0]
    assert set(frames[0]["item"]) == set(feed_item) and frames[0]["item"]["handle"] == account["handle"]
    assert frames[0]["event_id"] >= 1
    # And the owner got the notification with the unread count
    notes = [f for f in sent_frames("owner-conn") if f["type"] == "notification"]
    assert notes[-1]["notification"]["type"] == "like" and notes[-1]["unread"] >= 1
    # And the gone connection was deleted
    assert store.get_connection("dead", clock.now()) is None
    assert "dead" not in store.connections_of(store.presence_of("f2"))


def test_a_redelivered_fan_out_page_pushes_no_second_feed_new(api, gateway, run_workers) -> None:
    # Given a connected follower who got feed.new for a post
    account = new_account(api, "owner")
    follow_all(api, account["account_id"], ["f1", "f2"])
    assert connect(api, "f1", "live") == 200
    post = publish(api, "owner", account["account_id"], nine_grid())
    run_workers()

    # When the post's first fan-out page is delivered again (SQS redelivers a page whose delete was lost)
    queues.send("fanout", PostFanoutMessage.deliver(post["post_id"]).to_json())
    run_workers()

    # Then the follower has the post once in the feed and got one feed.new for it
    frames = [f for f in sent_frames("live") if f["type"] == "feed.new" and f["item"]["post_id"] == post["post_id"]]
    assert len(frames) == 1
    assert [i["post_id"] for i in api.as_user("f1").get("/me/feed").json["items"]] == [post["post_id"]]


def test_a_fan_group_post_reaches_only_connected_group_members(api, gateway, run_workers) -> None:
    # Given an account with a connected vip follower and a connected plain follower
    account = new_account(api, "owner")
    follow_all(api, account["account_id"], ["vip1", "plain"])
    api.as_user("owner").put(f"/accounts/{account['account_id']}/groups/vip/members/vip1")
    assert connect(api, "vip1", "vip-conn") == 200 and connect(api, "plain", "plain-conn") == 200
    run_workers()

    # When the owner publishes a post for the vip group
    post = publish(api, "owner", account["account_id"], nine_grid("会员专享", audience={"groups": ["vip"]}))
    run_workers()

    # Then only the vip member hears of it (fan-out named the users of the group's follow items)
    def heard(connection: str) -> list[str]:
        return [f["item"]["post_id"] for f in sent_frames(connection) if f["type"] == "feed.new"]

    assert heard("vip-conn") == [post["post_id"]] and heard("plain-conn") == []


def test_a_roster_page_announcement_reads_the_page_again_when_pushed(api, gateway, run_workers) -> None:
    # Given a post fanned out to two connected followers, and one of them unfollowing afterwards
    account = new_account(api, "owner")
    follow_all(api, account["account_id"], ["stays", "leaves"])
    assert connect(api, "stays", "stays-conn") == 200 and connect(api, "leaves", "leaves-conn") == 200
    post = publish(api, "owner", account["account_id"], nine_grid())
    run_workers()
    assert api.as_user("leaves").delete(f"/me/following/{account['account_id']}").status == 204
    run_workers()

    # When the push worker runs the announcement of the account's roster page again
    def heard(connection: str) -> int:
        return sum(f["type"] == "feed.new" for f in sent_frames(connection))

    before = {c: heard(c) for c in ("stays-conn", "leaves-conn")}
    realtime.handle_push(RosterFeedPushMessage(post["post_id"], (roster_page("stays", 0),)))

    # Then the follower who stayed hears of it again, the one who left does not
    assert before == {"stays-conn": 1, "leaves-conn": 1}
    assert {c: heard(c) for c in before} == {"stays-conn": 2, "leaves-conn": 1}


def test_a_page_announces_each_roster_page_once_written_first_at_once_then_full_messages(monkeypatch) -> None:
    # Given a fan-out page's announcer, its push messages captured, and ten roster pages of 700 followers queued
    sent: list[RosterFeedPushMessage | FeedPushMessage] = []
    monkeypatch.setattr(realtime, "_send", sent.append)
    announcer = realtime.FeedAnnouncer("p1")
    pages = [f"04#{i:07d}" for i in range(10)]
    for n, page in enumerate(pages, start=1):
        announcer.queued(700 * n, page, [f"u{n}"] * 700)

    # When the writer reports 699 users written, then 700, then 3,500 (page 5 done), then the page ends
    announcer.written(699)
    before_first = list(sent)
    announcer.written(700)
    announcer.written(3500)
    announcer.flush()

    # Then nothing is announced before a page's last user is written; the first page goes out
    # alone, then pages in messages of at least the limit's users, the rest at the end; each page once
    assert before_first == []
    assert [m.pages for m in sent] == [tuple(pages[:1]), tuple(pages[1:5]), tuple(pages[5:])]
    assert all(isinstance(m, RosterFeedPushMessage) and m.post_id == "p1" for m in sent)


def test_users_of_follow_items_are_named_in_messages_of_the_limit(monkeypatch) -> None:
    # Given an announcer with one batch of follow items' users (a post for fan groups)
    sent: list[RosterFeedPushMessage | FeedPushMessage] = []
    monkeypatch.setattr(realtime, "_send", sent.append)
    announcer = realtime.FeedAnnouncer("p1")
    limit = realtime.FeedAnnouncer.PER_MESSAGE
    users = [f"fan{i:05d}" for i in range(2 * limit + 300)]
    announcer.queued(len(users), None, users)

    # When the page ends
    announcer.flush()

    # Then the users are named in order, at most the limit to a message
    assert [len(m.users) for m in sent if isinstance(m, FeedPushMessage)] == [limit, limit, 300]
    assert [u for m in sent if isinstance(m, FeedPushMessage) for u in m.users] == users


def test_resume_replays_what_was_missed_and_long_poll_returns_the_same_events(api, gateway, run_workers) -> None:
    account = new_account(api, "owner")
    follow_all(api, account["account_id"], ["f1"])
    assert api.as_user("f1").get("/me/events?wait=0").json["last_event_id"] == 0  # present from now on
    for text in ("第一篇", "第二篇", "第三篇"):
        publish(api, "owner", account["account_id"], nine_grid(text))
    run_workers()

    polled = api.as_user("f1").get("/me/events?since=0&wait=0").json
    assert [e["event_id"] for e in polled["events"]] == [1, 2, 3] and polled["last_event_id"] == 3
    assert {e["type"] for e in polled["events"]} == {"feed.new"}
    assert api.as_user("f1").get("/me/events?since=2").json["events"] == polled["events"][2:]

    # A socket resuming from 1 gets 2 and 3 in order
    assert connect(api, "f1", "back") == 200
    assert call("$default", "back", body='{"action": "resume", "since": 1}') == {"statusCode": 200}
    run_workers()
    assert [f["event_id"] for f in sent_frames("back")] == [2, 3]
    # An id the user never had, or more than 100 missed, is a resync
    call("$default", "back", body='{"action": "resume", "since": "99"}')
    run_workers()
    assert sent_frames("back")[-1]["type"] == "resync"
    store.append("f1", [{"type": "feed.new", "item": {}}] * 101, clock.now())
    assert api.as_user("f1").get("/me/events?since=3").json["resync"] is True
    # Bad parameters are 400s
    assert api.as_user("f1").get("/me/events?wait=21").status == 400
    assert api.as_user("f1").get("/me/events?since=abc").status == 400


def test_long_poll_waits_for_the_first_event(stack, monkeypatch) -> None:
    monkeypatch.setattr(settings, "long_poll_cap_s", 20)  # the suite's short cap could pass on a loaded machine
    slept: list[float] = []
    principal = type("P", (), {"user_id": "waiter"})()
    appended = {"done": False}

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if not appended["done"]:
            store.append("waiter", [{"type": "notification", "notification": {}, "unread": 1}], clock.now())
            appended["done"] = True

    answer = realtime.long_poll(principal, None, "5", sleep=sleep)
    assert len(slept) == 1 and [e["event_id"] for e in answer["events"]] == [1]


def test_a_user_away_too_long_must_resync(api, gateway) -> None:
    assert api.as_user("f1").get("/me/events?wait=0").status == 200
    store.append("f1", [{"type": "notification", "notification": {}, "unread": 0}], clock.now())
    now = clock.now()
    clock.set_now(lambda: now + realtime.RESUME_GRACE + timedelta(minutes=1))
    assert api.as_user("f1").get("/me/events?since=1").json["resync"] is False  # nothing was lost yet
    clock.set_now(lambda: now + 2 * realtime.RESUME_GRACE + timedelta(minutes=5))
    assert api.as_user("f1").get("/me/events?since=0").json["resync"] is True


def test_subscribed_posts_get_coalesced_counters(api, gateway, run_workers, monkeypatch) -> None:
    account = new_account(api, "owner")
    post = publish(api, "owner", account["account_id"], nine_grid())
    run_workers()
    assert connect(api, "viewer", "v1") == 200
    call("$default", "v1", body=json.dumps({"action": "subscribe", "post_ids": [post["post_id"]]}))
    delays: list[int] = []
    monkeypatch.setattr("chalicelib.store.queues.send_later",
                        lambda q, m, d: (delays.append(d), realtime.queues.send(q, m)))
    for fan in ("a", "b", "c"):
        assert api.as_user(fan).put(f"/posts/{post['post_id']}/likes/me").status == 200
    run_workers()
    counters = [f for f in sent_frames("v1") if f["type"] == "post.counters"]
    assert delays == [1] and len(counters) == 1  # three likes within the second: one push, one second later
    assert counters[0]["likes"] == 3 and counters[0]["post_id"] == post["post_id"]
    assert settings.websocket_url


def test_many_users_are_numbered_together_each_from_their_own_counter(stack) -> None:
    # Given one user with 3 events already numbered, and 149 users with none
    store.number("fan-000", [{"type": "feed.new"}] * 3)
    users = [f"fan-{n:03d}" for n in range(150)]
    # When one frame each is numbered for all 150, then two each for the first 2
    first = store.number_all({u: [{"type": "feed.new"}] for u in users})
    second = store.number_all({u: [{"type": "notification"}, {"type": "feed.new"}] for u in users[:2]})
    # Then each user's ids continue their own counter, consecutively, and the counters moved with them
    assert first["fan-000"][0]["event_id"] == 4 and {first[u][0]["event_id"] for u in users[1:]} == {1}
    assert [f["event_id"] for f in second["fan-000"]] == [5, 6] and [f["event_id"] for f in second["fan-001"]] == [2, 3]
    assert (store.current_sequence("fan-000"), store.current_sequence("fan-149")) == (6, 1)


def test_a_counter_moved_by_another_push_meanwhile_gives_no_id_twice(stack, monkeypatch) -> None:
    # Given two users with one event each, and another push that numbers fan-b's next event
    # between the counters' read and their move
    for user in ("fan-a", "fan-b"):
        store.number(user, [{"type": "feed.new"}])
    read = store.batch_get
    meanwhile: list[dict[str, Any]] = []

    def read_then_push(*args: Any, **kwargs: Any) -> Any:
        found = read(*args, **kwargs)
        meanwhile.extend(store.number("fan-b", [{"type": "notification"}]))
        return found

    monkeypatch.setattr(store, "batch_get", read_then_push)
    # When both are numbered together
    numbered = store.number_all({"fan-a": [{"type": "feed.new"}], "fan-b": [{"type": "feed.new"}]})
    # Then fan-b's frame got the id after the other push's, and fan-a's its next one
    assert meanwhile[0]["event_id"] == 2
    assert (numbered["fan-a"][0]["event_id"], numbered["fan-b"][0]["event_id"]) == (2, 3)
    assert (store.current_sequence("fan-a"), store.current_sequence("fan-b")) == (2, 3)
