"""Hostile bodies on real routes: a fast 400 naming the field, in the API.md error shape, nothing stored."""

from __future__ import annotations

import time

import pytest

from tests.conftest import Api


def refused(response, pointer: str) -> None:
    assert response.status == 400, response
    assert set(response.json["error"]) >= {"code", "message", "details"}
    assert pointer in [d["pointer"] for d in response.json["error"]["details"]], response.json


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_a_400_not_a_recursion_error(api: Api, depth: int) -> None:
    response = api.as_user("u1").post("/accounts", raw="[" * depth + "]" * depth)
    refused(response, "")


def test_a_lone_surrogate_in_a_key_is_a_400_that_can_be_encoded(api: Api) -> None:
    # Given a key that is a lone surrogate (the 400 used to echo it and fail to encode)
    response = api.as_user("u1").post("/accounts", raw='{"\\udfff": 1, "handle": "abc"}')

    # Then the 400 arrives, naming the key in an encodable form
    refused(response, "/\\udfff")
    assert api.as_user("u1").get("/accounts?q=abc").json["items"] == []


def test_thousands_of_objects_in_a_list_are_refused_fast(api: Api) -> None:
    account = api.as_user("o1").post("/accounts", {"handle": "shop_b1", "display_name": "店", "kind": "merchant",
                                                   "category": "服饰"}).json
    body = {"type": "new_product", "format": "nine_grid", "text": "上新", "images": ["https://i.example.com/a.jpg"],
            "products": [{"sku": i, "n": "x" * 10} for i in range(4_000)]}
    started = time.perf_counter()
    response = api.as_user("o1").post(f"/accounts/{account['account_id']}/posts", body)
    assert time.perf_counter() - started < 2.0
    refused(response, "/products")
    assert api.as_user("o1").get(f"/accounts/{account['account_id']}/posts").json["items"] == []


def test_nan_and_float_indexes_are_refused(api: Api) -> None:
    refused(api.as_user("u1").post("/posts/p1/votes", raw='{"option": NaN}'), "")
    refused(api.as_user("u1").post("/posts/p1/votes", {"option": 1.0}), "/option")


def test_a_handle_with_a_trailing_newline_creates_nothing(api: Api) -> None:
    body = {"handle": "jiangnan_buyi", "display_name": "江南布衣", "kind": "merchant", "category": "服饰"}
    assert api.as_user("o1").post("/accounts", body).status == 201
    for handle in ("jiangnan_buyi\n", "jiangnan_buyi\r\n"):
        refused(api.as_user("o2").post("/accounts", {**body, "handle": handle}), "/handle")
    assert len(api.as_user("o2").get("/accounts?q=jiangnan").json["items"]) == 1


def test_out_of_range_stats_days_and_grading_months_are_400s(api: Api) -> None:
    account = api.as_user("o1").post("/accounts", {"handle": "shop_b2", "display_name": "店", "kind": "merchant",
                                                   "category": "服饰"}).json
    refused(api.as_user("o1").get(f"/accounts/{account['account_id']}/stats?to=0001-01-01"), "/to")
    refused(api.as_user("op", ["operator"]).post("/ops/grading/runs", {"month": "0000-01"}), "/month")
    refused(api.as_user("op", ["operator"]).get("/ops/grading/runs/0000-01"), "/month")
