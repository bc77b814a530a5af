"""Mass assignment: fields only the platform sets, sent by a client, are refused and change nothing.

Every route that takes a body (from the ``ENDPOINTS`` registry, with its valid body
from tests/route_table.py) gets that body plus one privileged field at a time; the
answer must be a 400 naming the field, or a 2xx that did not take the value. Reading
the account and its posts back afterwards must show nothing changed.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from app import app
from chalicelib.api.http import ENDPOINTS
from local.workers import drain
from tests.conftest import Api
from tests.flows import article
from tests.route_table import path_for, route_key, rule_for
from tests.security import USERS, World, given_worlds

_names = itertools.count(1)
BODY_ROUTES = sorted({route_key(doc.method, doc.path) for doc in ENDPOINTS if doc.request_schema})


def privileged_fields(world: World) -> dict[str, Any]:
    """Each field the platform owns, with a value an attacker would like it to take."""
    thief = world.users["stranger"]
    return {
        "tier": "W4", "tier_status": "excellent", "labels": ["official", "preferred_store"],
        "owner_id": thief, "author_id": thief, "user_id": thief, "account_id": world.stranger_account_id,
        "post_id": "01AAAAAAAAAAAAAAAAAAAAAAAA", "comment_id": "c-1", "status": "published",
        "follower_count": 10_000_000, "likes": 999_999, "comments": 999_999, "reads": 999_999,
        "votes": [999_999, 0], "floor": 1, "winner": True, "reject_reason": None, "moderation": [],
        "created_at": "2020-01-01T00:00:00+08:00", "published_at": "2020-01-01T00:00:00+08:00",
    }


@pytest.fixture(scope="module")
def worlds(shared_api: Api) -> dict[str, World]:
    return dict(zip(BODY_ROUTES, given_worlds(shared_api, lambda: drain(app), len(BODY_ROUTES)), strict=True))


def _snapshot(api: Api, world: World) -> dict[str, Any]:
    owner = world.headers("owner")
    return {
        "account": api.call("GET", f"/accounts/{world.account_id}", headers=owner).json,
        "thief_account": api.call("GET", f"/accounts/{world.stranger_account_id}", headers=owner).json,
        "posts": api.call("GET", f"/accounts/{world.account_id}/posts?limit=100", headers=owner).json,
        "published": api.call("GET", f"/posts/{world.published_id}", headers=owner).json,
    }


@pytest.mark.parametrize("route", BODY_ROUTES)
def test_privileged_fields_in_a_body_are_refused_and_change_nothing(shared_api: Api, worlds: dict[str, World],
                                                                    route: str) -> None:
    # Given a world, the route's valid body and a caller the route serves
    rule = rule_for(route)
    assert rule.body is not None, f"{route} takes a body: give its Rule a valid body"
    method, path = route.split(" ", 1)
    world = worlds[route]
    caller = "owner" if "owner" in rule.allow else next(who for who in USERS if who in rule.allow)
    url = path_for(path, rule, world)
    before = _snapshot(shared_api, world)

    # When the body carries one privileged field at a time
    problems = []
    for name, value in privileged_fields(world).items():
        body = {**rule.body(world), name: value}
        response = shared_api.call(method, url, body, headers=world.headers(caller))

        # Then it is a 400 naming that field, or a success that did not take the value
        if response.status == 400:
            pointers = {d.get("pointer") for d in response.json["error"]["details"]}
            if f"/{name}" not in pointers:
                problems.append(f"{name}: 400 without naming /{name}: {response!r}")
        elif 200 <= response.status < 300:
            if isinstance(response.json, dict) and name in response.json and response.json[name] == value:
                problems.append(f"{name}: accepted and taken: {response!r}")
        else:
            problems.append(f"{name}: expected 400 or 2xx, got {response!r}")

    # And reading back shows the account, its posts and the other user's account unchanged
    assert not problems, f"{route}:\n" + "\n".join(problems)
    assert _snapshot(shared_api, world) == before


def test_a_new_account_takes_nothing_privileged_from_its_creator(shared_api: Api) -> None:
    # Given a user who asks for a top tier, labels, fans and someone else's ownership
    n = next(_names)
    user = shared_api.as_user(f"climber{n}")
    wish = {"handle": f"climber{n}_shop", "display_name": "登顶", "kind": "merchant", "category": "数码"}

    # When the account is created with those fields, and then without them
    refused = user.post("/accounts", {**wish, "tier": "W4", "labels": ["official"], "owner_id": "victim",
                                      "follower_count": 10_000_000, "tier_status": "excellent"})
    created = user.post("/accounts", wish)

    # Then the first is refused naming each field, and the account read back has only what the platform gave
    assert refused.status == 400
    assert {d["pointer"] for d in refused.json["error"]["details"]} == {
        "/tier", "/labels", "/owner_id", "/follower_count", "/tier_status"}
    assert created.status == 201, created
    account = user.get(f"/accounts/{created.json['account_id']}").json
    assert (account["tier"], account["labels"], account["owner_id"], account["follower_count"]) == (
        "W1", [], f"climber{n}", 0)
    assert [a["account_id"] for a in user.get(f"/accounts?q=climber{n}_").json["items"]] == [account["account_id"]]


def test_a_post_cannot_set_its_own_status_counters_or_account(shared_api: Api) -> None:
    # Given an owner with an account, and another account it would like to post as
    n = next(_names)
    owner, victim = shared_api.as_user(f"poster{n}"), shared_api.as_user(f"victim{n}")
    mine = owner.post("/accounts", {"handle": f"poster{n}_shop", "display_name": "店", "kind": "merchant",
                                    "category": "服饰"}).json
    theirs = victim.post("/accounts", {"handle": f"victim{n}_shop", "display_name": "别人的店", "kind": "merchant",
                                       "category": "服饰"}).json

    # When it posts claiming a published status, counters, an author and the other account
    path = f"/accounts/{mine['account_id']}/posts"
    refused = owner.post(path, {**article(), "status": "published", "likes": 500, "reads": 9000,
                                "account_id": theirs["account_id"], "author_id": "victim"})
    nested = owner.post(path, {**article(), "audience": {"groups": ["vip"], "owner_id": "victim"}})
    clean = owner.post(path, article())

    # Then both are refused naming the fields, and the clean post read back starts from nothing
    assert refused.status == 400 and {d["pointer"] for d in refused.json["error"]["details"]} == {
        "/status", "/likes", "/reads", "/account_id", "/author_id"}
    assert nested.status == 400 and [d["pointer"] for d in nested.json["error"]["details"]] == [
        "/audience/owner_id"]
    assert clean.status == 202, clean
    post = owner.get(f"/posts/{clean.json['post_id']}").json
    assert (post["status"], post["likes"], post["reads"], post["comments"], post["account_id"]) == (
        "pending_review", 0, 0, 0, mine["account_id"])
    assert [p["post_id"] for p in owner.get(path).json["items"]] == [post["post_id"]]
    assert victim.get(f"/accounts/{theirs['account_id']}/posts").json["items"] == []


def test_an_owner_cannot_change_tier_labels_or_ownership_by_patch(shared_api: Api) -> None:
    # Given an owner's account
    n = next(_names)
    owner = shared_api.as_user(f"patcher{n}")
    account = owner.post("/accounts", {"handle": f"patcher{n}_shop", "display_name": "店", "kind": "merchant",
                                       "category": "服饰"}).json
    path = f"/accounts/{account['account_id']}"

    # When it patches privileged fields next to an allowed one
    refused = owner.patch(path, {"bio": "新简介", "tier": "W4", "labels": ["preferred_store"],
                                 "owner_id": "someone", "handle": "taken_over", "follower_count": 99})

    # Then the whole change is refused and nothing, not even the allowed field, was written
    assert refused.status == 400
    assert {d["pointer"] for d in refused.json["error"]["details"]} == {
        "/tier", "/labels", "/owner_id", "/handle", "/follower_count"}
    assert owner.get(path).json == account
