"""Who may call each route: one table, one row per route of API.md.

The authorization matrix, mass-assignment and hostile-parameter tests take their routes from the
``ENDPOINTS`` registry (so a new route is covered the moment it is declared) and
their expectations from :data:`ROUTES`. A route without a row fails loudly: add one.

A row says which of the four real callers succeed (2xx); everyone else must be
denied (401 for a bad token, 403 or 404 for a real user) and must never get back a
secret of the world (see tests/security.py). Path parameters name :class:`World`
attributes (defaults in :data:`PATH_DEFAULTS`); ``body`` builds a valid body, since a
body that fails validation would prove nothing about authorization.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.flows import article
from tests.security import IDENTITIES, USERS, World

PUBLIC = frozenset(IDENTITIES)
ANY_USER = frozenset(USERS)
OWNER = frozenset({"owner"})
OWNER_OR_MODERATOR = frozenset({"owner", "moderator"})
MODERATOR = frozenset({"moderator"})
OPERATOR = frozenset({"operator"})

PATH_DEFAULTS = {"account_id": "account_id", "post_id": "draft_id", "user_id": "fan", "group": "group",
                 "label": "label", "month": "month"}

_handles = itertools.count(1)


@dataclass(frozen=True)
class Rule:
    """Who succeeds on a route, and how to call it well."""

    allow: frozenset[str]
    params: Mapping[str, str] = field(default_factory=dict)
    body: Callable[[World], Any] | None = None
    query: str = ""
    given: Callable[[Any, World], None] | None = None


def _new_account(world: World) -> dict[str, Any]:
    return {"handle": f"acct{world.n}_{next(_handles)}", "display_name": "新店", "kind": "merchant",
            "category": "美妆"}


def _hold_for_review(post_id: str) -> None:
    """Hold a post for review, as the moderation chain does with a ``review`` verdict."""
    from chalicelib.domain import clock
    from chalicelib.store.posts import PostModel, queue_time

    PostModel(post_id).update(actions=[PostModel.queue.set("review"), PostModel.queue_at.set(queue_time(clock.now()))])


ROUTES: dict[str, Rule] = {
    "GET /health": Rule(PUBLIC),
    "GET /openapi.json": Rule(PUBLIC),
    "GET /docs": Rule(PUBLIC),
    "GET /docs/swagger-ui-bundle.js": Rule(PUBLIC),
    "GET /docs/swagger-ui.css": Rule(PUBLIC),
    # Accounts
    "POST /accounts": Rule(ANY_USER, body=_new_account),
    "GET /accounts": Rule(ANY_USER, query="q=shop"),
    "GET /accounts/{account_id}": Rule(ANY_USER),
    "PATCH /accounts/{account_id}": Rule(OWNER, body=lambda w: {"bio": "新简介"}),
    "PUT /accounts/{account_id}/labels/{label}": Rule(OPERATOR),
    "DELETE /accounts/{account_id}/labels/{label}": Rule(OPERATOR),
    # Following and fan groups
    "PUT /me/following/{account_id}": Rule(ANY_USER - OWNER),  # an owner may not follow their own account
    "DELETE /me/following/{account_id}": Rule(ANY_USER),
    "GET /me/following": Rule(ANY_USER),
    "GET /accounts/{account_id}/followers": Rule(OWNER),
    "PUT /accounts/{account_id}/groups/{group}/members/{user_id}": Rule(OWNER, params={"group": "other_group"}),
    "DELETE /accounts/{account_id}/groups/{group}/members/{user_id}": Rule(OWNER),
    # Posts: the default post is the scheduled draft, which only its owner and moderators see.
    "POST /accounts/{account_id}/posts": Rule(OWNER, body=lambda w: article("新品测评")),
    "GET /posts/{post_id}": Rule(OWNER_OR_MODERATOR),
    "GET /accounts/{account_id}/posts": Rule(ANY_USER),
    "DELETE /posts/{post_id}": Rule(OWNER_OR_MODERATOR),
    # Home feed
    "GET /me/feed": Rule(ANY_USER),
    # Moderation: the decision acts on the world's pending post, held for review first.
    "GET /moderation/queue": Rule(MODERATOR),
    "POST /moderation/posts/{post_id}/decision": Rule(MODERATOR, params={"post_id": "pending_id"},
                                                      body=lambda w: {"decision": "approve"},
                                                      given=lambda api, w: _hold_for_review(w.pending_id)),
    "PUT /moderation/accounts/{account_id}/blackroom": Rule(MODERATOR, body=lambda w: {"reason": "引流站外"}),
    "DELETE /moderation/accounts/{account_id}/blackroom": Rule(MODERATOR),
    "GET /moderation/accounts/{account_id}/strikes": Rule(MODERATOR),
    "GET /moderation/audit": Rule(MODERATOR, query="actor=system"),
}


def _approved_buyer_show(api: Any, world: World) -> None:
    """A buyer show sent to the world's account by a buyer (not the world's fan), approved by moderation.

    Moderation runs for this post alone: draining the queues would publish the worlds' pending posts.
    """
    from chalicelib.services.pipeline import moderate_post

    sent = api.as_user(f"buyer-{world.n}").post(f"/accounts/{world.account_id}/buyer-shows", _buyer_show(world))
    assert sent.status == 202, sent
    assert moderate_post(sent.json["post_id"]) == "published"
    world.buyer_show_id = sent.json["post_id"]  # type: ignore[attr-defined]


def _buyer_show(world: World) -> dict[str, Any]:
    return {"format": "nine_grid", "text": "穿着很舒服", "images": ["https://img.example.com/show.jpg"],
            "products": ["sku-1"]}


# Engagement, stats and the hot list. Likes, comments and votes act on the world's published poll.
ROUTES.update({
    "PUT /posts/{post_id}/likes/me": Rule(ANY_USER, params={"post_id": "published_id"}),
    "DELETE /posts/{post_id}/likes/me": Rule(ANY_USER, params={"post_id": "published_id"}),
    "POST /posts/{post_id}/comments": Rule(ANY_USER, params={"post_id": "published_id"},
                                           body=lambda w: {"text": "想要同款"}),
    "GET /posts/{post_id}/comments": Rule(OWNER_OR_MODERATOR),
    "POST /posts/{post_id}/votes": Rule(ANY_USER, params={"post_id": "published_id"}, body=lambda w: {"option": 1}),
    "POST /accounts/{account_id}/buyer-shows": Rule(ANY_USER, body=_buyer_show),
    "GET /accounts/{account_id}/buyer-shows": Rule(ANY_USER),
    "PUT /posts/{post_id}/featured": Rule(OWNER, params={"post_id": "buyer_show_id"}, given=_approved_buyer_show),
    "GET /accounts/{account_id}/stats": Rule(OWNER),
    "GET /accounts/{account_id}/stats.svg": Rule(OWNER),
    "GET /hot": Rule(ANY_USER),
})


def _graded_month(api: Any, world: World) -> None:
    """The world's month was graded (a done run; the clock-independent case of starting one again)."""
    from datetime import UTC, datetime

    from chalicelib.domain.grading import MonthSummary
    from chalicelib.store.grading import GradingRunModel, create_run

    create_run(GradingRunModel(world.month, kind="month", cutoff=f"{world.month}-01", status="done", phase="done",
                               started_at=datetime.now(UTC), map_segments={"accounts": 1, "days": 1, "fans": 1},
                               buckets=1, summary=MonthSummary().to_json()))


