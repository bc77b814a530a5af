"""``POST /local/tokens``: dev tokens for the console's local sign-in form.

Registered by ``app.py`` only when :func:`chalicelib.api.console.local_tokens_enabled`
(``AUTH_MODE=hs256`` outside Lambda), so neither a deployed template nor a Lambda
function ever has the route.
"""

from __future__ import annotations

import re
from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, endpoint
from chalicelib.auth import MODERATOR, OPERATOR, issue_dev_token
from chalicelib.domain.errors import InvalidInput

bp = Blueprint(__name__)

USER_ID = re.compile(r"[A-Za-z0-9_.:@-]{1,128}")


def _checked(body: Any) -> tuple[str, list[str]]:
    if not isinstance(body, dict):
        raise InvalidInput("body must be an object", details=[{"pointer": "", "message": "must be an object"}])
    details = []
    user_id, roles = body.get("user_id"), body.get("roles", [])
    if not isinstance(user_id, str) or not USER_ID.fullmatch(user_id):
        details.append({"pointer": "/user_id", "message": "must be 1-128 of A-Z a-z 0-9 _ . : @ -"})
    if not isinstance(roles, list) or not all(r in (MODERATOR, OPERATOR) for r in roles):
        details.append({"pointer": "/roles", "message": f"must be a list of {MODERATOR!r}, {OPERATOR!r}"})
    unknown = sorted(set(body) - {"user_id", "roles"})
    details += [{"pointer": f"/{name}", "message": "is not a field of this body"} for name in unknown]
    if details:
        raise InvalidInput("the token request is not valid", details=details)
    return str(user_id), sorted(set(roles))


@endpoint(bp, "/local/tokens", "POST", "A local HS256 dev token (local runs only, never deployed)", public=True,
          statuses=(201,), response="local_token")
def create_local_token(call: Call) -> Reply:
    user_id, roles = _checked(call.json())
    return Reply({"token": issue_dev_token(user_id, roles), "user_id": user_id, "roles": roles}, 201)
