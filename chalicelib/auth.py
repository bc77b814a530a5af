"""Who is calling: verifying tokens (locally) and reading claims (deployed).

Locally tokens are HS256 JWTs signed with ``AUTH_JWT_SECRET`` and verified here.
Deployed (``AUTH_MODE=cognito``) API Gateway's Cognito authorizer has verified the
token before the function runs, and we read the claims it passes on. The HS256 mode
refuses to load inside Lambda (``config.Settings``), so a dev secret can never guard
production. Claims are read strictly: a claim of the wrong type is a 401, not a guess.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from chalicelib.config import settings
from chalicelib.domain.errors import Forbidden, Unauthenticated

MODERATOR, OPERATOR = "moderator", "operator"
# The longest a token may live (Cognito's ID tokens live at most a day), plus clock skew.
MAX_TOKEN_LIFETIME_S = 86_400 + 300


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[str]

    @property
    def is_moderator(self) -> bool:
        return MODERATOR in self.roles

    @property
    def is_operator(self) -> bool:
        return OPERATOR in self.roles

    def require(self, role: str) -> None:
        if role not in self.roles:
            raise Forbidden(f"this needs the {role} role")


def roles_from_claims(claims: dict[str, Any], auth_mode: str) -> frozenset[str]:
    """The caller's roles: the ``roles`` list of a dev token, or Cognito's groups when deployed.

    Each mode reads only its own claim, in its own shape; anything else is a 401.
    """
    if auth_mode == "cognito":
        value = claims.get("cognito:groups")
        if value is None:
            return frozenset()
        if isinstance(value, str):  # API Gateway passes the groups to Lambda as one string: "[a b]" or "a,b"
            value = value.strip("[]").replace(",", " ").split()
        if not isinstance(value, list):
            raise Unauthenticated("token has a cognito:groups claim that is not a list of names")
    else:
        value = claims.get("roles", [])
        if not isinstance(value, list):
            raise Unauthenticated("token has a roles claim that is not a list")
    if not all(isinstance(v, str) and 0 < len(v) <= 64 for v in value):
        raise Unauthenticated("token has a role that is not a short string")
    return frozenset(value)


def principal_from_claims(claims: dict[str, Any], auth_mode: str | None = None) -> Principal:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 128:
        raise Unauthenticated("token has no valid sub claim")
    return Principal(user_id=sub, roles=roles_from_claims(claims, auth_mode or settings.auth_mode))


def check_expiry(claims: dict[str, Any], now: float) -> None:
    """``exp`` must be a JSON number, in the future, and no further than a token may live."""
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float) or exp != exp:
        raise Unauthenticated("token has no numeric exp claim")
    if exp <= now:
        raise Unauthenticated("token has expired")
    if exp > now + MAX_TOKEN_LIFETIME_S:
        raise Unauthenticated(f"token lives longer than {MAX_TOKEN_LIFETIME_S} seconds")


def verify_token(authorization: str | None) -> Principal:
    """The caller of an HS256 ``Authorization: Bearer`` header; 401 for anything else."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated("missing bearer token")
    token = authorization[len("Bearer "):].strip()
    try:
        # PyJWT accepts an exp of "123" (it calls int()); check_expiry reads it strictly.
        claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"],
                            options={"require": ["sub", "exp"], "verify_exp": False})
    except jwt.PyJWTError:
        raise Unauthenticated("token is not valid") from None
    check_expiry(claims, time.time())
    return principal_from_claims(claims, "hs256")


def principal_from_request(headers: Mapping[str, str], context: dict[str, Any],
                           authorization_count: int = 1) -> Principal:
    """The caller of a request, by the configured auth mode.

    ``authorization_count`` is how many ``Authorization`` headers the request carried:
    with two, the gateway and the app could each read a different one, so it is a 401.
    """
    if authorization_count > 1:
        raise Unauthenticated("the request has more than one Authorization header")
    if settings.auth_mode == "cognito":
        claims = (context.get("authorizer") or {}).get("claims")
        if not claims:
            raise Unauthenticated("request did not pass the Cognito authorizer")
        return principal_from_claims(claims, "cognito")
    return verify_token(headers.get("authorization"))


def issue_dev_token(user_id: str, roles: list[str] | None = None, ttl_s: int = 86_400) -> str:
    """A local HS256 token (README examples, demo, tests)."""
    now = int(time.time())
    return jwt.encode({"sub": user_id, "roles": roles or [], "iat": now, "exp": now + ttl_s},
                      settings.jwt_secret, algorithm="HS256")
