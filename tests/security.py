"""Given-steps for the adversarial tests: who calls (good and bad tokens) and a world to attack.

A :class:`World` is one owner's account with a published post, a poll, a scheduled
draft and a post still waiting for moderation, a fan in a fan group, and four real
callers (the owner, another user, a moderator, an operator) plus five callers whose
token must not work (none, expired, forged signature, ``alg: none``, a real token
whose claims were edited). Every world has fresh ids, so many worlds share one moto.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import jwt

from chalicelib.auth import issue_dev_token
from chalicelib.config import settings
from chalicelib.domain import clock
from tests.flows import article, new_account, publish

BAD_TOKENS = ("anonymous", "expired", "forged", "alg_none", "tampered")
USERS = ("stranger", "owner", "moderator", "operator")
IDENTITIES = BAD_TOKENS + USERS
ROLES = {"stranger": [], "owner": [], "moderator": ["moderator"], "operator": ["operator"]}
# What a bad token claims to be: the owner with every role, the most it could win.
GREEDY_ROLES = ["moderator", "operator"]

_worlds = itertools.count(1)


def _b64(part: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")


def bad_token(kind: str, sub: str, real_token_of_someone_else: str) -> str | None:
    """A token that must get a 401: it claims ``sub`` with every role but proves nothing."""
    now = int(time.time())
    claims = {"sub": sub, "roles": GREEDY_ROLES, "iat": now, "exp": now + 3600}
    if kind == "anonymous":
        return None
    if kind == "expired":
        return jwt.encode({**claims, "iat": now - 7200, "exp": now - 60}, settings.jwt_secret, algorithm="HS256")
    if kind == "forged":
        return jwt.encode(claims, "not-the-secret-" + settings.jwt_secret[::-1], algorithm="HS256")
    if kind == "alg_none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    if kind == "tampered":
        header, _, signature = real_token_of_someone_else.split(".")
        return f"{header}.{_b64(claims)}.{signature}"
    raise ValueError(kind)


@dataclass
class World:
    """One owner's things and everyone who may or may not touch them."""

    n: int
    users: dict[str, str]
    tokens: dict[str, str | None]
    account_id: str
    stranger_account_id: str
    published_id: str
    draft_id: str
    pending_id: str
    group: str
    fan: str
    marker: str
    label: str = "preferred_store"
    other_group: str = "new-fans"
    month: str = "2024-05"
    # Run-time configuration documents (GET/PUT /ops/config/{name}): the moderators' and the operators'.
    config_name: str = "banned_words"
    spam_config: str = "spam"
    hot_list_config: str = "hot_list"
    # Each secret and the identities that may see it; no one else may ever get it back.
    secrets: dict[str, frozenset[str]] = field(default_factory=dict)

    def headers(self, identity: str) -> dict[str, str]:
        token = self.tokens[identity]
        return {"Authorization": f"Bearer {token}"} if token else {}

    def leaks(self, identity: str, sent: str, received: str) -> list[str]:
        """Secrets in ``received`` that ``identity`` may not see (echoes of what it ``sent`` excepted)."""
        return [secret for secret, entitled in self.secrets.items()
                if identity not in entitled and secret not in sent and secret in received]

    def value(self, name: str) -> str:
        return str(getattr(self, name))


def given_worlds(api: Any, run_workers: Any, count: int) -> list[World]:
    """Build ``count`` fresh worlds through the API, with one drain of the queues for all of them.

    The poll is published; the draft (scheduled) and the pending post stay private.
    """
    started = [_start_world(api) for _ in range(count)]
    run_workers()
    return [_finish_world(api, *parts) for parts in started]


def _start_world(api: Any) -> tuple[int, dict[str, str], dict[str, Any], dict[str, Any], dict[str, Any]]:
    n = next(_worlds)
    users = {"owner": f"owner-{n}", "stranger": f"stranger-{n}", "moderator": f"mod-{n}", "operator": f"op-{n}"}
    account = new_account(api, users["owner"], fan_nickname="米粉")
    other = new_account(api, users["stranger"])
    account_id = account["account_id"]
    assert api.as_user(f"fan-{n}-x7").put(f"/me/following/{account_id}").status == 200
    added = api.as_user(users["owner"]).put(f"/accounts/{account_id}/groups/vip{n}q/members/fan-{n}-x7")
    assert added.status == 200, added
    # The published post is a poll, so votes have something to vote on. W1 publishes 3 a day:
    # the poll and the pending post leave one for the route under test; the draft counts on its day.
    published = publish(api, users["owner"], account_id, {
        "type": "poll", "format": "nine_grid", "text": f"选颜色 {n}", "images": ["https://img.example.com/p.jpg"],
        "poll": {"question": "哪个颜色？", "options": ["蓝", "白"],
                 "closes_at": clock.rfc3339(clock.now() + timedelta(days=7))}})
    return n, users, account, other, published


def _finish_world(api: Any, n: int, users: dict[str, str], account: dict[str, Any], other: dict[str, Any],
                  published: dict[str, Any]) -> World:
    fan, group, marker = f"fan-{n}-x7", f"vip{n}q", f"未公开-{n}-zq"
    account_id = account["account_id"]
    draft = publish(api, users["owner"], account_id, {
        **article(f"下周上新预告 {marker}"), "publish_at": clock.rfc3339(clock.now() + timedelta(days=2))})
    pending = publish(api, users["owner"], account_id, article(f"待审核 {marker}"))
    assert draft["status"] == "scheduled" and pending["status"] == "pending_review", (draft, pending)
    tokens: dict[str, str | None] = {who: issue_dev_token(user, ROLES[who]) for who, user in users.items()}
    for kind in BAD_TOKENS:
        tokens[kind] = bad_token(kind, users["owner"], tokens["stranger"] or "")
    staff = frozenset({"owner", "moderator"})
    return World(
        n=n, users=users, tokens=tokens, account_id=account_id, stranger_account_id=other["account_id"],
        published_id=published["post_id"], draft_id=draft["post_id"],
        pending_id=pending["post_id"], group=group, fan=fan, marker=marker,
        secrets={marker: staff, draft["post_id"]: staff, pending["post_id"]: staff,
                 fan: frozenset({"owner"}), group: frozenset({"owner"})},
    )


def texts(*parts: Iterable[Any] | Any) -> str:
    """Everything a caller sent, as one string, to tell echoes from leaks."""
    return " ".join(json.dumps(p, ensure_ascii=False) if not isinstance(p, str) else p for p in parts)
