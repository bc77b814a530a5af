"""Opaque list cursors bound to the list they page.

A cursor holds the position to resume from plus a digest of its *scope*: the route,
the caller and the filters of the list that issued it. Decoding checks the scope, so
a cursor used on another list, by another caller or with other filters is a 400 that
names ``/cursor``. Position fields that are key attributes fixed by the request (the
partition a page is read from: ``user_id`` of ``/me/following``, ``account_id`` of a
follower list...) are never taken from the token: they are left out of it and filled
in from the scope, so nothing a client sends can point DynamoDB at another partition.
A cursor a client altered or made up is refused with a 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.errors import InvalidInput

_BAD = InvalidInput("cursor is not valid",
                    details=[{"pointer": "/cursor", "message": "is not a cursor from this list"}])
_FOREIGN = InvalidInput("cursor is from another list, caller or filter",
                        details=[{"pointer": "/cursor", "message": "was issued for another list, caller or filter"}])


@dataclass(frozen=True)
class CursorScope:
    """What a cursor is good for: one route, one caller, one set of filters and key attributes."""

    route: str
    caller: str
    bound: tuple[tuple[str, str], ...] = ()

    @property
    def pinned(self) -> dict[str, str]:
        return dict(self.bound)

    @property
    def digest(self) -> str:
        raw = json.dumps([self.route, self.caller, sorted(self.bound)], ensure_ascii=False, separators=(",", ":"))
        return base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest()[:12]).decode()


def cursor_scope(route: str, caller: str, **bound: str | None) -> CursorScope:
    """The scope of a list: ``bound`` holds its filters and the key attributes the request fixes.

    A position field named like a ``bound`` entry takes that entry's value on decode.
    """
    return CursorScope(route, caller, tuple(sorted((k, v or "") for k, v in bound.items())))


def encode_cursor(position: Mapping[str, str], scope: CursorScope) -> str:
    pinned = scope.pinned
    payload = {"s": scope.digest, "p": {k: v for k, v in position.items() if k not in pinned}}
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str | None, fields: tuple[str, ...], scope: CursorScope) -> dict[str, str] | None:
    """The position in ``token`` (exactly ``fields``, non-empty strings), if it was issued for ``scope``."""
    if token is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload: Any = json.loads(raw.decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _BAD from None
    if not isinstance(payload, dict) or set(payload) != {"s", "p"} or not isinstance(payload["p"], dict):
        raise _BAD
    if payload["s"] != scope.digest:
        raise _FOREIGN
    pinned = scope.pinned
    position: dict[str, Any] = payload["p"]
    if (set(position) != {f for f in fields if f not in pinned}
            or not all(isinstance(v, str) and 0 < len(v) <= 512 for v in position.values())):
        raise _BAD
    return {f: pinned[f] if f in pinned else position[f] for f in fields}


def cursor_int(position: dict[str, str], field: str) -> int:
    """An integer field of a decoded cursor: ASCII digits that fit a DynamoDB number; 400 otherwise."""
    raw = position[field]
    # isdigit() alone accepts "¹", which int() refuses; DynamoDB numbers keep 38 digits.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        raise _BAD
    return int(raw)


def refuse_cursor() -> InvalidInput:
    """The 400 for a position that decoded but cannot be in this list (outside its key range)."""
    return _BAD


def parse_limit(raw: str | None, default: int = 20, maximum: int = 100) -> int:
    """The ``limit`` query parameter: an integer from 1 to ``maximum``."""
    if raw is None:
        return default
    # isdigit() alone accepts "¹" and "٣", and int() refuses digit strings over 4,300 long.
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not 1 <= int(raw) <= maximum:
        raise InvalidInput(f"limit must be an integer from 1 to {maximum}",
                           details=[{"pointer": "/limit", "message": f"must be an integer from 1 to {maximum}"}])
    return int(raw)
