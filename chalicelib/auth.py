"""Who is calling: verifying tokens (locally) and reading claims (deployed).

Locally tokens are HS256 JWTs signed with ``AUTH_JWT_SECRET`` and verified here.
Deployed (``AUTH_MODE=cognito``) API Gateway's Cognito authorizer has verified the
token before the function runs, and we read the claims it passes on. The HS256 mode
refuses to load inside Lambda, so a dev secret can never guard production.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from chalicelib.config import settings
from chalicelib.domain.errors import Forbidden, Unauthenticated

if settings.auth_mode == "hs256" and settings.in_lambda:
    raise RuntimeError("AUTH_MODE=hs256 (dev tokens) must not run inside Lambda; deploy with AUTH_MODE=cognito")

MODERATOR, OPERATOR = "moderator", "operator"


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


def _roles(claims: dict[str, Any]) -> frozenset[str]:
    roles: set[str] = set()
    for claim in ("roles", "cognito:groups"):
        value = claims.get(claim)
        if isinstance(value, str):  # Cognito passes groups to Lambda as one string
            value = value.strip("[]").replace(",", " ").split()
        if isinstance(value, list):
            roles.update(str(v) for v in value)
    return frozenset(roles)


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 128:
        raise Unauthenticated("token has no valid sub claim")
    return Principal(user_id=sub, roles=_roles(claims))


def verify_token(authorization: str | None) -> Principal:
    """The caller of an HS256 ``Authorization: Bearer`` header; 401 for anything else."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated("missing bearer token")
    token = authorization[len("Bearer "):].strip()
    try:
        claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"],
                            options={"require": ["sub", "exp"]})
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("token has expired") from None
    except jwt.PyJWTError:
        raise Unauthenticated("token is not valid") from None
    return principal_from_claims(claims)


def principal_from_request(headers: Mapping[str, str], context: dict[str, Any]) -> Principal:
    """The caller of a request, by the configured auth mode."""
    if settings.auth_mode == "cognito":
        claims = (context.get("authorizer") or {}).get("claims")
        if not claims:
            raise Unauthenticated("request did not pass the Cognito authorizer")
        return principal_from_claims(claims)
    return verify_token(headers.get("authorization"))


def issue_dev_token(user_id: str, roles: list[str] | None = None, ttl_s: int = 86_400) -> str:
    """A local HS256 token (README examples, demo, tests)."""
    import time

    now = int(time.time())
    return jwt.encode({"sub": user_id, "roles": roles or [], "iat": now, "exp": now + ttl_s},
                      settings.jwt_secret, algorithm="HS256")
