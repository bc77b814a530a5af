"""Every route × every caller: the allowed succeed, the rest get 401/403/404 and learn nothing.

Routes come from the ``ENDPOINTS`` registry the ``endpoint`` decorator fills, so a
route added anywhere is in this matrix at once; its expectation comes from the one
table in tests/route_table.py, and a route without a row fails here by name.
"""

from __future__ import annotations

from typing import Any

import pytest

from app import app
from chalicelib.api.http import ENDPOINTS
from local.workers import drain
from tests.conftest import Api
from tests.route_table import ROUTES, VARIANTS, path_for, route_key, rule_for
from tests.security import BAD_TOKENS, IDENTITIES, World, given_worlds, texts

SERVED = sorted({route_key(doc.method, doc.path) for doc in ENDPOINTS})


@pytest.fixture(scope="module")
def worlds(shared_api: Api) -> dict[str, World]:
    """A world of its own for each route that may change one; the plain reads share one.

    Built together, so the queues are drained once for all of them.
    """
    own = [route for route in SERVED if not _plain_read(route)]
    built = given_worlds(shared_api, lambda: drain(app), len(own) + 1)
    return {**{route: built[-1] for route in SERVED}, **dict(zip(own, built, strict=False))}


def _plain_read(route: str) -> bool:
    return route.startswith("GET ") and route in ROUTES and ROUTES[route].given is None


def _judge(identity: str, allowed: bool, response: Any) -> str | None:
    status = response.status
    if allowed:
        return None if 200 <= status < 300 else f"{identity}: expected 2xx, got {response!r}"
    expected = (401,) if identity in BAD_TOKENS else (403, 404)
    if status not in expected:
        return f"{identity}: expected a denial {expected}, got {response!r}"
    error = (response.json or {}).get("error") if isinstance(response.json, dict) else None
    if not isinstance(error, dict) or not {"code", "message", "details"} <= set(error):
        return f"{identity}: denial is not in the API.md error shape: {response!r}"
    return None


@pytest.mark.parametrize("route", SERVED)
def test_each_caller_gets_what_the_route_table_declares(shared_api: Api, worlds: dict[str, World],
                                                        route: str) -> None:
    # Given a world of its own (an owner's account, public and private posts, a fan in a group)
    _check_every_caller(shared_api, route, rule_for(route), worlds[route])


VARIANT_ROWS = [(route, i) for route, rules in VARIANTS.items() for i in range(len(rules))]


@pytest.mark.parametrize(("route", "variant"), VARIANT_ROWS)
def test_each_caller_gets_what_a_variant_row_declares(shared_api: Api, worlds: dict[str, World], route: str,
                                                      variant: int) -> None:
    # Given a route whose callers depend on a path parameter's value (run-time configuration by name)
    assert route in SERVED
    _check_every_caller(shared_api, route, VARIANTS[route][variant], worlds[route])


def _check_every_caller(shared_api: Api, route: str, rule: Any, world: World) -> None:
    method, path = route.split(" ", 1)
    if rule.given:
        rule.given(shared_api, world)
    url = path_for(path, rule, world)

    # When every caller calls the route, the denied ones first (an allowed call may change the world)
    problems = []
    for identity in sorted(IDENTITIES, key=lambda who: who in rule.allow):
        body = rule.body(world) if rule.body else None
        response = shared_api.call(method, url, body, headers=rule.headers_for(world, identity))

        # Then the allowed succeed, the rest are refused, and no one gets a secret they may not see
        problem = _judge(identity, identity in rule.allow, response)
        if problem:
            problems.append(problem)
        leaked = world.leaks(identity, texts(url, body), texts(response.json, str(response.headers)))
        if leaked:
            problems.append(f"{identity}: response holds {leaked}, which it may not see: {response!r}")
    assert not problems, f"{route} ({url}):\n" + "\n".join(problems)


def test_the_table_and_the_openapi_document_name_the_same_routes(shared_api: Api) -> None:
    # Given the published contract
    document = shared_api.get("/openapi.json").json

    # When its operations are listed
    documented = {route_key(method, path) for path, item in document["paths"].items() for method in item}

    # Then they are exactly the served routes, and each has a row in the table
    assert documented == set(SERVED)
    assert sorted(set(SERVED) - set(ROUTES)) == []


def test_the_leak_check_would_see_the_owners_view_in_another_callers_hands(shared_api: Api) -> None:
    # Given an untouched world and what its owner legitimately sees
    world = given_worlds(shared_api, lambda: drain(app), 1)[0]
    posts = shared_api.call("GET", f"/accounts/{world.account_id}/posts", headers=world.headers("owner"))
    followers = shared_api.call("GET", f"/accounts/{world.account_id}/followers", headers=world.headers("owner"))

    # When those answers are judged as if another user had received them
    leaked = world.leaks("stranger", "", texts(posts.json, followers.json))

    # Then the drafts, the private text, the fan and the fan group are all caught
    assert set(leaked) == set(world.secrets)
    assert world.leaks("owner", "", texts(posts.json, followers.json)) == []
