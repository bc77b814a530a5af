"""Each required field of the typed posts is a 400 naming its JSON pointer when missing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.validation import validate_post

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"


@pytest.mark.parametrize(("post_type", "path"), [
    ("styling", ("products",)), ("product_review", ("products",)), ("new_product", ("products",)),
    ("poll", ("poll", "closes_at")), ("poll", ("poll", "options")), ("poll", ("poll", "question")),
    ("floor_contest", ("contest", "ends_at")),
    ("coupon", ("coupon", "amount")), ("coupon", ("coupon", "threshold")), ("coupon", ("coupon", "quantity")),
    ("coupon", ("coupon", "expires_at")), ("coupon", ("coupon",)),
])
def test_a_missing_required_field_is_named_by_its_pointer(post_type: str, path: tuple[str, ...]) -> None:
    # Given a valid example of the type with one required field taken out
    body = copy.deepcopy(json.loads((EXAMPLES / f"{post_type}.json").read_text("utf-8")))
    validate_post(copy.deepcopy(body))
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]

    # When it is validated
    with pytest.raises(InvalidInput) as refused:
        validate_post(body)

    # Then the 400 names exactly that field
    assert "/" + "/".join(path) in [d["pointer"] for d in refused.value.details], refused.value.details
