"""A Hypothesis state machine over publish, follow, unfollow, takedown, deliver, crash
and redeliver: after every drain of the queues, every fan's feed (each section, one
page or paged by two) equals what the rules say.

The rules, independent of how delivery works (pushed, pulled, or switching between
the two: accounts here become "huge" at 2 followers and go back at 1):
a fan sees a post if it is published and not taken down, the fan follows its account
now, and the post was published after the fan's (latest) follow or was one of the
account's five newest posts when the fan followed (backfill). Newest first.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)

from app import app
from chalicelib.config import settings as app_settings
from chalicelib.domain import clock
from chalicelib.services import pipeline
from chalicelib.store import queues, roster
from local.faults import ChaosDrain, FaultInjector, FaultRates
from tests.flows import article, nine_grid, video_post

FANS = ("f1", "f2", "f3")
SHOPS = ("A", "B")
KINDS = {"new": nine_grid, "video": video_post, "other": article}
_examples = itertools.count(1)


class FeedMachine(RuleBasedStateMachine):
    def __init__(self, api: Any) -> None:
        super().__init__()
        run = next(_examples)
        self.api = api
        self.now = datetime(2025, 3, 1, 8, 0, tzinfo=UTC) + timedelta(days=run)
        clock.set_now(lambda: self.now)
        self.fans = {fan: f"sm{run}-{fan}" for fan in FANS}
        self.shops: dict[str, tuple[str, str]] = {}  # shop -> (account_id, owner)
        for shop in SHOPS:
            owner = f"sm{run}-owner-{shop}"
            body = {"handle": f"sm{run}{shop.lower()}", "display_name": f"店{shop}", "kind": "merchant",
                    "category": "服饰"}
            self.shops[shop] = (api.as_user(owner).post("/accounts", body).json["account_id"], owner)
        self.follows: dict[tuple[str, str], int] = {}  # (fan, shop) -> follow time (ms)
        self.backfill: dict[tuple[str, str], set[str]] = {}
        self.posts: dict[str, dict[str, Any]] = {}  # post_id -> shop, section, status, published_ms
        self.driver = ChaosDrain(app)
        self.crashing = ChaosDrain(app)
        self.checked = 0

    # -- helpers --------------------------------------------------------------
    def tick(self) -> int:
        self.now += timedelta(seconds=1)
        return int(self.now.timestamp() * 1000)

    def newest_published(self, shop: str) -> list[str]:
        ids = [p for p, post in self.posts.items() if post["shop"] == shop and post["status"] == "published"]
        return sorted(ids, key=lambda p: (self.posts[p]["published_ms"], p), reverse=True)

    def expected_feed(self, fan: str, section: str) -> list[str]:
        shown = []
        for (follower, shop), followed_ms in self.follows.items():
            if follower != fan:
                continue
            for post_id in self.newest_published(shop):
                post = self.posts[post_id]
                if section != "all" and post["section"] != section:
                    continue
                if post["published_ms"] >= followed_ms or post_id in self.backfill[(fan, shop)]:
                    shown.append(post_id)
        return sorted(shown, key=lambda p: (self.posts[p]["published_ms"], p), reverse=True)

    def feed(self, fan: str, section: str, limit: int) -> list[str]:
        seen, cursor = [], None
        while True:
            path = f"/me/feed?section={section}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            response = self.api.as_user(self.fans[fan]).get(path)
            assert response.status == 200, response
            seen += [p["post_id"] for p in response.json["items"]]
            cursor = response.json["next_cursor"]
            if not cursor:
                return seen

    # -- rules ----------------------------------------------------------------
    @initialize()
    def start_with_a_pulled_and_a_pushed_shop(self) -> None:
        """Every run starts with shop A pulled (two followers) and shop B pushed."""
        self.follow("f1", "A")
        self.follow("f2", "A")
        self.follow("f3", "B")
        self.publish("A", "new")
        self.publish("B", "video")
        self.deliver()

    @rule(shop=st.sampled_from(SHOPS), kind=st.sampled_from(sorted(KINDS)))
    def publish(self, shop: str, kind: str) -> None:
        self.tick()
        account_id, owner = self.shops[shop]
        body = KINDS[kind]()
        body[("text" if kind == "new" else "title")] = f"第{len(self.posts) + 1}条 {shop}"
        response = self.api.as_user(owner).post(f"/accounts/{account_id}/posts", body)
        assert response.status == 202, response
        self.posts[response.json["post_id"]] = {"shop": shop, "section": kind, "status": "pending",
                                                "published_ms": None}

    @rule(fan=st.sampled_from(FANS), shop=st.sampled_from(SHOPS))
    def follow(self, fan: str, shop: str) -> None:
        at = self.tick()
        assert self.api.as_user(self.fans[fan]).put(f"/me/following/{self.shops[shop][0]}").status == 200
        if (fan, shop) not in self.follows:
            self.follows[(fan, shop)] = at
            self.backfill[(fan, shop)] = set(self.newest_published(shop)[:app_settings.backfill_posts])

    @rule(fan=st.sampled_from(FANS), shop=st.sampled_from(SHOPS))
    def unfollow(self, fan: str, shop: str) -> None:
        self.tick()
        assert self.api.as_user(self.fans[fan]).delete(f"/me/following/{self.shops[shop][0]}").status == 204
        self.follows.pop((fan, shop), None)
        self.backfill.pop((fan, shop), None)

    @precondition(lambda self: any(p["status"] != "removed" for p in self.posts.values()))
    @rule(data=st.data())
    def take_down(self, data: st.DataObject) -> None:
        self.tick()
        post_id = data.draw(st.sampled_from(sorted(p for p, post in self.posts.items() if post["status"] != "removed")))
        owner = self.shops[self.posts[post_id]["shop"]][1]
        assert self.api.as_user(owner).delete(f"/posts/{post_id}").status == 204
        self.posts[post_id]["status"] = "removed"

    @rule()
    def deliver(self) -> None:
        published_ms = self.tick()
        self.driver.drain()
        for post in self.posts.values():
            if post["status"] == "pending":
                post.update(status="published", published_ms=published_ms)
        self.check_every_feed()

    @rule(after_calls=st.integers(min_value=1, max_value=25), seed=st.integers(0, 2**16))
    def crash(self, after_calls: int, seed: int) -> None:
        """A fan-out worker dies mid-record; its batch comes back after the timeout."""
        self.tick()
        self.crashing.injector = FaultInjector(FaultRates(crash=1.0, crash_within=after_calls), seed=seed).attach()
        try:
            self.crashing.poll_one("fanout_consumer")
        finally:
            self.crashing.injector.detach()

    @precondition(lambda self: any(name in ("moderation_consumer", "fanout_consumer")
                                   for name, _ in self.driver.handled))
    @rule(data=st.data())
    def redeliver(self, data: st.DataObject) -> None:
        """SQS delivers an already handled moderation or fan-out message once more."""
        self.tick()
        handled = [(n, b) for n, b in self.driver.handled if n in ("moderation_consumer", "fanout_consumer")]
        name, body = data.draw(st.sampled_from(handled))
        queue = "moderation" if name == "moderation_consumer" else "fanout"
        queues.send(queue, json.loads(body))

    # -- what must hold -------------------------------------------------------
    def check_every_feed(self) -> None:
        for fan in FANS:
            assert self.feed(fan, "all", 2) == self.expected_feed(fan, "all"), (fan, "all, paged by 2")
            for section in ("new", "video"):
                assert self.feed(fan, section, 100) == self.expected_feed(fan, section), (fan, section)
        for shop, (account_id, _) in self.shops.items():
            count = self.api.as_user("anyone").get(f"/accounts/{account_id}").json["follower_count"]
            assert count == sum(1 for (_, s) in self.follows if s == shop)
        self.no_dead_letters()
        self.checked += 1

    def no_dead_letters(self) -> None:
        sqs = boto3.client("sqs", region_name=app_settings.region)
        for spec in queues.QUEUES.values():
            url = queues.queue_url(spec.dlq_name)
            depth = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            assert depth["Attributes"]["ApproximateNumberOfMessages"] == "0"

    def teardown(self) -> None:
        try:
            self.deliver()  # every example ends with a drained pipeline and a full check
        finally:
            clock.set_now(None)


def test_every_feed_matches_the_rules_whatever_the_delivery_does(api, monkeypatch) -> None:
    # Given small thresholds (pulled from 2 followers, pushed again from 1), fan-out
    # messages of 2 followers, and a moderation chain that approves everything
    from chalicelib.domain.tiers import tier_config

    monkeypatch.setattr(app_settings, "hybrid_pull_above", 1)
    monkeypatch.setattr(app_settings, "hybrid_push_below", 2)
    monkeypatch.setattr(app_settings, "fanout_page_size", 2)
    monkeypatch.setattr(roster, "PAGE_MEMBERS", 1)  # a roster page per follower: several pages per message
    monkeypatch.setattr(app_settings, "fanout_writers", 1)  # crashes replay exactly
    monkeypatch.setattr(pipeline, "moderation_chain", lambda: [])
    monkeypatch.setitem(tier_config()["tiers"]["W1"], "daily_quota", 1000)
    # When Hypothesis runs sequences of steps, Then the checks inside hold after every drain
    run_state_machine_as_test(lambda: FeedMachine(api), settings=settings(
        max_examples=6, stateful_step_count=10, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))
