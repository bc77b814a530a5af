"""Names people give accounts: what counts as visible text, and what fits the search index.

A display name is stored as typed but indexed in its NFKC, case-folded form, and NFKC
can grow a string many times (U+FDFA becomes 18 characters). The limit that matters is
that of the indexed form in DynamoDB's sort key (1,024 bytes), so it is checked on that
form, before anything is written.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from chalicelib.domain.errors import InvalidInput

# Control, format (zero-width, bidi), surrogate, private-use and unassigned code points,
# and separators: none of them shows a glyph.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
# Letters that render as blanks (Hangul fillers, the braille blank).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
MAX_INDEXED_NAME_BYTES = 512  # of the normalised form; the index key adds the account id
NAME_FIELDS = ("display_name", "fan_nickname", "category")


def normalise_term(text: str) -> str:
    """Case- and width-insensitive form of a search term (ＡＢＣ == abc)."""
    return unicodedata.normalize("NFKC", text).casefold().strip()


def is_blank(text: str) -> bool:
    """True when ``text`` shows nothing: only spaces, controls, zero-width or other invisible characters.

    Examples
    --------
    >>> is_blank("\\u200b\\u200d \\u0007"), is_blank("米粉\\u200b")
    (True, False)
    """
    return all(unicodedata.category(ch) in _INVISIBLE_CATEGORIES or ch in _BLANK_LETTERS
               or unicodedata.category(ch) == "Mn" for ch in text)


def check_account_names(changes: dict[str, Any]) -> None:
    """Refuse names that show nothing or whose indexed form is too long, naming each field.

    Raises
    ------
    InvalidInput
        With one detail per bad field (``/display_name``, ``/fan_nickname``, ``/category``).
    """
    details = [{"pointer": f"/{name}", "message": "must contain visible characters"}
               for name in NAME_FIELDS if isinstance(changes.get(name), str) and is_blank(changes[name])]
    name = changes.get("display_name")
    if isinstance(name, str) and len(normalise_term(name).encode("utf-8")) > MAX_INDEXED_NAME_BYTES:
        details.append({"pointer": "/display_name",
                        "message": f"is too long once normalised (NFKC) for search: at most "
                                   f"{MAX_INDEXED_NAME_BYTES} UTF-8 bytes"})
    if details:
        raise InvalidInput(f"account names are invalid: {', '.join(d['pointer'] for d in details)}",
                           details=details)
