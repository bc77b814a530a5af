"""Hostile values in every query parameter, path parameter and cursor field: 2xx or 4xx, never 5xx.

Random fuzzing rarely hits the strings that break parsers ("¹" passes ``isdigit()`` and
fails ``int()``) and almost never makes a cursor that decodes, so it never reaches the
code that reads a cursor's fields. Here every route of the ``ENDPOINTS`` registry gets
each hostile value in each of its parameters; each list route is first asked with a
decodable cursor while a spy records which fields it expects, then every field of an
otherwise well-formed cursor gets each hostile value in turn.
"""

from __future__ import annotations

import sys
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from app import app
from chalicelib.api.http import ENDPOINTS
from chalicelib.domain import cursor
from local.workers import drain
from tests.conftest import Api
from tests.route_table import path_for, route_key, rule_for
from tests.security import USERS, World, given_worlds

LIST_ROUTES = sorted({route_key(doc.method, doc.path) for doc in ENDPOINTS if "cursor" in doc.query})
DOCS = {route_key(doc.method, doc.path): doc for doc in ENDPOINTS}
HOSTILE = ["¹", "٣", "9" * 40, "9" * 512, "-1", "1e999", "\u0000", "#x#", "ｘ" * 170, "2024-13-45T99:99Z"]


@pytest.fixture(scope="module")
def world(shared_api: Api) -> World:
    return given_worlds(shared_api, lambda: drain(app), 1)[0]


@pytest.fixture
def fields_asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[str, ...], cursor.CursorScope]]:
    """Record the fields (and the scope) each decode_cursor call expects, in every module that imported it."""
    asked: list[tuple[tuple[str, ...], cursor.CursorScope]] = []
    real = cursor.decode_cursor

    def spy(token: str | None, fields: tuple[str, ...], scope: cursor.CursorScope) -> Any:
        asked.append((fields, scope))
        return real(token, fields, scope)

    for module in list(sys.modules.values()):
        if (module.__name__.startswith("chalicelib.")) and getattr(module, "decode_cursor", None) is real:
            monkeypatch.setattr(module, "decode_cursor", spy)
    return asked


@pytest.mark.parametrize("route", LIST_ROUTES)
def test_a_list_route_refuses_or_ignores_any_edit_of_its_cursor(shared_api: Api, world: World,
                                                                fields_asked: list[Any],
                                                                route: str) -> None:
    # Given a list route, a caller it serves, and the fields its cursors hold
    rule = rule_for(route)
    method, path = route.split(" ", 1)
    caller = "owner" if "owner" in rule.allow else next(who for who in USERS if who in rule.allow)
    url = path_for(path, rule, world)
    join = "&" if "?" in url else "?"
    probe_scope = cursor.cursor_scope("/probe", "nobody")
    probe = shared_api.call(method, f"{url}{join}cursor={cursor.encode_cursor({'probe': 'x'}, probe_scope)}",
                            headers=world.headers(caller))
    assert probe.status == 400, probe
    assert fields_asked, f"{route} takes a cursor but never decoded one"
    fields, scope = fields_asked[-1]

    # When each field of an otherwise well-formed cursor holds each hostile value
    problems = []
    for field in fields:
        for value in HOSTILE:
            position = {name: (value if name == field else "x") for name in fields}
            response = shared_api.call(method, f"{url}{join}cursor={cursor.encode_cursor(position, scope)}",
                                       headers=world.headers(caller))

            # Then the answer is a page or a 400 naming the cursor, never a server error
            if response.status == 400:
                pointers = [d.get("pointer") for d in response.json["error"]["details"]]
                if "/cursor" not in pointers:
                    problems.append(f"{field}={value[:20]!r}: 400 not naming /cursor: {response!r}")
            elif response.status != 200:
                problems.append(f"{field}={value[:20]!r}: {response!r}")
    assert not problems, f"{route} cursor fields {fields}:\n" + "\n".join(problems)


def _caller(rule: Any) -> str:
    return "owner" if "owner" in rule.allow else next((who for who in USERS if who in rule.allow), "owner")


@pytest.mark.parametrize("route", sorted(DOCS))
def test_hostile_values_in_any_parameter_are_answered_without_a_server_error(shared_api: Api, world: World,
                                                                              route: str) -> None:
    # Given a route, a caller it serves, and its valid path
    doc, rule = DOCS[route], rule_for(route)
    method, path = route.split(" ", 1)
    caller = _caller(rule)
    if rule.given:
        rule.given(shared_api, world)
    url = path_for(path, rule, world)
    join = "&" if "?" in url else "?"
    body = rule.body(world) if rule.body else None
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]

    # When each query parameter (alone, and with the others present) and each path parameter holds each
    # hostile value; the others get a plain "1" so the hostile one is not refused before it is read
    attempts = [(f"?{name}", f"{url}{join}{urlencode(query)}") for name in doc.query for value in HOSTILE
                for query in ({name: value}, {**{other: "1" for other in doc.query if other != "cursor"}, name: value})]
    attempts += [(f"{{{name}}}", path_for(path.replace("{" + name + "}", quote(value, safe="")), rule, world))
                 for name in names for value in HOSTILE]
    problems = []
    for where, target in attempts:
        response = shared_api.call(method, target, body if body is None else rule.body(world),
                                   headers=world.headers(caller))

        # Then the answer is one the route documents, and never a server error
        if response.status >= 500 or response.status not in doc.statuses:
            problems.append(f"{where} in {target[:120]}: {response!r}")
    assert not problems, f"{route}:\n" + "\n".join(problems)
