"""Accounts: create, read, search, change, labels."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, endpoint
from chalicelib.services import accounts

bp = Blueprint(__name__)


@endpoint(bp, "/accounts", "POST", "Create an account", request_schema="account_create", statuses=(201, 409),
          response="account_view")
def create_account(call: Call) -> Reply:
    return Reply(accounts.create_account(call.principal, call.json()), 201)


@endpoint(bp, "/accounts", "GET", "Search accounts by handle or display-name prefix", query=("q", "limit", "cursor"),
          response="account_list")
def search_accounts(call: Call) -> dict[str, Any]:
    return accounts.search_accounts(call.principal, call.query("q"), call.limit(), call.query("cursor"))


@endpoint(bp, "/accounts/{account_id}", "GET", "Read an account", response="account_view")
def get_account(call: Call, account_id: str) -> dict[str, Any]:
    return accounts.get_account(account_id, call.principal)


@endpoint(bp, "/accounts/{account_id}", "PATCH", "Change an account (owner)", request_schema="account_update",
          response="account_view")
def update_account(call: Call, account_id: str) -> dict[str, Any]:
    return accounts.update_account(call.principal, account_id, call.json())


@endpoint(bp, "/accounts/{account_id}/labels/{label}", "PUT", "Grant a label (operator)", response="account_view")
def grant_label(call: Call, account_id: str, label: str) -> dict[str, Any]:
    return accounts.set_label(call.principal, account_id, label, granted=True)


@endpoint(bp, "/accounts/{account_id}/labels/{label}", "DELETE", "Withdraw a label (operator)", response="account_view")
def withdraw_label(call: Call, account_id: str, label: str) -> dict[str, Any]:
    return accounts.set_label(call.principal, account_id, label, granted=False)


@endpoint(bp, "/me/accounts", "GET", "The accounts the caller owns", query=("limit", "cursor"),
          response="account_list")
def my_accounts(call: Call) -> dict[str, Any]:
    return accounts.my_accounts(call.principal, call.limit(), call.query("cursor"))
