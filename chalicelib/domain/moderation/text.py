"""Text normalisation shared by the hooks: width, case, and separators between characters."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """NFKC (full-width → half-width), case-folded."""
    return unicodedata.normalize("NFKC", text).casefold()


def squeeze(text: str) -> str:
    """:func:`fold`, then drop spaces, punctuation and symbols (so 加 微-信 reads 加微信)."""
    return "".join(ch for ch in fold(text) if unicodedata.category(ch)[0] in ("L", "N"))
