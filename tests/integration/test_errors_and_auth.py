"""Bad input is a clear 4xx in the API.md shape; tokens are verified; nothing half-written."""

from __future__ import annotations

import time

import jwt

from chalicelib.config import settings
from chalicelib.store.accounts import AccountModel, HandleModel
from tests.flows import new_account


def error_of(response) -> dict:
    assert set(response.json) == {"error"}, response
    assert {"code", "message", "details"} <= set(response.json["error"])
    return response.json["error"]


def test_public_routes_need_no_token(api) -> None:
    assert api.get("/health").status == 200
    document = api.get("/openapi.json").json
    assert document["openapi"].startswith("3.") and "/accounts/{account_id}/posts" in document["paths"]
    post_body = document["paths"]["/accounts/{account_id}/posts"]["post"]["requestBody"]
    assert post_body["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/post"
    assert "posts_poll" in document["components"]["schemas"]


def test_tokens_that_are_missing_forged_expired_or_unsigned_are_401(api) -> None:
    now = int(time.time())
    forged = jwt.encode({"sub": "u", "exp": now + 60}, "not-the-secret-at-all-0123456789abcdef", algorithm="HS256")
    expired = jwt.encode({"sub": "u", "exp": now - 60}, settings.jwt_secret, algorithm="HS256")
    unsigned = jwt.encode({"sub": "u", "exp": now + 60}, None, algorithm="none")
    no_sub = jwt.encode({"exp": now + 60}, settings.jwt_secret, algorithm="HS256")
    for header in ({}, {"Authorization": f"Bearer {forged}"}, {"Authorization": f"Bearer {expired}"},
                   {"Authorization": f"Bearer {unsigned}"}, {"Authorization": f"Bearer {no_sub}"},
                   {"Authorization": "Basic dTpw"}):
        response = api.get("/me/feed", headers=header)
        assert response.status == 401 and error_of(response)["code"] == "unauthenticated"


def test_dev_token_roles_come_from_the_roles_list_only(api) -> None:
    official = {"handle": "official_x", "display_name": "官方", "kind": "official", "category": "平台"}
    # Cognito's groups claim is read only in cognito mode: a dev token cannot borrow it
    groups = jwt.encode({"sub": "op", "exp": int(time.time()) + 60, "cognito:groups": ["operator"]},
                        settings.jwt_secret, algorithm="HS256")
    assert api.post("/accounts", official, headers={"Authorization": f"Bearer {groups}"}).status == 403
    # A roles claim that is not a list is a 401, not a guess
    string_roles = jwt.encode({"sub": "op", "exp": int(time.time()) + 60, "roles": "operator"},
                              settings.jwt_secret, algorithm="HS256")
    assert api.post("/accounts", official, headers={"Authorization": f"Bearer {string_roles}"}).status == 401
    assert api.as_user("op", ["operator"]).post("/accounts", official).status == 201


def test_malformed_bodies_are_400_and_store_nothing(api) -> None:
    user = api.as_user("m1")
    for raw in ("{not json", "", "[]", '{"handle": 5}', "\"text\""):
        response = user.post("/accounts", raw=raw)
        assert response.status == 400, (raw, response)
        error_of(response)
    assert AccountModel.count() == 0 and HandleModel.count() == 0


def test_wrong_types_name_the_field(api) -> None:
    response = api.as_user("m1").post("/accounts", {"handle": "ok_handle", "display_name": 12, "kind": "merchant",
                                                    "category": ["x"]})
    assert {d["pointer"] for d in error_of(response)["details"]} == {"/display_name", "/category"}


def test_a_2mb_body_is_413(api) -> None:
    account = new_account(api, "m1")
    response = api.as_user("m1").post(f"/accounts/{account['account_id']}/posts",
                                      {"type": "article", "format": "long_article", "text": "字" * 700_000})
    assert response.status == 413 and error_of(response)["code"] == "payload_too_large"


def test_unknown_ids_are_404(api) -> None:
    user = api.as_user("u")
    for path in ("/accounts/NOPE", "/posts/NOPE", "/accounts/NOPE/posts"):
        response = user.get(path)
        assert response.status == 404 and error_of(response)["code"] == "not_found"


def test_wrong_content_type_is_415_in_the_error_shape(api) -> None:
    response = api.as_user("m1").post("/accounts", raw="handle=x", headers={"Content-Type": "text/plain"})
    assert response.status == 415
    error_of(response)
