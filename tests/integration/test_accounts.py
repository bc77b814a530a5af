"""Accounts through HTTP: create, unique handles, search, owner changes, operator labels."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests

from tests.conftest import bearer
from tests.flows import new_account


def test_create_and_read_an_account(api) -> None:
    # Given a merchant creating a shop
    created = api.as_user("m1").post("/accounts", {
        "handle": "uniqlo_cn", "display_name": "优衣库官方旗舰店", "kind": "merchant", "category": "服饰",
        "fan_nickname": "衣粉", "bio": "LifeWear 服适人生"})
    # Then it starts in W1 with no followers, owned by the caller
    assert created.status == 201
    account = created.json
    assert (account["tier"], account["follower_count"], account["owner_id"]) == ("W1", 0, "m1")
    # And anyone with a token can read it
    assert api.as_user("fan").get(f"/accounts/{account['account_id']}").json["display_name"] == "优衣库官方旗舰店"


def test_a_taken_handle_is_a_409(api) -> None:
    account = new_account(api, "m1")
    again = api.as_user("m2").post("/accounts", {"handle": account["handle"], "display_name": "别家",
                                                 "kind": "merchant", "category": "服饰"})
    assert again.status == 409 and again.json["error"]["details"][0]["pointer"] == "/handle"


def test_handles_stay_unique_under_concurrent_creates(http_base) -> None:
    # Given 10 users racing for the same handle
    def create(i: int) -> int:
        return requests.post(f"{http_base}/accounts", headers=bearer(f"racer{i}"), timeout=30, json={
            "handle": "hot_handle", "display_name": f"店{i}", "kind": "merchant", "category": "服饰"}).status_code

    with ThreadPoolExecutor(10) as pool:
        statuses = list(pool.map(create, range(10)))
    # Then exactly one wins
    assert sorted(statuses) == [201] + [409] * 9


def test_official_accounts_are_for_operators(api) -> None:
    body = {"handle": "taobao_official", "display_name": "淘宝官方", "kind": "official", "category": "平台"}
    assert api.as_user("m1").post("/accounts", body).status == 403
    made = api.as_user("op", ["operator"]).post("/accounts", body)
    assert made.status == 201 and made.json["labels"] == ["official"]


def test_search_by_handle_or_display_name_prefix(api) -> None:
    new_account(api, "m1", handle="xiaomi_store", display_name="小米官方旗舰店")
    new_account(api, "m2", handle="xiaoyu_shop", display_name="小鱼家居")
    new_account(api, "m3", handle="huawei", display_name="华为")
    fan = api.as_user("fan")
    assert {a["handle"] for a in fan.get("/accounts?q=小").json["items"]} == {"xiaomi_store", "xiaoyu_shop"}
    assert [a["handle"] for a in fan.get("/accounts?q=XIAOM").json["items"]] == ["xiaomi_store"]
    assert [a["handle"] for a in fan.get("/accounts?q=%EF%BD%98%EF%BD%89%EF%BD%81%EF%BD%8F%EF%BD%8D").json["items"]] \
        == ["xiaomi_store"]  # full-width ｘｉａｏｍ
    page = fan.get("/accounts?q=xiao&limit=1").json
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = fan.get(f"/accounts?q=xiao&limit=1&cursor={page['next_cursor']}").json
    assert rest["items"][0]["handle"] != page["items"][0]["handle"]
    assert fan.get("/accounts").status == 400


def test_only_the_owner_changes_an_account(api) -> None:
    account = new_account(api, "m1")
    path = f"/accounts/{account['account_id']}"
    assert api.as_user("m2").patch(path, {"bio": "hacked"}).status == 403
    changed = api.as_user("m1").patch(path, {"display_name": "新名字", "bio": "新简介"})
    assert changed.status == 200 and changed.json["display_name"] == "新名字"
    assert [a["account_id"] for a in api.as_user("x").get("/accounts?q=新名").json["items"]] == [account["account_id"]]
    assert api.as_user("x").get(f"/accounts?q={account['display_name']}").json["items"] == []


def test_privileged_fields_cannot_be_patched(api) -> None:
    account = new_account(api, "m1")
    refused = api.as_user("m1").patch(f"/accounts/{account['account_id']}", {"tier": "W4", "follower_count": 9})
    assert refused.status == 400
    assert {d["pointer"] for d in refused.json["error"]["details"]} == {"/tier", "/follower_count"}
    assert api.as_user("m1").get(f"/accounts/{account['account_id']}").json["tier"] == "W1"


def test_operators_grant_and_withdraw_labels(api) -> None:
    account = new_account(api, "m1")
    path = f"/accounts/{account['account_id']}/labels/preferred_store"
    assert api.as_user("m1").put(path).status == 403
    assert api.as_user("op", ["operator"]).put(path).json["labels"] == ["preferred_store"]
    assert api.as_user("op", ["operator"]).put(path).json["labels"] == ["preferred_store"]
    assert api.as_user("op", ["operator"]).delete(path).json["labels"] == []
    assert api.as_user("op", ["operator"]).put(f"/accounts/{account['account_id']}/labels/vip").status == 404
