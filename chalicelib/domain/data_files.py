"""The JSON files bundled in ``chalicelib/data`` (rules and defaults): the one place that reads them."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@lru_cache(maxsize=16)
def _text(name: str) -> str:
    return (DATA_DIR / name).read_text(encoding="utf-8")


def data_file(name: str) -> dict[str, Any]:
    """``chalicelib/data/<name>`` parsed, a fresh copy each call (the file is read once per process)."""
    document: dict[str, Any] = json.loads(_text(name))
    return document
