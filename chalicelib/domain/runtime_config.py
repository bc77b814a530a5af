"""Run-time configuration: the documents moderators and operators change without a deploy.

Three documents, each with the role that may read and change it, a JSON schema
(``schemas/config/<name>.json``) and a default: the bundled data file it replaces.

- ``banned_words`` (moderator): the banned_words hook's lists (``data/banned_words.json``).
- ``spam`` (operator): the spam hook's settings (the ``spam`` entry of ``data/moderation.json``).
- ``hot_list`` (operator): the hot-list score's constants (``data/hot_list.json`` without
  ``bucket_shards``: the bucket layout posts are filed under is storage, not a setting).

A stored document has a version (1, 2, ...); the default is version 0. A change names the
version it replaces (``If-Match``), so two editors cannot overwrite each other unseen.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

from chalicelib.domain.data_files import data_file
from chalicelib.domain.moderation.chain import moderation_config
from chalicelib.domain.ranking import HotListConfig

BANNED_WORDS, SPAM, HOT_LIST = "banned_words", "spam", "hot_list"
# Who may read and change each document.
ROLE_OF = {BANNED_WORDS: "moderator", SPAM: "operator", HOT_LIST: "operator"}
CATEGORY_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_VERSION = re.compile(r'(?:W/)?"?([0-9]{1,12})"?')
MAX_SPELLINGS_PER_WORD = 1000
# How long a function keeps a document before reading the store again: a change reaches every function within this.
CACHE_TTL_S = 60


def _without_comment(raw: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in raw.items() if key != "_comment"}


@lru_cache(maxsize=len(ROLE_OF))
def _default_json(name: str) -> str:
    if name == BANNED_WORDS:
        document = _without_comment(data_file("banned_words.json"))
    elif name == SPAM:
        document = next(e for e in moderation_config()["chain"] if e["hook"] == SPAM)["settings"]
    else:
        raw = _without_comment(data_file("hot_list.json"))
        document = {key: value for key, value in raw.items() if key != "bucket_shards"}
    return json.dumps(document, ensure_ascii=False)


def default_document(name: str) -> dict[str, Any]:
    """The bundled default of ``name`` (a fresh copy: callers may change it)."""
    document: dict[str, Any] = json.loads(_default_json(name))
    return document


def parse_if_match(value: str | None) -> int | None:
    """The version an ``If-Match`` header names (``3``, ``"3"`` or ``W/"3"``); None when absent.

    Raises
    ------
    ValueError
        When the header is there but names no version.

    Examples
    --------
    >>> parse_if_match('"3"'), parse_if_match("0"), parse_if_match(None)
    (3, 0, None)
    """
    if value is None:
        return None
    found = _VERSION.fullmatch(value.strip())
    if found is None:
        raise ValueError("If-Match must be the document's version, e.g. 3 or \"3\"")
    return int(found.group(1))


def document_problems(name: str, document: dict[str, Any]) -> list[dict[str, str]]:
    """What a schema cannot say about a document: field-level problems (JSON pointers into it).

    For ``banned_words``: a category name that is not a reason code, a word naming a
    variant group the document does not define, a pattern that is not a regular expression.

    Examples
    --------
    >>> document_problems("banned_words", {"categories": {"Fraud!": {"message": "m", "words": []}}})
    [{'pointer': '/categories/Fraud!', 'message': 'a category name is a reason code: a-z, 0-9 and _ (at most 40)'}]
    """
    if name != BANNED_WORDS:
        return []
    problems = []
    categories = document.get("categories")
    raw_variants = document.get("variants")
    variants: dict[str, Any] = raw_variants if isinstance(raw_variants, dict) else {}
    for category, spec in (categories.items() if isinstance(categories, dict) else ()):
        where = "/categories/" + category.replace("~", "~0").replace("/", "~1")
        if not CATEGORY_NAME.fullmatch(category):
            problems.append({"pointer": where,
                             "message": "a category name is a reason code: a-z, 0-9 and _ (at most 40)"})
        if not isinstance(spec, dict):
            continue
        for i, word in enumerate(spec.get("words") or []):
            groups = re.findall(r"\{(\w+)\}", str(word))
            unknown = [n for n in groups if n not in variants]
            if unknown:
                problems.append({"pointer": f"{where}/words/{i}",
                                 "message": f"names variant group(s) {', '.join(unknown)}, which 'variants' lacks"})
                continue
            spellings = math.prod(len(variants[n]) if isinstance(variants[n], list) else 1 for n in groups)
            if spellings > MAX_SPELLINGS_PER_WORD:
                # Every combination is compiled: a few groups in one word would multiply past any bound.
                problems.append({"pointer": f"{where}/words/{i}",
                                 "message": f"stands for {spellings} spellings; at most {MAX_SPELLINGS_PER_WORD}"})
        for i, pattern in enumerate(spec.get("patterns") or []):
            try:
                re.compile(str(pattern.get("regex", "")) if isinstance(pattern, dict) else "")
            except re.error as error:
                problems.append({"pointer": f"{where}/patterns/{i}/regex",
                                 "message": f"is not a regular expression: {error}"})
    return problems


def hot_list_config_from(document: dict[str, Any], bucket_shards: int) -> HotListConfig:
    """The ranking constants of a (valid) ``hot_list`` document, with the bucket layout it cannot change."""
    return HotListConfig(window_hours=float(document["window_hours"]),
                         half_life_hours=float(document["half_life_hours"]),
                         weights={k: float(v) for k, v in document["weights"].items()},
                         preferred_store_boost=float(document["preferred_store_boost"]),
                         size=int(document["size"]), bucket_shards=bucket_shards)
