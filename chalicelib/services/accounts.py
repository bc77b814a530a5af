"""Account use cases: create, read, search, change, label."""

from __future__ import annotations

from typing import Any

from chalicelib.auth import Principal
from chalicelib.domain import clock
from chalicelib.domain.cursor import cursor_scope, decode_cursor, encode_cursor, refuse_cursor
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.ids import new_id
from chalicelib.domain.names import MAX_INDEXED_NAME_BYTES, check_account_names, normalise_term
from chalicelib.domain.tiers import NEW_ACCOUNT_TIER
from chalicelib.services.representations import account_view
from chalicelib.store import accounts as store
from chalicelib.validation import validate

LABELS = ("preferred_store", "certified_influencer", "official")


def create_account(principal: Principal, body: Any) -> dict[str, Any]:
    """Create an account owned by the caller; ``official`` accounts need an operator."""
    body = validate("account_create", body)
    check_account_names(body)
    if body["kind"] == "official" and not principal.is_operator:
        raise Forbidden("only operators create official accounts")
    now = clock.now()
    account = store.AccountModel(
        new_id(now), owner_id=principal.user_id, handle=body["handle"], display_name=body["display_name"],
        kind=body["kind"], category=body["category"], bio=body.get("bio", ""),
        fan_nickname=body.get("fan_nickname"), background_image=body.get("background_image"),
        labels={"official"} if body["kind"] == "official" else None, tier=NEW_ACCOUNT_TIER,
        follower_count=0, created_at=now,
    )
    return account_view(store.create_account(account), for_owner=True)


def get_account(account_id: str, principal: Principal | None = None) -> dict[str, Any]:
    account = store.get_account(account_id)
    return account_view(account, for_owner=principal is not None and account.owner_id == principal.user_id)


def owned_account(principal: Principal, account_id: str) -> store.AccountModel:
    """The account, if the caller owns it; otherwise 403 (the account itself is public)."""
    account = store.get_account(account_id)
    if account.owner_id != principal.user_id:
        raise Forbidden("only the account's owner may do this")
    return account


def owner_only_account(principal: Principal, account_id: str) -> store.AccountModel:
    """The account, if the caller owns it; otherwise 404, as for owner-only data (followers, stats)."""
    account = store.get_account(account_id)
    if account.owner_id != principal.user_id:
        raise NotFound(f"account {account_id} not found")
    return account


def update_account(principal: Principal, account_id: str, body: Any) -> dict[str, Any]:
    changes = validate("account_update", body)
    check_account_names(changes)
    account = owned_account(principal, account_id)
    return account_view(store.update_account(account, changes), for_owner=True)


def search_accounts(principal: Principal, prefix: str | None, limit: int, cursor: str | None) -> dict[str, Any]:
    if not prefix or not prefix.strip() or len(prefix) > 40:
        raise InvalidInput("q must be 1 to 40 characters", details=[{"pointer": "/q", "message": "is required"}])
    term = normalise_term(prefix)
    if not term or len(term.encode("utf-8")) > MAX_INDEXED_NAME_BYTES:
        raise InvalidInput("q is too long once normalised (NFKC)",
                           details=[{"pointer": "/q", "message": f"at most {MAX_INDEXED_NAME_BYTES} UTF-8 bytes "
                                     "once normalised"}])
    scope = cursor_scope("/accounts", principal.user_id, q=prefix)
    position = decode_cursor(cursor, ("term",), scope)
    # The term resumes a begins_with query: DynamoDB refuses a start key outside its range.
    if position and not position["term"].startswith(term):
        raise refuse_cursor()
    ids, last_term = store.search_accounts(prefix, limit, position["term"] if position else None)
    found = store.accounts_by_ids(ids)
    return {"items": [account_view(found[i]) for i in ids if i in found],
            "next_cursor": encode_cursor({"term": last_term}, scope) if last_term else None}


def set_label(principal: Principal, account_id: str, label: str, granted: bool) -> dict[str, Any]:
    principal.require("operator")
    if label not in LABELS:
        raise NotFound(f"unknown label {label!r}; labels are {', '.join(LABELS)}")
    return account_view(store.set_label(account_id, label, granted))


def my_accounts(principal: Principal, limit: int, cursor: str | None) -> dict[str, Any]:
    """The accounts the caller owns (the merchant console's account switcher)."""
    scope = cursor_scope("/me/accounts", principal.user_id)
    position = decode_cursor(cursor, ("owner_id", "account_id"), scope)
    items, last = store.accounts_of_owner(principal.user_id, limit, position)
    return {"items": [account_view(a) for a in items], "next_cursor": encode_cursor(last, scope) if last else None}
