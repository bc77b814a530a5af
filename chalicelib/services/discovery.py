"""Discovery for users: suggestions with reasons, dismissals, related accounts, commerce signals.

Suggestions are computed at read time from what the daily job stored (the related lists
of the accounts the user follows, the popular lists) and what the user did (follows,
signals, dismissals), in a fixed number of store calls whatever the user's history:

1. the user's newest ``user_follow_sample`` follows (one Query),
2. their profiles (related lists) and accounts (categories) — two BatchGetItem,
3. the user's signals and dismissals — two Queries,
4. the popular lists of the followed categories and the overall one — one BatchGetItem,
5. for the best ``max_candidates`` candidates: accounts, profiles, and which of them the
   user follows beyond the sample — three BatchGetItem,
6. an account without a profile yet (created since the last job, e.g. a shop that just
   opened its account, suggested by a signal): one Query each for whether it has
   published, at most :data:`LIVE_POST_CHECKS`.

Following an account changes the next read at once: its related list joins the mix.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from chalicelib.auth import OPERATOR, Principal
from chalicelib.domain import clock
from chalicelib.domain.discovery import (
    CandidateFacts,
    discovery_config,
    live_dismissals,
    rank_suggestions,
    score_candidates,
    shortlist,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.messages import CommerceSignal, SignalsMessage
from chalicelib.domain.tiers import PENALTY_TIER
from chalicelib.services.representations import account_view
from chalicelib.store import discovery as store
from chalicelib.store import follows, queues
from chalicelib.store.accounts import accounts_by_ids, get_account
from chalicelib.validation import validate

LIVE_POST_CHECKS = 5
FOLLOWED_CATEGORIES = 3  # popular lists of the user's most-followed categories
SIGNALS_READ = 200
DISMISSALS_READ = 500
SIGNALS_PER_MESSAGE = 100
MAX_SIGNALS = 500
_ID = re.compile(r"[^\s\x00-\x1f]{1,128}")


def suggestions(principal: Principal, limit: int) -> dict[str, Any]:
    """``GET /me/suggestions``: accounts to follow, best first, each with its reasons."""
    config = discovery_config()
    now = clock.now()
    user = principal.user_id
    followed_items, _ = follows.following_page(user, config.user_follow_sample, None)
    followed_sample = [f.account_id for f in followed_items]
    followed_profiles = store.profiles_of(followed_sample) if followed_sample else {}
    followed_accounts = accounts_by_ids(followed_sample) if followed_sample else {}
    categories = [c for c, _ in Counter(a.category for a in followed_accounts.values()).most_common(
        FOLLOWED_CATEGORIES)]
    signals = store.signals_of(user, SIGNALS_READ)
    dismissed = live_dismissals(store.dismissals_of(user, DISMISSALS_READ), now, config)
    popular = store.popular_lists(["", *categories])
    candidates = score_candidates(
        followed_sample, {a: store.related_of(p) for a, p in followed_profiles.items()}, signals, popular,
        categories, now, config)
    known_out = set(followed_sample) | set(dismissed) | {user}
    short = shortlist({a: s for a, s in candidates.items() if a not in known_out}, config.max_candidates)
    facts: dict[str, CandidateFacts] = {}
    followed = set(followed_sample)
    if short:
        accounts = accounts_by_ids(short)
        profiles = store.profiles_of(short)
        followed |= store.followed_among(user, short)
        live_checks = 0
        for account_id in short:
            account = accounts.get(account_id)
            if account is None:
                continue
            profile = profiles.get(account_id)
            if profile is not None:
                has_posts = bool(profile.has_posts)
            elif live_checks < LIVE_POST_CHECKS and account.tier != PENALTY_TIER:
                live_checks += 1
                has_posts = store.has_published(account_id)
            else:
                has_posts = False
            facts[account_id] = CandidateFacts(account_id, account.owner_id, account.tier, has_posts)
        ranked = rank_suggestions({a: candidates[a] for a in short}, facts, user, followed, dismissed, now, limit,
                                  config)
    else:
        accounts, ranked = {}, []
    return {"items": [{"account": account_view(accounts[s.account_id]), "reasons": s.reasons,
                       "score": round(s.score, 6)} for s in ranked],
            "next_cursor": None}


def dismiss(principal: Principal, account_id: str) -> None:
    """``DELETE /me/suggestions/{account_id}``: not suggested to this user again for 90 days."""
    get_account(account_id)
    config = discovery_config()
    store.dismiss(principal.user_id, account_id, clock.now(), timedelta(days=config.dismiss_days))


def related(account_id: str, limit: int) -> dict[str, Any]:
    """``GET /accounts/{id}/related``: accounts whose followers overlap most with this one's."""
    get_account(account_id)
    profile = store.profiles_of([account_id]).get(account_id)
    entries = store.related_of(profile) if profile else []
    entries = entries[:limit * 2]  # room for the few that left or went to H1 since the job ran
    accounts = accounts_by_ids([r.account_id for r in entries]) if entries else {}
    items = []
    for entry in entries:
        account = accounts.get(entry.account_id)
        if account is None or account.tier == PENALTY_TIER:
            continue
        items.append({"account": account_view(account), "overlap": entry.overlap, "similarity": entry.similarity})
        if len(items) == limit:
            break
    computed = clock.rfc3339(profile.computed_at) if profile else None
    return {"items": items, "computed_at": computed, "next_cursor": None}


