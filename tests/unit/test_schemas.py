"""Post schemas: every example passes, each broken rule is named by its JSON pointer."""

from __future__ import annotations

import copy
import filecmp
import json
from pathlib import Path

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.validation import POST_TYPES, validate, validate_post

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {p.stem: json.loads(p.read_text("utf-8")) for p in (ROOT / "schemas" / "examples").glob("*.json")}


def pointers(body: dict) -> list[str]:
    with pytest.raises(InvalidInput) as refused:
        validate_post(body)
    return [d["pointer"] for d in refused.value.details]


def test_every_post_type_has_a_schema_and_a_valid_example() -> None:
    assert set(EXAMPLES) == set(POST_TYPES)
    for body in EXAMPLES.values():
        assert validate_post(body) == body


def test_shipped_schema_copy_matches_source() -> None:
    # Chalice ships only chalicelib/; `make schemas` refreshes the copy.
    comparison = filecmp.dircmp(ROOT / "schemas", ROOT / "chalicelib" / "schemas")
    stale = []

    def walk(c: filecmp.dircmp) -> None:
        stale.extend(c.left_only + c.right_only + c.diff_files)
        for sub in c.subdirs.values():
            walk(sub)

    walk(comparison)
    assert stale == [], f"chalicelib/schemas is stale, run `make schemas`: {stale}"


@pytest.mark.parametrize(("change", "pointer"), [
    (lambda b: b.update(images=["http://img.example.com/a.jpg"]), "/images/0"),
    (lambda b: b.update(images=[f"https://i.example.com/{i}.jpg" for i in range(10)]), "/images"),
    (lambda b: b.update(images=[]), "/images"),
    (lambda b: b.pop("products"), "/products"),
    (lambda b: b.update(tier="W4"), "/tier"),
    (lambda b: b.update(topics=["no-hash"]), "/topics/0"),
    (lambda b: b.update(format="short_video"), "/video"),
    (lambda b: b.update(audience={"groups": []}), "/audience/groups"),
])
def test_a_broken_new_product_names_the_field(change, pointer) -> None:
    body = copy.deepcopy(EXAMPLES["new_product"])
    change(body)
    assert pointer in pointers(body)


def test_short_video_is_at_most_five_minutes() -> None:
    body = copy.deepcopy(EXAMPLES["video"])
    body["video"]["duration_s"] = 301
    assert pointers(body) == ["/video/duration_s"]


def test_poll_needs_two_to_ten_options() -> None:
    body = copy.deepcopy(EXAMPLES["poll"])
    body["poll"]["options"] = ["只有一个"]
    assert pointers(body) == ["/poll/options"]
    body["poll"]["options"] = [str(i) for i in range(11)]
    assert pointers(body) == ["/poll/options"]


def test_contest_takes_either_floor_list_or_every_nth() -> None:
    body = copy.deepcopy(EXAMPLES["floor_contest"])
    body["contest"]["every"] = 10
    assert pointers(body) == ["/contest"]


def test_coupon_needs_amount_threshold_quantity_expiry() -> None:
    body = copy.deepcopy(EXAMPLES["coupon"])
    del body["coupon"]["quantity"]
    assert pointers(body) == ["/coupon/quantity"]


def test_unknown_type_and_non_object_are_refused() -> None:
    assert pointers({"type": "essay", "format": "nine_grid"}) == ["/type"]
    with pytest.raises(InvalidInput):
        validate_post(["not", "an", "object"])


def test_every_error_is_reported_at_once() -> None:
    body = copy.deepcopy(EXAMPLES["live"])
    body["live"]["stream_url"] = "rtmp://live.example.com/x"
    del body["cover"]
    assert set(pointers(body)) == {"/live/stream_url", "/cover"}


def test_account_bodies() -> None:
    with pytest.raises(InvalidInput) as refused:
        validate("account_create", {"handle": "UPPER CASE", "display_name": "店", "kind": "shop", "category": "x"})
    assert {d["pointer"] for d in refused.value.details} == {"/handle", "/kind"}
