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
    # Given the post types and the example documents in schemas/examples
    # When the example names are compared with the types
    examples, types = set(EXAMPLES), set(POST_TYPES)

    # Then each type has an example, and each example passes its schema unchanged
    assert examples == types
    for body in EXAMPLES.values():
        assert validate_post(body) == body


def test_shipped_schema_copy_matches_source() -> None:
    # Given the source schemas and the copy Chalice ships (it ships only chalicelib/; `make schemas` refreshes it)
    comparison = filecmp.dircmp(ROOT / "schemas", ROOT / "chalicelib" / "schemas")

    # When every folder of the two is compared
    stale = []

    def walk(c: filecmp.dircmp) -> None:
        stale.extend(c.left_only + c.right_only + c.diff_files)
        for sub in c.subdirs.values():
            walk(sub)

    walk(comparison)

    # Then no file is missing, extra or different
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
    # Given the new-product example with one field broken
    body = copy.deepcopy(EXAMPLES["new_product"])
    change(body)

    # When it is validated
    named = pointers(body)

    # Then that field is named
    assert pointer in named


def test_short_video_is_at_most_five_minutes() -> None:
    # Given the video example at 301 seconds
    body = copy.deepcopy(EXAMPLES["video"])
    body["video"]["duration_s"] = 301

    # When it is validated
    named = pointers(body)

    # Then only the duration is named
    assert named == ["/video/duration_s"]


def test_poll_needs_two_to_ten_options() -> None:
    # Given the poll example with one option
    body = copy.deepcopy(EXAMPLES["poll"])
    body["poll"]["options"] = ["只有一个"]

    # When it is validated / Then the options are named
    assert pointers(body) == ["/poll/options"]

    # And when it has eleven options, Then the options are named too
    body["poll"]["options"] = [str(i) for i in range(11)]
    assert pointers(body) == ["/poll/options"]


def test_contest_takes_either_floor_list_or_every_nth() -> None:
    # Given the floor-contest example (with its list of floors) given "every 10th" as well
    body = copy.deepcopy(EXAMPLES["floor_contest"])
    body["contest"]["every"] = 10

    # When it is validated
    named = pointers(body)

    # Then the contest is named
    assert named == ["/contest"]


def test_coupon_needs_amount_threshold_quantity_expiry() -> None:
    # Given the coupon example without its quantity
    body = copy.deepcopy(EXAMPLES["coupon"])
    del body["coupon"]["quantity"]

    # When it is validated
    named = pointers(body)

    # Then the quantity is named
    assert named == ["/coupon/quantity"]


def test_unknown_type_and_non_object_are_refused() -> None:
    # Given a post of a type that does not exist, and a post that is a list
    unknown_type, a_list = {"type": "essay", "format": "nine_grid"}, ["not", "an", "object"]

    # When each is validated / Then the first is refused naming its type, and the second is refused
    assert pointers(unknown_type) == ["/type"]
    with pytest.raises(InvalidInput):
        validate_post(a_list)


def test_every_error_is_reported_at_once() -> None:
    # Given the live example with an rtmp stream and no cover
    body = copy.deepcopy(EXAMPLES["live"])
    body["live"]["stream_url"] = "rtmp://live.example.com/x"
    del body["cover"]

    # When it is validated
    named = pointers(body)

    # Then both problems are named in one refusal
    assert set(named) == {"/live/stream_url", "/cover"}


def test_an_account_with_a_bad_handle_and_kind_names_both() -> None:
    # Given an account whose handle has capitals and a space, and whose kind does not exist
    body = {"handle": "UPPER CASE", "display_name": "店", "kind": "shop", "category": "x"}

    # When it is validated
    with pytest.raises(InvalidInput) as refused:
        validate("account_create", body)

    # Then both the handle and the kind are named
    assert {d["pointer"] for d in refused.value.details} == {"/handle", "/kind"}
