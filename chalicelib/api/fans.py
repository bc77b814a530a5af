"""Fan distribution (粉丝分布)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, endpoint
from chalicelib.services import fans

bp = Blueprint(__name__)


@endpoint(bp, "/accounts/{account_id}/fans", "GET",
          "How the account's followers are distributed: by group, follow month and activity (owner)",
          response="fan_distribution")
def fan_distribution(call: Call, account_id: str) -> dict[str, Any]:
    return fans.fan_distribution(call.principal, account_id)
