"""Hostile bodies are refused by shape before any schema runs, and the schemas keep ECMA semantics."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain import body_shape
from chalicelib.domain.errors import InvalidInput
from chalicelib.validation import SafeValidator, all_schemas, validate, validate_post


def nested(depth: int) -> Any:
    node: Any = 1
    for _ in range(depth):
        node = [node]
    return node


@pytest.mark.parametrize(("document", "pointer"), [
    (nested(body_shape.MAX_DEPTH + 1), "/0" * body_shape.MAX_DEPTH),
    ({"products": list(range(body_shape.MAX_ITEMS + 1))}, "/products"),
    ({f"k{i}": i for i in range(body_shape.MAX_KEYS + 1)}, ""),
    ({"k" * (body_shape.MAX_KEY_CHARS + 1): 1}, "/" + "k" * (body_shape.MAX_KEY_CHARS + 1)),
    ({"text": "字" * (body_shape.MAX_STRING_CHARS + 1)}, "/text"),
    ({"a": {"b\udfff": 1}}, "/a/b\\udfff"),
    ({"a": ["ok", "\ud800"]}, "/a/1"),
    ({"a/b~": "\udc00"}, "/a~1b~0"),
])
def test_a_shape_past_a_bound_is_named_by_an_encodable_pointer(document: Any, pointer: str) -> None:
    # Given a body one past a bound: depth, items, keys, key or string length, or an unpaired surrogate
    # When its shape is checked
    problem = body_shape.shape_problem(document)

    # Then its pointer is named, and the pointer can be written out as UTF-8
    assert problem is not None and problem[0] == pointer
    pointer.encode("utf-8")


def test_a_body_within_every_bound_passes_and_too_many_values_in_all_do_not() -> None:
    # Given a big body within every single bound, and one of 30 lists of 1,000 values
    within = {"a": [{"b": "c" * 1000}] * 900, "d": nested(15)}
    too_many = [[0] * 1000] * 30

    # When their shapes are checked
    within_problem, too_many_problem = body_shape.shape_problem(within), body_shape.shape_problem(too_many)

    # Then the first passes, and the second is refused at its root for its number of values
    assert within_problem is None
    assert too_many_problem == ("", f"has more than {body_shape.MAX_NODES} values in all")


def test_a_float_is_not_an_integer_index() -> None:
    # Given a vote for option 1.0 (it reached the code as a float index: a 500)
    body = {"option": 1.0}

    # When it is validated
    with pytest.raises(InvalidInput) as refused:
        validate("vote", body)

    # Then it is refused on /option, while option 1 passes
    assert refused.value.details[0]["pointer"] == "/option"
    assert validate("vote", {"option": 1}) == {"option": 1}


def test_unique_items_is_linear_and_still_exact() -> None:
    # Given products as thousands of objects (jsonschema compared every pair: tens of seconds)
    body = {"type": "new_product", "format": "nine_grid", "text": "上新", "images": ["https://i.example.com/a.jpg"],
            "products": [{"sku": i} for i in range(body_shape.MAX_ITEMS)]}

    # When the post is validated
    with pytest.raises(InvalidInput) as refused:
        validate_post(body)

    # Then the products are named
    assert "/products" in [d["pointer"] for d in refused.value.details]
    # And the check's CPU time grows linearly: 4x the items costs about 4x, not 16x (pairwise)
    unique = SafeValidator({"uniqueItems": True})

    def cpu_seconds(n: int) -> float:
        items = [{"sku": i, "tags": [i, str(i)]} for i in range(n)]
        runs = []
        for _ in range(3):
            started = time.process_time()
            assert unique.is_valid(items)
            runs.append(time.process_time() - started)
        return min(runs)

    assert cpu_seconds(8000) < 8 * max(cpu_seconds(2000), 1e-3)
    # And duplicates are found under JSON equality (1 == 1.0, true != 1, key order does not matter)
    assert not unique.is_valid([1, 1.0]) and not unique.is_valid([{"a": 1, "b": [2]}, {"b": [2], "a": 1}])
    assert unique.is_valid([True, 1]) and unique.is_valid([[1], [1, 1]]) and unique.is_valid([0, False, None, "0"])


def _patterns(node: Any, where: str = "") -> list[tuple[str, str]]:
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            found.append((where, node["pattern"]))
        for key, value in node.items():
            found += _patterns(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _patterns(value, f"{where}/{index}")
    return found


PATTERNS = sorted({(f"{name}{where}", pattern) for name, schema in all_schemas().items()
                   for where, pattern in _patterns(schema)})


def test_every_schema_has_patterns_to_check() -> None:
    # Given every shipped schema
    # When their string patterns are collected (PATTERNS)
    found = len(PATTERNS)

    # Then there are enough that the trailing-newline test below is not vacuous
    assert found >= 6


@pytest.mark.parametrize(("where", "pattern"), PATTERNS, ids=[w for w, _ in PATTERNS])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_schema_pattern_lets_a_trailing_newline_or_any_trailer_through(where: str, pattern: str,
                                                                          data: st.DataObject) -> None:
    # Given a value the pattern accepts
    value = data.draw(st.from_regex(pattern, fullmatch=True))
    checker = SafeValidator({"type": "string", "pattern": pattern})
    assert checker.is_valid(value), (where, value)

    # When the same value is checked with a newline (or a newline and more) after it
    # Then it is refused
    for trailer in ("\n", "\r\n", "\nx"):
        assert not checker.is_valid(value + trailer), (where, value + trailer)


def test_a_handle_with_a_trailing_newline_is_refused() -> None:
    # Given an account whose handle ends in a newline
    body = {"handle": "jiangnan_buyi\n", "display_name": "江南布衣", "kind": "merchant", "category": "服饰"}

    # When it is validated
    with pytest.raises(InvalidInput) as refused:
        validate("account_create", body)

    # Then only the handle is named, and the details can be written out as JSON
    assert [d["pointer"] for d in refused.value.details] == ["/handle"]
    assert json.dumps(refused.value.details, ensure_ascii=False)


@pytest.mark.parametrize("key", ["", "it's", "a/b", "(x)"])
def test_every_unknown_field_is_named_even_empty_or_quoted(key: str) -> None:
    # Given a comment with an unknown field whose name is empty or holds a quote, a slash or brackets
    body = {"text": "好", key: 1}

    # When it is validated
    with pytest.raises(InvalidInput) as refused:
        validate("comment", body)

    # Then that field is named by its JSON pointer
    assert [d["pointer"] for d in refused.value.details] == [body_shape.pointer_step(key)]
