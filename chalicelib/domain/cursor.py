"""Opaque list cursors: the position to resume from, base64url-encoded JSON.

A cursor a client altered or made up is refused with a 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib.domain.errors import InvalidInput

_BAD = InvalidInput("cursor is not valid",
                    details=[{"pointer": "/cursor", "message": "is not a cursor from this list"}])


def encode_cursor(position: dict[str, str]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None, fields: tuple[str, ...]) -> dict[str, str] | None:
    """The position in ``token``, which must hold exactly ``fields`` as non-empty strings."""
    if token is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        position: Any = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _BAD from None
    if (not isinstance(position, dict) or set(position) != set(fields)
            or not all(isinstance(v, str) and 0 < len(v) <= 512 for v in position.values())):
        raise _BAD
    return position


def cursor_int(position: dict[str, str], field: str) -> int:
    """An integer field of a decoded cursor: ASCII digits that fit a DynamoDB number; 400 otherwise."""
    raw = position[field]
    # isdigit() alone accepts "¹", which int() refuses; DynamoDB numbers keep 38 digits.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise _BAD
    return int(raw)


def parse_limit(raw: str | None, default: int = 20, maximum: int = 100) -> int:
    """The ``limit`` query parameter: an integer from 1 to ``maximum``."""
    if raw is None:
        return default
    # isdigit() alone accepts "¹" and "٣", and int() refuses digit strings over 4,300 long.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not 1 <= int(raw) <= maximum:
        raise InvalidInput(f"limit must be an integer from 1 to {maximum}",
                           details=[{"pointer": "/limit", "message": f"must be an integer from 1 to {maximum}"}])
    return int(raw)
