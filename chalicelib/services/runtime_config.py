"""Run-time configuration: the routes' reads and versioned writes, and the live documents every function uses.

The routes read the store directly (an editor sees what is stored). Everything else
reads through :func:`live`: a per-container cache of each document, refreshed from the
store once it is :data:`~chalicelib.domain.runtime_config.CACHE_TTL_S` old on the
platform clock, so a change reaches every function within a minute. Nothing stored
means the bundled default. The moderation hooks and the hot-list ranking each read
their document through one function: :func:`live_banned_words`, :func:`live_spam_rules`,
:func:`live_hot_list_config`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.auth import Principal
from chalicelib.domain import clock
from chalicelib.domain.errors import InvalidInput, NotFound, PreconditionFailed, PreconditionRequired
from chalicelib.domain.ranking import HotListConfig, hot_list_config
from chalicelib.domain.runtime_config import (
    BANNED_WORDS,
    CACHE_TTL_S,
    HOT_LIST,
    ROLE_OF,
    SPAM,
    default_document,
    document_problems,
    hot_list_config_from,
    parse_if_match,
)
from chalicelib.observability import logger
from chalicelib.store import audit
from chalicelib.store import runtime_config as store
from chalicelib.validation import validate

AUDIT_ACTION = "config_change"


@dataclass(frozen=True)
class LiveConfig:
    """A document as a function uses it, and when this container read it."""

    name: str
    version: int
    document: dict[str, Any]
    read_at: datetime


_cache: dict[str, LiveConfig] = {}


def trail_key(name: str) -> str:
    """The audit trail's key for a document's changes (``GET /moderation/audit?account_id=config:<name>``)."""
    return f"config:{name}"


def current(name: str) -> store.StoredConfig:
    """What is stored for ``name`` now, or its default as version 0."""
    return store.stored(name) or store.StoredConfig(name, 0, default_document(name))


def live(name: str) -> LiveConfig:
    """The document ``name`` as of at most a minute ago (a clock that moved back counts as expired)."""
    now = clock.now()
    cached = _cache.get(name)
    if cached is not None and 0 <= (now - cached.read_at).total_seconds() < CACHE_TTL_S:
        return cached
    stored = current(name)
    fresh = LiveConfig(name, stored.version, stored.document, now)
    if cached is None or cached.version != fresh.version:
        logger.info("run-time configuration loaded", config=name, version=fresh.version)
    _cache[name] = fresh
    return fresh


def forget_cached() -> None:
    """Drop every cached document (tests start from a fresh container)."""
    _cache.clear()


def live_banned_words() -> LiveConfig:
    """The banned_words hook's lists."""
    return live(BANNED_WORDS)


def live_spam_rules() -> LiveConfig:
    """The spam hook's settings."""
    return live(SPAM)


def live_hot_list_config() -> HotListConfig:
    """The hot-list ranking's constants (the bucket layout always from the bundled file)."""
    return hot_list_config_from(live(HOT_LIST).document, hot_list_config().bucket_shards)


def _authorize(principal: Principal, name: str) -> None:
    if name not in ROLE_OF:
        raise NotFound(f"no run-time configuration named {name[:64]!r}; there are {', '.join(ROLE_OF)}")
    principal.require(ROLE_OF[name])


def view(current: store.StoredConfig) -> dict[str, Any]:
    return {"name": current.name, "version": current.version, "document": current.document}


def get_config(principal: Principal, name: str) -> dict[str, Any]:
    """The stored document of ``name`` (or its default, version 0)."""
    _authorize(principal, name)
    return view(current(name))


def _refuse(name: str, problems: list[dict[str, Any]]) -> None:
    """A 400 naming each bad field by its pointer in the request body (under ``/document``)."""
    if problems:
        details = [{**p, "pointer": "/document" + p["pointer"]} for p in problems]
        raise InvalidInput(f"{name} document is invalid: {', '.join(d['pointer'] for d in details[:5])}",
                           details=details)


def put_config(principal: Principal, name: str, body: Any, if_match: str | None) -> dict[str, Any]:
    """Store a new version of ``name``, replacing the version ``If-Match`` names, with its audit entry.

    The body is checked before the version, so a bad document is a 400 whatever the header says.
    """
    _authorize(principal, name)
    document = validate("config_update", body)["document"]
    try:
        validate(f"config/{name}", document, what=f"{name} document")
    except InvalidInput as error:
        _refuse(name, error.details)
    _refuse(name, document_problems(name, document))
    try:
        expected = parse_if_match(if_match)
    except ValueError as error:
        raise InvalidInput(str(error), details=[{"pointer": "/headers/If-Match", "message": str(error)}]) from None
    if expected is None:
        raise PreconditionRequired("send If-Match with the version you read (GET this document first)",
                                   details=[{"pointer": "/headers/If-Match", "message": "is required"}])
    now = clock.now()
    new_version = expected + 1
    entry = audit.audit_entry(trail_key(name), AUDIT_ACTION, principal.user_id,
                              f"{name} version {expected} → {new_version}", now,
                              details={"name": name, "old_version": expected, "new_version": new_version})
    if not store.replace(name, expected, document, principal.user_id, now, entry):
        now_at = current(name).version
        raise PreconditionFailed(f"{name} is at version {now_at}, not {expected}: read it again and reapply your "
                                 "change", details=[{"pointer": "/headers/If-Match",
                                                     "message": f"current version is {now_at}"}])
    logger.info("run-time configuration changed", config=name, old_version=expected, new_version=new_version,
                actor=principal.user_id)
    return view(store.StoredConfig(name, new_version, document))