# Grading: operators start and read runs; an account's grade is its owner's.
ROUTES.update({
    "POST /ops/grading/runs": Rule(OPERATOR, body=lambda w: {"month": w.month}, given=_graded_month),
    "GET /ops/grading/runs/{month}": Rule(OPERATOR, given=_graded_month),
    "GET /accounts/{account_id}/grade": Rule(OWNER),
})


def _signal_batch(world: World) -> dict[str, Any]:
    from chalicelib.domain import clock

    return {"signals": [{"user_id": f"buyer-{world.n}", "account_id": world.account_id, "kind": "purchase",
                         "at": clock.rfc3339(clock.now())}]}


def _pick(world: World) -> dict[str, Any]:
    from datetime import timedelta

    from chalicelib.domain import clock

    return {"until": clock.rfc3339(clock.now() + timedelta(days=1))}


def _suggestion_run(api: Any, world: World) -> None:
    """A finished related-accounts run named like the world's month (any id will do)."""
    from datetime import UTC, datetime

    from chalicelib.store.discovery import SuggestionRunModel, create_run

    summary = {"accounts": 0, "with_related": 0, "related_entries": 0, "sampled_followers": 0, "store_calls": 0,
               "store_calls_per_account": 0.0, "popular_lists": 0}
    create_run(SuggestionRunModel(world.month, status="done", started_at=datetime.now(UTC), segments=1,
                                  summary=summary))


