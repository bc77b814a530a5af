"""Hot-list picks (人工精选): operators pin posts until a time; picks show first and obey the exclusions."""

from __future__ import annotations

from datetime import datetime, timedelta

from app import app
from chalicelib.domain import clock
from chalicelib.store.accounts import AccountModel
from chalicelib.store.audit import AuditModel
from chalicelib.store.posts import PostModel
from local.workers import fire_schedule
from tests.flows import new_account, nine_grid, publish

NOW = datetime(2024, 6, 10, 20, 0, tzinfo=clock.SHANGHAI)
OPERATOR = ["operator"]


def shop(api, owner: str, category: str, tier: str) -> str:
    account_id = new_account(api, owner, category=category)["account_id"]
    AccountModel(account_id).update(actions=[AccountModel.tier.set(tier)])
    return account_id


def post(api, run_workers, owner: str, account_id: str, likes: int) -> str:
    post_id = publish(api, owner, account_id, nine_grid(f"{owner} 的新品"))["post_id"]
    run_workers()
    PostModel(post_id).update(actions=[PostModel.likes.set(likes)])
    return post_id


def hot(api, query: str = "") -> list[tuple[str, bool]]:
    response = api.as_user("reader").get(f"/hot{query}")
    assert response.status == 200, response
    return [(item["post_id"], item["picked"]) for item in response.json["items"]]


def until(hours: float) -> dict[str, str]:
    return {"until": clock.rfc3339(clock.now() + timedelta(hours=hours))}


def test_a_pick_shows_first_until_it_ends_and_never_when_removed_or_h1(api, run_workers) -> None:
    # Given a ranked post, a W1 shop's post (not eligible for the hot list) and two more to pick
    clock.set_now(lambda: NOW)
    ranked = post(api, run_workers, "ma", shop(api, "ma", "服饰", "W3"), likes=10)
    newcomer = post(api, run_workers, "mb", shop(api, "mb", "服饰", "W1"), likes=0)
    going = post(api, run_workers, "mc", shop(api, "mc", "服饰", "W2"), likes=0)
    h1_account = shop(api, "md", "服饰", "W2")
    penalised = post(api, run_workers, "md", h1_account, likes=0)
    fire_schedule(app, "hot_list")
    assert hot(api) == [(ranked, False)]
    operator = api.as_user("ops", OPERATOR)
    # When an operator picks the newcomer's post for two hours, and the other two for a day
    picked = operator.put(f"/ops/hot/picks/{newcomer}", until(2))
    assert picked.status == 200, picked
    assert picked.json["post_id"] == newcomer and picked.json["category"] is None
    for seconds, post_id in ((1, penalised), (2, going)):
        clock.set_now(lambda seconds=seconds: NOW + timedelta(seconds=seconds))
        assert operator.put(f"/ops/hot/picks/{post_id}", until(24)).status == 200
    # Then picks show first (newest pick first), marked picked, the ranked list after
    assert hot(api) == [(going, True), (penalised, True), (newcomer, True), (ranked, False)]
    # And a pick of a post taken down, or of an account sent to H1, never shows
    assert api.as_user("mc").delete(f"/posts/{going}").status == 204
    AccountModel(h1_account).update(actions=[AccountModel.tier.set("H1")])
    assert hot(api) == [(newcomer, True), (ranked, False)]
    # And such posts cannot be picked again
    refused = operator.put(f"/ops/hot/picks/{going}", until(1))
    assert refused.status == 409 and "removed" in refused.json["error"]["message"]
    assert operator.put(f"/ops/hot/picks/{penalised}", until(1)).status == 409
    # And once the pick ends the post leaves the list
    clock.set_now(lambda: NOW + timedelta(hours=3))
    assert hot(api) == [(ranked, False)]
    # And every pick is in the audit trail, with the operator who made it
    entries = [e for e in AuditModel.query(newcomer_account(newcomer)) if e.action == "hot_pick"]
    assert [(e.actor, e.post_id) for e in entries] == [("ops", newcomer)]


def newcomer_account(post_id: str) -> str:
    return PostModel.get(post_id).account_id


def test_a_category_pick_shows_in_that_category_only_and_unpicking_ends_it(api, run_workers) -> None:
    # Given a 数码 post picked into 数码
    account = shop(api, "me", "数码", "W2")
    post_id = post(api, run_workers, "me", account, likes=0)
    operator = api.as_user("ops", OPERATOR)
    picked = operator.put(f"/ops/hot/picks/{post_id}", {**until(5), "category": "数码"})
    assert picked.status == 200 and picked.json["category"] == "数码"
    # Then it shows in 数码 and not overall
    assert hot(api, "?category=数码") == [(post_id, True)]
    assert hot(api) == []
    # When the operator unpicks it (twice: idempotent)
    assert operator.delete(f"/ops/hot/picks/{post_id}").status == 204
    assert operator.delete(f"/ops/hot/picks/{post_id}").status == 204
    # Then it is gone, and the unpick is audited once
    assert hot(api, "?category=数码") == []
    actions = [e.action for e in AuditModel.query(account)]
    assert actions.count("hot_pick") == 1 and actions.count("hot_unpick") == 1


def test_picks_are_operators_only_and_validated(api, run_workers) -> None:
    account = shop(api, "mf", "服饰", "W2")
    post_id = post(api, run_workers, "mf", account, likes=0)
    # Not an operator: 403, whoever it is (the owner included)
    for caller in (api.as_user("mf"), api.as_user("mod", ["moderator"])):
        assert caller.put(f"/ops/hot/picks/{post_id}", until(1)).status == 403
        assert caller.delete(f"/ops/hot/picks/{post_id}").status == 403
    operator = api.as_user("ops", OPERATOR)
    for body, pointer in [({}, "/until"), ({"until": "tomorrow"}, "/until"), (until(-1), "/until"),
                          (until(24 * 31), "/until"), ({**until(1), "category": ""}, "/category"),
                          ({**until(1), "extra": 1}, "/extra")]:
        refused = operator.put(f"/ops/hot/picks/{post_id}", body)
        assert refused.status == 400, (body, refused)
        assert refused.json["error"]["details"][0]["pointer"] == pointer
    assert operator.put("/ops/hot/picks/no-such-post", until(1)).status == 404
    assert hot(api) == []
