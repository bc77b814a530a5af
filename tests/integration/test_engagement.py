"""Likes, comments with floors (盖楼) and poll votes: idempotent, exact under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import requests

from chalicelib.domain import clock
from tests.conftest import bearer
from tests.flows import article, new_account, publish


def given_a_published_post(api, run_workers, owner: str = "m1", body: dict | None = None) -> str:
    account = new_account(api, owner)
    post = publish(api, owner, account["account_id"], body or article("秋季护肤小课堂：补水三步走"))
    run_workers()
    return post["post_id"]


def poll_body(closes_in: timedelta = timedelta(days=3), options: tuple[str, ...] = ("红色", "黑色", "白色")) -> dict:
    return {"type": "poll", "format": "nine_grid", "text": "新款卫衣你们喜欢哪个颜色？",
            "images": ["https://img.example.com/hoodie.jpg"],
            "poll": {"question": "选哪个颜色？", "options": list(options),
                     "closes_at": clock.rfc3339(clock.now() + closes_in)}}


def contest_body(**contest: object) -> dict:
    return {"type": "floor_contest", "format": "long_article", "title": "周年庆盖楼",
            "text": "评论区盖楼，抽中楼层送优惠券", "contest": contest}


def test_a_like_is_idempotent_and_can_be_taken_back(api, run_workers) -> None:
    # Given a published post
    post_id = given_a_published_post(api, run_workers)
    fan = api.as_user("fan1")
    # When the fan likes it twice
    first, second = fan.put(f"/posts/{post_id}/likes/me"), fan.put(f"/posts/{post_id}/likes/me")
    # Then it counts once
    assert (first.status, second.status) == (200, 200)
    assert second.json == {"post_id": post_id, "liked": True, "likes": 1}
    assert fan.get(f"/posts/{post_id}").json["likes"] == 1
    # And taking it back twice leaves zero, never below
    assert fan.delete(f"/posts/{post_id}/likes/me").status == 204
    assert fan.delete(f"/posts/{post_id}/likes/me").status == 204
    assert fan.get(f"/posts/{post_id}").json["likes"] == 0


def test_likes_are_exact_under_concurrent_requests(http_base, api, run_workers) -> None:
    # Given a published post
    post_id = given_a_published_post(api, run_workers)
    url = f"{http_base}/posts/{post_id}/likes/me"

    def like(i: int) -> int:
        # 20 fans each like twice at the same time: 40 requests
        return requests.put(url, headers=bearer(f"fan{i % 20}"), timeout=60).status_code

    # When they all land at once
    with ThreadPoolExecutor(10) as pool:
        statuses = set(pool.map(like, range(40)))
    # Then every request succeeded and the counter is exactly the number of fans
    assert statuses == {200}
    assert api.as_user("x").get(f"/posts/{post_id}").json["likes"] == 20

    # And 10 of them unliking concurrently (twice each) leaves exactly 10
    def unlike(i: int) -> int:
        return requests.delete(url, headers=bearer(f"fan{i % 10}"), timeout=60).status_code

    with ThreadPoolExecutor(10) as pool:
        assert set(pool.map(unlike, range(20))) == {204}
    assert api.as_user("x").get(f"/posts/{post_id}").json["likes"] == 10


def test_floors_are_unique_under_20_concurrent_comments(http_base, api, run_workers) -> None:
    # Given a published post
    post_id = given_a_published_post(api, run_workers)
    url = f"{http_base}/posts/{post_id}/comments"

    def comment(i: int) -> requests.Response:
        return requests.post(url, headers=bearer(f"fan{i}"), json={"text": f"第{i}个来盖楼"}, timeout=60)

    # When 20 fans comment at the same moment
    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(comment, range(20)))
    # Then each got its own floor, 1 to 20, and the post counts 20 comments
    assert [r.status_code for r in responses] == [201] * 20
    floors = sorted(r.json()["floor"] for r in responses)
    assert floors == list(range(1, 21))
    assert api.as_user("x").get(f"/posts/{post_id}").json["comments"] == 20
    # And the list pages oldest first, floor by floor
    first = api.as_user("x").get(f"/posts/{post_id}/comments?limit=15").json
    rest = api.as_user("x").get(f"/posts/{post_id}/comments?limit=15&cursor={first['next_cursor']}").json
    assert [c["floor"] for c in first["items"] + rest["items"]] == list(range(1, 21))
    assert rest["next_cursor"] is None
    by_floor = {r.json()["floor"]: r.json() for r in responses}
    assert first["items"][0] == by_floor[1]


def test_a_floor_contest_marks_winning_floors_until_it_ends(api, run_workers) -> None:
    # Given a contest where every 3rd floor wins, ending in one hour
    start = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    clock.set_now(lambda: start)
    ends = clock.rfc3339(start + timedelta(hours=1))
    post_id = given_a_published_post(api, run_workers, body=contest_body(every=3, ends_at=ends))
    # When 7 comments arrive before the end and 2 after it
    results = [api.as_user(f"fan{i}").post(f"/posts/{post_id}/comments", {"text": f"盖楼{i}"}).json
               for i in range(7)]
    clock.set_now(lambda: start + timedelta(hours=2))
    late = [api.as_user(f"late{i}").post(f"/posts/{post_id}/comments", {"text": "来晚了"}).json for i in range(2)]
    # Then floors 3 and 6 won, floor 9 (after the end) did not
    assert [c["floor"] for c in results if c["winner"]] == [3, 6]
    assert [(c["floor"], c["winner"]) for c in late] == [(8, False), (9, False)]
    # And the post lists its winners
    post = api.as_user("x").get(f"/posts/{post_id}").json
    assert [(w["floor"], w["user_id"]) for w in post["winners"]] == [(3, "fan2"), (6, "fan5")]
    assert post["winner_count"] == 2 and post["comments"] == 9


def test_a_contest_with_a_list_of_winning_floors(api, run_workers) -> None:
    # Given a contest whose winning floors are 2 and 4
    post_id = given_a_published_post(api, run_workers, body=contest_body(
        winning_floors=[4, 2], ends_at=clock.rfc3339(clock.now() + timedelta(days=1))))
    # When five fans comment
    winners = [api.as_user(f"fan{i}").post(f"/posts/{post_id}/comments", {"text": "冲"}).json["winner"]
               for i in range(5)]
    # Then exactly floors 2 and 4 won
    assert winners == [False, True, False, True, False]
    listed = api.as_user("x").get(f"/posts/{post_id}/comments").json["items"]
    assert [c["floor"] for c in listed if c["winner"]] == [2, 4]


def test_poll_votes_once_per_user_with_live_tallies(api, run_workers) -> None:
    # Given an open poll with three options
    post_id = given_a_published_post(api, run_workers, body=poll_body())
    assert api.as_user("x").get(f"/posts/{post_id}").json["votes"] == [0, 0, 0]
    # When two fans vote
    first = api.as_user("fan1").post(f"/posts/{post_id}/votes", {"option": 1})
    api.as_user("fan2").post(f"/posts/{post_id}/votes", {"option": 1})
    # Then the tallies are live on the answer and on the post
    assert first.status == 201 and first.json["votes"] == [0, 1, 0]
    assert api.as_user("x").get(f"/posts/{post_id}").json["votes"] == [0, 2, 0]
    # And a second vote is a 409, a missing option or a bad body a 400
    again = api.as_user("fan1").post(f"/posts/{post_id}/votes", {"option": 0})
    assert again.status == 409 and again.json["error"]["code"] == "conflict"
    missing = api.as_user("fan3").post(f"/posts/{post_id}/votes", {"option": 3})
    assert missing.status == 400 and missing.json["error"]["details"][0]["pointer"] == "/option"
    assert api.as_user("fan3").post(f"/posts/{post_id}/votes", {}).status == 400
    assert api.as_user("fan3").post(f"/posts/{post_id}/votes", {"option": "1"}).status == 400
    assert api.as_user("x").get(f"/posts/{post_id}").json["votes"] == [0, 2, 0]


def test_a_closed_poll_refuses_votes(api, run_workers) -> None:
    # Given a poll that closes in an hour
    start = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    clock.set_now(lambda: start)
    post_id = given_a_published_post(api, run_workers, body=poll_body(closes_in=timedelta(hours=1)))
    # When a fan votes after it closed
    clock.set_now(lambda: start + timedelta(hours=1, seconds=1))
    late = api.as_user("fan1").post(f"/posts/{post_id}/votes", {"option": 0})
    # Then it is a 400 saying so, and nothing was counted
    assert late.status == 400 and "closed" in late.json["error"]["message"]
    assert api.as_user("x").get(f"/posts/{post_id}").json["votes"] == [0, 0, 0]


def test_votes_are_exact_under_concurrent_requests(http_base, api, run_workers) -> None:
    # Given an open poll
    post_id = given_a_published_post(api, run_workers, body=poll_body())
    url = f"{http_base}/posts/{post_id}/votes"

    def vote(i: int) -> int:
        # 20 fans each vote twice at once (for different options): one of each pair wins
        return requests.post(url, headers=bearer(f"fan{i % 20}"), json={"option": i % 3}, timeout=60).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = sorted(pool.map(vote, range(40)))
    # Then exactly one vote per fan counted, and the tallies add up to 20
    assert statuses == [201] * 20 + [409] * 20
    tallies = api.as_user("x").get(f"/posts/{post_id}").json["votes"]
    assert sum(tallies) == 20


def test_engagement_needs_a_published_post(api, run_workers) -> None:
    # Given a post still waiting for moderation, and a published article (not a poll)
    published = given_a_published_post(api, run_workers, owner="m2")
    account = new_account(api, "m1")
    pending = publish(api, "m1", account["account_id"], article("待审核的文章内容"))["post_id"]
    fan = api.as_user("fan1")
    # Then a fan can neither like, comment on nor read the comments of the pending post
    assert fan.put(f"/posts/{pending}/likes/me").status == 404
    assert fan.post(f"/posts/{pending}/comments", {"text": "抢沙发"}).status == 404
    assert fan.get(f"/posts/{pending}/comments").status == 404
    assert fan.put("/posts/NOPE/likes/me").status == 404
    # And voting on a post that is not a poll is a 400; a blank comment too
    assert fan.post(f"/posts/{published}/votes", {"option": 0}).status == 400
    assert fan.post(f"/posts/{published}/comments", {"text": "   "}).status == 400
    assert fan.get(f"/posts/{published}/comments?cursor=bad").status == 400