# Discovery: suggestions are the caller's own; signals, runs and hot-list picks are operators'.
ROUTES.update({
    "GET /me/suggestions": Rule(ANY_USER),
    "DELETE /me/suggestions/{account_id}": Rule(ANY_USER),
    "GET /accounts/{account_id}/related": Rule(ANY_USER),
    "POST /ops/signals": Rule(OPERATOR, body=_signal_batch),
    "POST /ops/suggestions/runs": Rule(OPERATOR),
    "GET /ops/suggestions/runs/{run_id}": Rule(OPERATOR, params={"run_id": "month"}, given=_suggestion_run),
    "PUT /ops/hot/picks/{post_id}": Rule(OPERATOR, params={"post_id": "published_id"}, body=_pick),
    "DELETE /ops/hot/picks/{post_id}": Rule(OPERATOR, params={"post_id": "published_id"}),
})


def _listing_events(world: World) -> dict[str, Any]:
    from chalicelib.domain import clock

    return {"events": [{"account_id": world.account_id, "product_id": f"sku-{world.n}", "title": "羊毛大衣",
                        "image": "https://img.example.com/coat.jpg", "price": 399,
                        "listed_at": clock.rfc3339(clock.now())}]}


# Auto 上新: only the shop platform's integration role (operators) reports listings.
ROUTES.update({
    "POST /ops/products": Rule(OPERATOR, body=_listing_events),
})


# Notifications and realtime: every user has their own.
ROUTES.update({
    "GET /me/notifications": Rule(ANY_USER, query="type=like"),
    "GET /me/notifications/unread": Rule(ANY_USER),
    "POST /me/notifications/read": Rule(ANY_USER, body=lambda w: {}),
    "GET /me/notification-settings": Rule(ANY_USER),
    "PUT /me/notification-settings": Rule(ANY_USER, body=lambda w: {"muted": ["like"]}),
    "POST /me/realtime/tickets": Rule(ANY_USER),
    "GET /me/events": Rule(ANY_USER, query="wait=0"),
})


def route_key(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def rule_for(key: str) -> Rule:
    """The declared rule of a served route; a route nobody declared fails the test that meets it."""
    if key not in ROUTES:
        pytest.fail(f"route {key} has no row in tests/route_table.py ROUTES: declare who may call it "
                    "(and a valid body) so the authorization matrix covers it", pytrace=False)
    return ROUTES[key]


def path_for(path: str, rule: Rule, world: World) -> str:
    """The route's path with each parameter filled from the world."""
    filled = path
    for name in _names(path):
        source = rule.params.get(name) or PATH_DEFAULTS.get(name)
        if source is None:
            pytest.fail(f"no world value for path parameter {name!r} of {path}: "
                        "name one in the route's Rule(params=...) or in PATH_DEFAULTS", pytrace=False)
        filled = filled.replace("{" + name + "}", world.value(source))
    return filled + (f"?{rule.query}" if rule.query else "")


def _names(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


def _console_file(api: Any, world: World) -> None:
    world.console_file = "app.js"  # type: ignore[attr-defined]


# The console (no token: the page asks for one), its schemas and dev sign-in; the fan distribution.
ROUTES.update({
    "GET /console": Rule(PUBLIC),
    "GET /console/{path}": Rule(PUBLIC, params={"path": "console_file"}, given=_console_file),
    "GET /console/config.json": Rule(PUBLIC),
    "GET /schemas/posts": Rule(PUBLIC),
    "POST /local/tokens": Rule(PUBLIC, body=lambda w: {"user_id": f"dev-{w.n}", "roles": []}),
    "GET /me/accounts": Rule(ANY_USER),
    "GET /accounts/{account_id}/fans": Rule(OWNER),
})
