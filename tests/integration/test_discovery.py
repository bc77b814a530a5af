"""Discovery end to end: the related-accounts job through its queue, suggestions, signals, related accounts.

Accounts, follows and posts are made through the API; the job runs through the real
route, the suggestions queue and its consumer, exactly as deployed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests
from chalice.test import Client

from app import app
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.messages import CommerceSignal, SignalsMessage, SuggestionShardMessage
from chalicelib.services import suggestion_runs
from chalicelib.store import follows
from chalicelib.store.discovery import DiscoveryProfileModel, SignalModel, SuggestionShardModel
from local.bootstrap import bootstrap
from local.store_calls import StoreCallCounter
from local.workers import drain, fire_schedule
from tests.conftest import ENDPOINT, Api, start_moto_once
from tests.flows import follow_all, new_account, nine_grid, publish

pytestmark = pytest.mark.xdist_group("discovery")  # one worker builds the module's world once
OPERATOR = ["operator"]
_worlds = itertools.count(1)


def given_shops(api: Any, run_workers: Any, names: list[str], category: str = "服饰") -> dict[str, dict[str, Any]]:
    """One account per name, each with a published post."""
    shops = {name: new_account(api, f"owner-{name}-{next(_worlds)}", category=category) for name in names}
    for shop in shops.values():
        publish(api, shop["owner_id"], shop["account_id"], nine_grid(f"{shop['handle']} 上新"))
    run_workers()
    return shops


def given_follows(account_id: str, users: list[str]) -> None:
    """Follows written as the follow route writes them (item, counter, roster), without its backfill."""
    for user in users:
        assert follows.follow(account_id, user, clock.now())


def run_job(api: Any, run_workers: Any) -> dict[str, Any]:
    started = api.as_user("op", OPERATOR).post("/ops/suggestions/runs")
    assert started.status == 202, started
    run_workers()
    done = api.as_user("op", OPERATOR).get(f"/ops/suggestions/runs/{started.json['run_id']}")
    assert done.status == 200, done
    return done.json


def suggested(api: Any, user: str, limit: int = 10) -> list[dict[str, Any]]:
    response = api.as_user(user).get(f"/me/suggestions?limit={limit}")
    assert response.status == 200, response
    return response.json["items"]


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["account"]["account_id"] for item in items]


@dataclass
class Communities:
    """服饰 fans follow a, b, c (two of them h1shop too); 美妆 fans follow d, e; one 服饰 fan also follows a;
    ``empty`` never published (the 服饰 fans follow it); nobody follows ``quiet``. The job has run once."""

    api: Any
    shops: dict[str, str]
    run: dict[str, Any]
    n: int

    def user(self, name: str) -> str:
        return f"{name}-{self.n}"


@pytest.fixture(scope="module")
def world() -> Iterator[Communities]:
    # A wiped moto: the job scans every account, and the assertions count them.
    start_moto_once()  # module fixtures run before the per-test one that starts it
    requests.post(f"{ENDPOINT}/moto-api/reset", timeout=10)
    bootstrap()
    clock.set_now(None)
    with Client(app, stage_name="local") as client:
        api = Api(client, None)
        def run_workers() -> Any:
            return drain(app)

        n = next(_worlds)
        made = given_shops(api, run_workers, ["a", "b", "c", "h1shop", "quiet"])
        made |= given_shops(api, run_workers, ["d", "e"], category="美妆")
        made["empty"] = new_account(api, f"owner-empty-{n}")
        shops = {name: shop["account_id"] for name, shop in made.items()}
        fashion, beauty = [f"fashion{i}-{n}" for i in range(4)], [f"beauty{i}-{n}" for i in range(3)]
        for shop in ("a", "b", "c", "empty"):
            given_follows(shops[shop], fashion)
        given_follows(shops["h1shop"], fashion[:2])
        for shop in ("d", "e"):
            given_follows(shops[shop], beauty)
        given_follows(shops["a"], beauty[:1])  # noise across communities
        shops |= {f"owner:{name}": shop["owner_id"] for name, shop in made.items()}
        yield Communities(api, shops, run_job(api, run_workers), n)
    clock.set_now(None)


def test_the_job_computes_related_accounts_and_a_follow_changes_suggestions_at_once(world: Communities) -> None:
    api, shops = world.api, world.shops
    a, b, c, d, e = (shops[k] for k in "abcde")
    # Given the run of the related-accounts job: done, with its progress and summary
    run = world.run
    assert run["status"] == "done"
    assert run["progress"]["shards"]["done"] == run["progress"]["shards"]["total"] >= 1
    assert run["summary"]["accounts"] == 8 and run["summary"]["with_related"] == 7
    assert run["summary"]["store_calls_per_account"] > 0
    # Then an account page shows the accounts its followers also follow, most overlapping first
    related = api.as_user("anyone").get(f"/accounts/{a}/related")
    assert related.status == 200, related
    assert set(ids(related.json["items"])[:3]) == {b, c, shops["empty"]}
    assert related.json["items"][0]["overlap"] == 4
    assert d not in ids(related.json["items"])  # one shared fan is below the minimum support
    # When a newcomer follows shop a
    newcomer = world.user("newcomer")
    assert set(ids(suggested(api, newcomer))[:2]) != {b, c}  # the popular fallback before
    follow_all(api, a, [newcomer])
    # Then the very next read suggests b and c, saying why (no job run in between); never the empty shop
    items = suggested(api, newcomer)
    assert set(ids(items)[:2]) == {b, c}
    assert items[0]["reasons"][0] == {"kind": "co_follow", "via": a, "overlap": 4}
    assert a not in ids(items) and shops["empty"] not in ids(items)
    # And following a beauty shop brings its community in at once
    follow_all(api, d, [newcomer])
    assert e in ids(suggested(api, newcomer))


def test_someone_who_follows_nothing_gets_popular_accounts(world: Communities) -> None:
    api, shops = world.api, world.shops
    # When a user who follows nothing reads suggestions
    items = suggested(api, world.user("nobody"))
    # Then they are the most-followed accounts, with a popular reason; never the empty or an unfollowed one
    assert ids(items)[0] == shops["a"]  # 5 followers
    assert all(item["reasons"] == [{"kind": "popular"}] for item in items)
    assert shops["empty"] not in ids(items) and shops["quiet"] not in ids(items)
    # And a follower of a 美妆 shop sees 美妆's popular accounts, named by category
    fan = world.user("beautyfan")
    follow_all(api, shops["d"], [fan])
    items = suggested(api, fan)
    assert {"kind": "popular", "category": "美妆"} in items[ids(items).index(shops["e"])]["reasons"]


def test_exclusions_own_dismissed_and_h1_accounts_are_never_suggested(world: Communities) -> None:
    api, shops = world.api, world.shops
    a, b, h1shop = shops["a"], shops["b"], shops["h1shop"]
    picky, other = world.user("picky"), world.user("other")
    follow_all(api, a, [picky, other])
    assert {b, h1shop} <= set(ids(suggested(api, picky)))
    # When picky dismisses b and a moderator sends h1shop to H1
    assert api.as_user(picky).delete(f"/me/suggestions/{b}").status == 204
    sent = api.as_user("mod", ["moderator"]).put(f"/moderation/accounts/{h1shop}/blackroom", {"reason": "刷单"})
    assert sent.status == 200, sent
    # Then neither is suggested to picky, and h1shop to nobody, nor shown as related
    assert not {b, h1shop} & set(ids(suggested(api, picky)))
    assert b in ids(suggested(api, other)) and h1shop not in ids(suggested(api, other))
    assert h1shop not in ids(api.as_user(other).get(f"/accounts/{a}/related").json["items"])
    # And an owner is never suggested their own account
    owner_of_b = shops["owner:b"]
    follow_all(api, a, [owner_of_b])
    assert b not in ids(suggested(api, owner_of_b))
    # And a dismissal needs a real account; 91 days later the dismissed account comes back
    assert api.as_user(picky).delete("/me/suggestions/no-such-account").status == 404
    later = clock.now() + timedelta(days=91)
    clock.set_now(lambda: later)
    try:
        assert b in ids(suggested(api, picky))
    finally:
        clock.set_now(None)


def test_commerce_signals_come_first_and_are_validated_item_by_item(world: Communities) -> None:
    api, shops = world.api, world.shops
    # Given a shop that opened its account after the run
    new_shop = given_shops(api, lambda: drain(app), ["newshop"])["newshop"]["account_id"]
    now = clock.rfc3339(clock.now())
    operator, shopper = api.as_user("op", OPERATOR), world.user("shopper")
    # When the shop platform sends a batch with bad items
    bad = operator.post("/ops/signals", {"signals": [
        {"user_id": shopper, "account_id": new_shop, "kind": "favorite_shop", "at": now},
        {"user_id": shopper, "account_id": "no-such-shop", "kind": "purchase", "at": now},
        {"user_id": shopper, "account_id": new_shop, "kind": "wishlist", "at": now},
        {"user_id": shopper, "account_id": new_shop, "kind": "purchase", "at": "yesterday"},
        {"user_id": shopper, "account_id": new_shop, "kind": "purchase",
         "at": clock.rfc3339(clock.now() + timedelta(days=2))},
        {"user_id": shopper, "account_id": new_shop, "kind": "purchase",
         "at": clock.rfc3339(clock.now() - timedelta(days=181))},
    ]})
    # Then it is refused whole, naming each bad item
    assert bad.status == 400, bad
    pointers = {d["pointer"] for d in bad.json["error"]["details"]}
    assert pointers == {"/signals/1/account_id", "/signals/2/kind", "/signals/3/at", "/signals/4/at",
                        "/signals/5/at"}
    assert drain(app) == 0  # nothing was queued
    # When a good batch arrives (a favourite of the new shop, a purchase from shop e)
    good = operator.post("/ops/signals", {"signals": [
        {"user_id": shopper, "account_id": new_shop, "kind": "favorite_shop", "at": now},
        {"user_id": shopper, "account_id": shops["e"], "kind": "purchase", "at": now}]})
    assert good.status == 202, good
    assert good.json == {"accepted": 2}
    drain(app)
    # Then the purchase comes first, then the favourite ("你收藏的店铺开通了微淘账号"), then the rest
    items = suggested(api, shopper)
    assert ids(items)[:2] == [shops["e"], new_shop]
    assert items[0]["reasons"][0] == {"kind": "purchase"}
    assert items[1]["reasons"] == [{"kind": "favorite_shop"}]
    assert len(items) > 2
    # And the signal is kept 180 days (DynamoDB TTL)
    kept = SignalModel.get(shopper, f"{new_shop}#favorite_shop")
    assert kept.expires - kept.at == timedelta(days=180)


def test_signals_and_runs_are_operators_only_and_inputs_are_bounded(world: Communities) -> None:
    api = world.api
    user = api.as_user("merchant")
    one = {"signals": [{"user_id": "u", "account_id": world.shops["a"], "kind": "purchase",
                        "at": clock.rfc3339(clock.now())}]}
    assert user.post("/ops/signals", one).status == 403
    assert user.post("/ops/suggestions/runs").status == 403
    assert user.get(f"/ops/suggestions/runs/{world.run['run_id']}").status == 403
    operator = api.as_user("op", OPERATOR)
    assert operator.post("/ops/signals", {"signals": []}).status == 400
    assert operator.post("/ops/signals", {"signals": [{"user_id": "u"}]}).status == 400
    assert operator.post("/ops/signals", [1, 2]).status == 400
    too_many = operator.post("/ops/signals", {"signals": one["signals"] * 501})
    assert too_many.status == 400 and too_many.json["error"]["details"][0]["pointer"] == "/signals"
    assert operator.get("/ops/suggestions/runs/2020-01-01").status == 404
    assert api.as_user("u").get("/me/suggestions?limit=51").status == 400
    assert api.as_user("u").get("/accounts/nope/related").status == 404
    assert api.as_user("u").get(f"/accounts/{world.shops['a']}/related?limit=21").status == 400


def test_a_suggestions_page_costs_a_bounded_number_of_store_calls(world: Communities) -> None:
    # Given a user with follows and a dismissal
    api, shops, busy = world.api, world.shops, world.user("busy")
    for shop in ("a", "d", "quiet"):
        follow_all(api, shops[shop], [busy])
    assert api.as_user(busy).delete(f"/me/suggestions/{shops['b']}").status == 204
    counter = StoreCallCounter().attach()
    try:
        with counter.counting():
            items = suggested(api, busy)
    finally:
        counter.detach()
    # Then it read: follows, signals, dismissals (3 Query); followed profiles and accounts, popular lists,
    # the candidates' accounts, profiles and follows (6 BatchGetItem), whatever the user's history
    assert ids(items)
    assert counter.calls == {"Query": 3, "BatchGetItem": 6}


def test_a_rerun_is_idempotent_and_a_redelivered_shard_is_skipped(world: Communities, monkeypatch) -> None:
    # Given a run split into several shards
    api = world.api
    monkeypatch.setattr(settings, "suggestion_accounts_per_shard", 3)
    start = clock.now() + timedelta(minutes=5)
    clock.set_now(lambda: start)
    try:
        first = run_job(api, lambda: drain(app))
        assert first["progress"]["shards"]["total"] >= 3
        before = {p.account_id: p.related for p in DiscoveryProfileModel.scan()}
        # When a shard is delivered again, and the job runs again on the same graph
        again = suggestion_runs.run_shard(SuggestionShardMessage(first["run_id"], "0000"))
        assert again["result"] == "already_done"
        assert all(s.attempts == 1 for s in SuggestionShardModel.query(first["run_id"]))
        later = start + timedelta(minutes=2)
        clock.set_now(lambda: later)
        second = run_job(api, lambda: drain(app))
    finally:
        clock.set_now(None)
    # Then the second run wrote the same related lists, and the summaries agree
    assert second["run_id"] != first["run_id"]
    assert {p.account_id: p.related for p in DiscoveryProfileModel.scan()} == before
    assert second["summary"] == first["summary"]


def test_the_daily_schedule_starts_one_run_per_day(world: Communities) -> None:
    first = fire_schedule(app, "suggestions_daily")
    again = fire_schedule(app, "suggestions_daily")  # a retried event resumes the same run
    assert first["run_id"] == again["run_id"] == clock.local_day(clock.now()).isoformat()
    drain(app)
    assert world.api.as_user("op", OPERATOR).get(f"/ops/suggestions/runs/{first['run_id']}").json["status"] == "done"


def test_a_failing_signal_message_fails_alone(world: Communities) -> None:
    # Given a batch of two messages, one of them malformed
    from chalice.local import LambdaContext

    from local.workers import sqs_event

    good = {"signals": [{"user_id": "u1", "account_id": "acct-1", "kind": "purchase",
                         "at": clock.now().isoformat()}]}
    messages = [{"MessageId": "m-good", "ReceiptHandle": "r1", "Body": json.dumps(good)},
                {"MessageId": "m-bad", "ReceiptHandle": "r2", "Body": json.dumps({"signals": [{"kind": "x"}]})}]
    # When the consumer handles it
    result = app.handler_map["signals_consumer"](sqs_event(messages, "arn:aws:sqs:ap-southeast-1:123456789012:s"),
                                                 LambdaContext("signals_consumer", memory_size=128))
    # Then only the bad one goes back to the queue (then to its dead-letter queue); the good one is stored
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-bad"}]}
    assert SignalModel.get("u1", "acct-1#purchase").kind == "purchase"


@pytest.mark.parametrize("older_first", [True, False])
def test_a_late_signal_never_moves_one_back_in_time(world: Communities, older_first: bool) -> None:
    from chalicelib.services.discovery import store_signals

    newer, older = clock.now(), clock.now() - timedelta(days=3)
    user = world.user(f"late{older_first}")
    for at in [older, newer] if older_first else [newer, older]:
        store_signals(SignalsMessage((CommerceSignal(user, "s", "purchase", at),)))
    assert SignalModel.get(user, "s#purchase").at == newer
