"""Names are checked in the form that is stored and indexed, and a refused change changes nothing."""

from __future__ import annotations

from tests.conftest import Api

LONG_ONCE_NORMALISED = "\ufdfa" * 40  # 40 characters, about 1,300 UTF-8 bytes after NFKC
BODY = {"handle": "shop_n1", "display_name": "江南布衣", "kind": "merchant", "category": "服饰"}


def pointers(response) -> list[str]:
    assert response.status == 400, response
    return [d["pointer"] for d in response.json["error"]["details"]]


def test_a_name_too_long_once_normalised_is_a_400_on_create_and_creates_nothing(api: Api) -> None:
    assert pointers(api.as_user("o1").post("/accounts", {**BODY, "display_name": LONG_ONCE_NORMALISED})) == [
        "/display_name"]
    # The handle was not claimed either
    assert api.as_user("o1").post("/accounts", BODY).status == 201


def test_a_refused_rename_changes_neither_the_account_nor_its_search_entry(api: Api) -> None:
    # Given an account found by its name
    account = api.as_user("o1").post("/accounts", BODY).json
    path = f"/accounts/{account['account_id']}"

    # When its owner renames it to a name too long once normalised, or to a name of invisible characters
    refused = [api.as_user("o1").patch(path, {"display_name": LONG_ONCE_NORMALISED, "bio": "新简介"}),
               api.as_user("o1").patch(path, {"display_name": "\u200b\u200d\u2060", "bio": "新简介"}),
               api.as_user("o1").patch(path, {"fan_nickname": "\u0007\u200e"})]

    # Then each is a 400 naming the field, and nothing changed: name, bio, search entry
    assert [pointers(r) for r in refused] == [["/display_name"], ["/display_name"], ["/fan_nickname"]]
    stored = api.as_user("o2").get(path).json
    assert (stored["display_name"], stored["bio"], stored["fan_nickname"]) == ("江南布衣", "", None)
    assert [a["account_id"] for a in api.as_user("o2").get("/accounts?q=江南").json["items"]] == [account["account_id"]]


def test_a_rename_replaces_the_search_entry_in_one_change(api: Api) -> None:
    account = api.as_user("o1").post("/accounts", BODY).json
    response = api.as_user("o1").patch(f"/accounts/{account['account_id']}", {"display_name": "小米之家"})
    assert response.status == 200 and response.json["display_name"] == "小米之家"
    assert api.as_user("o2").get("/accounts?q=江南").json["items"] == []
    assert [a["display_name"] for a in api.as_user("o2").get("/accounts?q=小米").json["items"]] == ["小米之家"]


def test_names_of_only_zero_width_or_control_characters_are_refused_on_create(api: Api) -> None:
    for name in ("\u200b", "\u200b\ufeff\u2060", "\u0000\u001f", "\u3164\u3164"):
        assert pointers(api.as_user("o1").post("/accounts", {**BODY, "display_name": name})) == ["/display_name"]


def test_a_search_prefix_too_long_once_normalised_is_a_400(api: Api) -> None:
    assert pointers(api.as_user("o1").get("/accounts?q=" + "\ufdfa" * 40)) == ["/q"]
