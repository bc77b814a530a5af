"""Property tests: hostile shapes in request bodies, path and query parameters.

Each case takes a valid body of a route and puts a hostile value somewhere in it (a
lone surrogate, a trailing newline, a float for an integer, a huge or deeply nested
value, an unknown or unencodable key...). Whenever the result breaks the route's
schema or the shape bounds, the answer must be a 400 whose details name a field, in
the API.md error shape, and nothing may be stored. Path and query parameters get
hostile text and must never cause a 5xx. Examples are few, so this stays fast.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.body_shape import shape_problem
from chalicelib.domain.errors import InvalidInput
from chalicelib.store.accounts import AccountModel
from chalicelib.store.engagement import CommentModel
from chalicelib.store.posts import PostModel
from chalicelib.validation import validate, validate_post
from tests.flows import new_account, nine_grid, publish
from tests.unit.test_schemas import EXAMPLES

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None, database=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def nested(depth: int) -> Any:
    node: Any = "x"
    for _ in range(depth):
        node = {"a": [node]}
    return node


HOSTILE_TEXT = st.one_of(
    st.sampled_from(["\udfff", "\ud800x", "jiangnan_buyi\n", "https://img.example.com/a.jpg\n", "#话题#\n",
                     "\u200b\u200d", "\u0000", "٣", "¹", "9" * 400, "字" * 30_000, "", " ", "\ufdfa" * 40]),
    st.text(max_size=12))
HOSTILE = st.one_of(
    HOSTILE_TEXT, st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1.0, 0.5, -0.0, 1e308]), st.booleans(), st.none(),
    st.just(nested(40)), st.just([{"sku": i} for i in range(1_500)]), st.just(["sku-1"] * 60),
    st.dictionaries(HOSTILE_TEXT, st.integers(), max_size=3), st.lists(HOSTILE_TEXT, max_size=4))


def mutate(data: st.DataObject, body: dict[str, Any]) -> dict[str, Any]:
    """``body`` with one hostile change: a value replaced at some depth, or a hostile key added."""
    document = json.loads(json.dumps(body))
    node: Any = document
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = data.draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, (dict, list)) and child and data.draw(st.booleans()):
            node = child
            continue
        if isinstance(node, dict) and data.draw(st.integers(0, 4)) == 0:
            node[data.draw(HOSTILE_TEXT)] = data.draw(HOSTILE)
        else:
            node[key] = data.draw(HOSTILE)
        break
    return document


def is_refused_by_shape_or_schema(check: Any, document: Any) -> bool:
    if shape_problem(document) is not None:
        return True
    try:
        check(document)
    except InvalidInput:
        return True
    return False


def stored() -> tuple[int, int, int]:
    return AccountModel.count(), PostModel.count(), CommentModel.count()


def assert_named_400(response: Any) -> None:
    assert response.status == 400, response
    error = response.json["error"]
    assert {"code", "message", "details"} <= set(error) and error["details"], error
    assert all(isinstance(d.get("pointer"), str) for d in error["details"]), error


@pytest.fixture
def world(api, run_workers) -> dict[str, str]:
    account_id = new_account(api, "owner")["account_id"]
    post_id = publish(api, "owner", account_id, nine_grid())["post_id"]
    run_workers()
    return {"account_id": account_id, "post_id": post_id}


def test_hostile_request_bodies_are_a_named_400_and_store_nothing(api, world) -> None:
    account_path, post_path = f"/accounts/{world['account_id']}", f"/posts/{world['post_id']}"
    routes = [
        ("POST", "/accounts", "owner", lambda d: validate("account_create", d),
         {"handle": "prop_shop", "display_name": "属性测试店", "kind": "merchant", "category": "服饰"}),
        ("PATCH", account_path, "owner", lambda d: validate("account_update", d),
         {"display_name": "新名字", "bio": "简介", "fan_nickname": "米粉"}),
        *[("POST", f"{account_path}/posts", "owner", validate_post, EXAMPLES[t]) for t in sorted(EXAMPLES)],
        ("POST", f"{post_path}/comments", "fan", lambda d: validate("comment", d), {"text": "好看"}),
        ("POST", f"{post_path}/votes", "fan", lambda d: validate("vote", d), {"option": 0}),
        ("PUT", "/moderation/accounts/nope/blackroom", "mod", lambda d: validate("blackroom", d), {"reason": "x"}),
        ("POST", "/ops/grading/runs", "op", lambda d: validate("grading_run", d), {"month": "2026-01"}),
    ]
    roles = {"mod": ["moderator"], "op": ["operator"]}
    before = stored()

    @PROPERTY_SETTINGS
    @given(data=st.data(), route=st.sampled_from(routes))
    def check(data: st.DataObject, route: Any) -> None:
        method, path, user, schema_check, valid = route
        document = mutate(data, valid)
        if not is_refused_by_shape_or_schema(schema_check, document):
            return  # still valid: what a valid body does is tested elsewhere
        response = api.as_user(user, roles.get(user)).call(method, path, raw=json.dumps(document))
        assert_named_400(response)

    check()
    assert stored() == before
    assert api.as_user("owner").get(account_path).json["display_name"].startswith("好店")


PARAMS = st.one_of(HOSTILE_TEXT, st.text(alphabet=st.characters(codec="utf-8"), max_size=30))


def test_hostile_path_and_query_parameters_never_cause_a_5xx(api, world) -> None:
    from urllib.parse import quote

    @PROPERTY_SETTINGS
    @given(value=PARAMS, template=st.sampled_from([
        "/posts/{v}", "/posts/{v}/comments", "/accounts/{v}", "/accounts/{v}/posts", "/accounts?q={v}",
        "/me/feed?section={v}", "/me/feed?limit={v}", "/me/feed?cursor={v}", "/hot?category={v}",
        "/accounts/{a}/stats?from={v}", "/accounts/{a}/stats?to={v}", "/ops/grading/runs/{v}",
        "/accounts/{a}/followers?group={v}"]))
    def check(value: str, template: str) -> None:
        if not value and "?" not in template:
            return  # an empty path segment is another route (the test client's own 403)
        encoded = quote(value.encode("utf-8", "surrogatepass"), safe="")
        response = api.as_user("owner", ["operator"]).get(template.format(v=encoded, a=world["account_id"]))
        assert response.status < 500, (template, value, response)
        if response.status >= 400:
            assert {"code", "message", "details"} <= set(response.json["error"])

    check()
