"""Opaque ids that sort by creation time (ULID layout: 48-bit ms time + 80 random bits)."""

from __future__ import annotations

import hashlib
import os
from datetime import datetime

from chalicelib.domain.clock import epoch_millis

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(at: datetime) -> str:
    """A 26-character id whose lexical order is the order of ``at``."""
    millis = epoch_millis(at)
    return _encode(millis, 10) + _encode(int.from_bytes(os.urandom(10), "big"), 16)


def derived_id(at: datetime, seed: str) -> str:
    """Like :func:`new_id`, but the same for the same ``at`` and ``seed`` (a retried create makes one item)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return _encode(epoch_millis(at), 10) + _encode(int.from_bytes(digest[:10], "big"), 16)