def _bad(index: int, field: str, message: str) -> dict[str, str]:
    return {"pointer": f"/signals/{index}/{field}", "message": message}


def accept_signals(principal: Principal, body: Any) -> dict[str, Any]:
    """``POST /ops/signals``: validate a batch (every bad item named), then queue it for the signal store.

    Nothing is queued unless the whole batch is valid, so a client fixes and resends it whole.
    """
    principal.require(OPERATOR)
    details: list[dict[str, str]] = []
    raw = body.get("signals") if isinstance(body, dict) else None
    if isinstance(raw, list) and len(raw) > MAX_SIGNALS:  # refused before validating thousands of items
        raise InvalidInput(f"at most {MAX_SIGNALS} signals per batch",
                           details=[{"pointer": "/signals", "message": f"has {len(raw)} items; at most {MAX_SIGNALS}"}])
    try:
        validate("signals", body)
    except InvalidInput as refused:
        details += refused.details
    signals = body.get("signals") if isinstance(body, dict) else None
    if not isinstance(signals, list) or not 1 <= len(signals) <= MAX_SIGNALS:
        raise InvalidInput(f"signals must be a list of 1 to {MAX_SIGNALS} items",
                           details=details or [{"pointer": "/signals", "message": f"1 to {MAX_SIGNALS} items"}])
    config = discovery_config()
    now = clock.now()
    oldest = now - timedelta(days=config.signal_days)
    parsed: list[tuple[dict[str, Any], datetime]] = []
    account_ids: dict[int, str] = {}
    for index, signal in enumerate(signals):
        if not isinstance(signal, dict):
            continue  # the schema named it
        for name in ("user_id", "account_id"):
            value = signal.get(name)
            if isinstance(value, str) and not _ID.fullmatch(value):
                details.append(_bad(index, name, "must be 1 to 128 characters without spaces or control characters"))
            elif isinstance(value, str) and name == "account_id":
                account_ids[index] = value
        at_text = signal.get("at")
        if not isinstance(at_text, str):
            continue
        try:
            at = clock.parse_rfc3339(at_text)
        except ValueError:
            details.append(_bad(index, "at", "must be an RFC 3339 time with an offset"))
            continue
        if at > now + timedelta(minutes=5):
            details.append(_bad(index, "at", "is in the future"))
        elif at < oldest:
            details.append(_bad(index, "at", f"is older than {config.signal_days} days (signals are kept that long)"))
        parsed.append((signal, at))
    known = accounts_by_ids(list(set(account_ids.values())))
    details += [_bad(index, "account_id", "is not a known account")
                for index, account_id in account_ids.items() if account_id not in known]
    if details:
        unique = list({(d["pointer"], d["message"]): d for d in details}.values())
        unique.sort(key=lambda d: [p.zfill(6) if p.isdigit() else p for p in d["pointer"].split("/")])
        raise InvalidInput(f"{len(unique)} problems in the signals: " + ", ".join(d["pointer"] for d in unique[:5]),
                           details=unique)
    # Valid now: the schema and the checks above found nothing.
    accepted = [CommerceSignal(s["user_id"], s["account_id"], s["kind"], at) for s, at in parsed]
    queues.send_many("signals", [SignalsMessage(tuple(accepted[i:i + SIGNALS_PER_MESSAGE])).to_json()
                                 for i in range(0, len(accepted), SIGNALS_PER_MESSAGE)])
    return {"accepted": len(accepted)}


def store_signals(message: SignalsMessage) -> dict[str, Any]:
    """The signals queue's consumer: keep each signal's newest time (conditional, so redelivery is harmless)."""
    config = discovery_config()
    keep = timedelta(days=config.signal_days)
    written = 0
    for signal in message.signals:
        written += store.record_signal(signal.user_id, signal.account_id, signal.kind, signal.at, keep)
    return {"signals": len(message.signals), "written": written}
