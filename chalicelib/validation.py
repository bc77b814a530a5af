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

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

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


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(all_schemas()[name], registry=_registry(), format_checker=FormatChecker())


def _pointer(path: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


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
    if error.validator == "additionalProperties":
        extras = re.findall(r"'([^']+)'", error.message.split("(")[-1])
        return [{"pointer": f"{pointer}/{name}", "message": "is not an allowed field"} for name in extras]
    if error.validator == "oneOf" and error.schema.get("description"):
        return [{"pointer": pointer, "message": error.schema["description"]}]
    if error.validator == "pattern" and "https" in str(error.schema.get("pattern", "")):
        return [{"pointer": pointer, "message": "must be an https URL"}]
    return [{"pointer": pointer, "message": error.message}]


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
