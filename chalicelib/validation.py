"""Loads the JSON schemas once and turns validation failures into field-level errors.

The schemas' source of truth is the top-level ``schemas/`` folder; Chalice ships only
``chalicelib/``, so ``make schemas`` copies them to ``chalicelib/schemas/`` and a test
fails on a stale copy.
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from chalicelib.domain.body_shape import pointer_step
from chalicelib.domain.errors import InvalidInput

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
POST_TYPES = (
    "new_product", "video", "article", "member_benefit", "styling", "poll",
    "floor_contest", "product_review", "buyer_show", "live", "coupon",
)


@lru_cache(maxsize=1)
def all_schemas() -> dict[str, dict[str, Any]]:
    """Every schema keyed by its path relative to the schema folder, without ``.json``."""
    found = {}
    for path in sorted(SCHEMA_DIR.rglob("*.json")):
        if "examples" in path.parts:
            continue
        found[path.relative_to(SCHEMA_DIR).with_suffix("").as_posix()] = json.loads(path.read_text("utf-8"))
    return found


@lru_cache(maxsize=1)
def _registry() -> Registry:
    return Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in all_schemas().values()
    )


def _is_integer(_checker: Any, instance: Any) -> bool:
    # jsonschema counts 1.0 as an integer; a float reaching the code as an index is a 500.
    return isinstance(instance, int) and not isinstance(instance, bool)


def _canonical(item: Any) -> Any:
    """A hashable form under which two JSON values are equal exactly when JSON Schema says so."""
    if isinstance(item, bool) or item is None or isinstance(item, str):
        return (type(item).__name__, item)
    if isinstance(item, (int, float)):
        return ("number", item)  # 1 == 1.0 in Python and in JSON Schema
    if isinstance(item, list):
        return ("array", tuple(_canonical(i) for i in item))
    return ("object", frozenset((k, _canonical(v)) for k, v in item.items()))


def _unique_items(validator: Any, unique: bool, instance: Any, schema: dict[str, Any]) -> Any:
    """``uniqueItems`` in linear time (jsonschema compares every pair of objects)."""
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[Any] = set()
    for item in instance:
        key = _canonical(item)
        if key in seen:
            yield ValidationError("has non-unique elements")
            return
        seen.add(key)


@cache
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with ECMA-262's ``$``: the end of the string, never before a final newline.

    JSON Schema patterns are ECMA regexes, but jsonschema runs them with Python's
    ``re.search``, where ``$`` also matches before a trailing ``\\n``: ``^[a-z]+$``
    would let ``"shop\\n"`` through. Every ``$`` outside a character class becomes ``\\Z``.
    """
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == "[":
            in_class = True
            out.append(char)
        elif char == "]":
            in_class = False
            out.append(char)
        else:
            out.append("\\Z" if char == "$" and not in_class else char)
    return re.compile("".join(out))


def _pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Any:
    if validator.is_type(instance, "string") and not ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance[:80]!r} does not match {pattern!r}")


SafeValidator = validators.extend(
    Draft202012Validator, validators={"uniqueItems": _unique_items, "pattern": _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer))


@cache
def _validator(name: str) -> Any:
    return SafeValidator(all_schemas()[name], registry=_registry(), format_checker=FormatChecker())


def _pointer(path: Any) -> str:
    return "".join(pointer_step(part) for part in path)


def _details(error: ValidationError) -> list[dict[str, str]]:
    """One detail per offending field; combinators are unwrapped to their leaves."""
    if error.validator in ("allOf", "anyOf", "oneOf", "if", "then") and error.context:
        leaves = [leaf for sub in error.context for leaf in _details(sub)]
        if leaves and error.validator != "oneOf":
            return leaves
    pointer = _pointer(error.absolute_path)
    if error.validator == "required":
        missing = re.match(r"'([^']+)'", error.message)
        if missing:
            return [{"pointer": f"{pointer}/{missing.group(1)}", "message": "is required"}]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        # From the instance, not the message: a key may be empty or hold quotes.
        allowed = error.schema.get("properties", {})
        return [{"pointer": pointer + pointer_step(name), "message": "is not an allowed field"}
                for name in error.instance if name not in allowed]
    if error.validator == "oneOf" and error.schema.get("description"):
        return [{"pointer": pointer, "message": error.schema["description"]}]
    if error.validator == "pattern" and "https" in str(error.schema.get("pattern", "")):
        return [{"pointer": pointer, "message": "must be an https URL"}]
    return [{"pointer": pointer, "message": error.message[:200]}]  # messages echo the value


def validate(name: str, document: Any, what: str = "request body") -> dict[str, Any]:
    """Validate ``document`` against schema ``name``; raise :class:`InvalidInput` naming every bad field."""
    errors = sorted(_validator(name).iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        details: list[dict[str, str]] = []
        for error in errors:
            for detail in _details(error):
                if detail not in details:
                    details.append(detail)
        fields = ", ".join(d["pointer"] or "/" for d in details[:5])
        raise InvalidInput(f"{what} is invalid: {fields}", details=details)
    return document


def validate_post(document: Any) -> dict[str, Any]:
    """Validate a post body against the schema of its ``type``."""
    if not isinstance(document, dict):
        raise InvalidInput("post must be a JSON object", details=[{"pointer": "", "message": "must be an object"}])
    post_type = document.get("type")
    if post_type not in POST_TYPES:
        raise InvalidInput(
            "unknown post type",
            details=[{"pointer": "/type", "message": f"must be one of {', '.join(POST_TYPES)}"}],
        )
    return validate(f"posts/{post_type}", document, what=f"{post_type} post")
