"""Bounds on the shape of a JSON body, checked before its schema.

Schema validation is not cheap on hostile shapes: jsonschema's ``uniqueItems``
compares every pair of items (and still runs after ``maxItems`` failed), and every
extra level, key or item is more work and a larger error list. One linear walk
refuses what no request of this API needs, whatever the route: deep nesting, huge
arrays or objects, long keys or strings, text that is not valid Unicode. The bounds
are generous (the largest lists the API takes hold 500 items); the schema then says
what each route really accepts.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 16
MAX_ITEMS = 1000
MAX_KEYS = 100
MAX_KEY_CHARS = 128
MAX_STRING_CHARS = 100_000
MAX_NODES = 20_000


def pointer_step(key: Any) -> str:
    """One JSON pointer step for ``key``, always encodable: a lone surrogate is spelt ``\\udfff``."""
    text = str(key).encode("utf-8", "backslashreplace").decode("utf-8")
    return "/" + text.replace("~", "~0").replace("/", "~1")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shape_problem(document: Any) -> tuple[str, str] | None:
    """The JSON pointer and the reason of the first bound ``document`` breaks, or None.

    Iterative (a parsed body may be nested as deep as the parser allows) and linear in
    the size of the document.

    Examples
    --------
    >>> shape_problem({"a": [1, 2]}) is None
    True
    >>> shape_problem({"\\udfff": 1})
    ('/\\\\udfff', 'is not valid Unicode (a lone surrogate)')
    """
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    nodes = 0
    while stack:
        node, pointer, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            return "", f"has more than {MAX_NODES} values in all"
        if isinstance(node, str):
            if len(node) > MAX_STRING_CHARS:
                return pointer, f"is longer than {MAX_STRING_CHARS} characters"
            if not _encodable(node):
                return pointer, "is not valid Unicode (a lone surrogate)"
            continue
        if not isinstance(node, (dict, list)):
            continue
        if depth >= MAX_DEPTH:
            return pointer, f"is nested deeper than {MAX_DEPTH} levels"
        if isinstance(node, list):
            if len(node) > MAX_ITEMS:
                return pointer, f"has more than {MAX_ITEMS} items"
            stack.extend((item, f"{pointer}/{index}", depth + 1) for index, item in enumerate(node))
            continue
        if len(node) > MAX_KEYS:
            return pointer, f"has more than {MAX_KEYS} fields"
        for key, value in node.items():
            step = pointer + pointer_step(key)
            if len(key) > MAX_KEY_CHARS:
                return step, f"is a field name longer than {MAX_KEY_CHARS} characters"
            if not _encodable(key):
                return step, "is not valid Unicode (a lone surrogate)"
            stack.append((value, step, depth + 1))
    return None
