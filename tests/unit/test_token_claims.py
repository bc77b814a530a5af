"""Token claims are read strictly, each auth mode reading only its own role claim."""

from __future__ import annotations

import time

import jwt
import pytest

from chalicelib.auth import MAX_TOKEN_LIFETIME_S, check_expiry, roles_from_claims, verify_token
from chalicelib.config import settings
from chalicelib.domain.errors import Unauthenticated

NOW = 1_750_000_000.0


@pytest.mark.parametrize("exp", ["1750000600", None, True, [1750000600], {"n": 1}, NOW - 1, NOW,
                                 NOW + MAX_TOKEN_LIFETIME_S + 1, 10**12, float("nan")])
def test_exp_must_be_a_number_within_a_sane_lifetime(exp: object) -> None:
    with pytest.raises(Unauthenticated):
        check_expiry({"exp": exp}, NOW)


def test_a_day_long_token_is_accepted() -> None:
    check_expiry({"exp": NOW + 86_400}, NOW)
    check_expiry({"exp": NOW + 60.5}, NOW)


def test_a_string_exp_is_refused_end_to_end() -> None:
    # PyJWT alone accepts "exp": "<digits>" (it calls int() on it)
    token = jwt.encode({"sub": "u", "exp": str(int(time.time()) + 60)}, settings.jwt_secret, algorithm="HS256")
    with pytest.raises(Unauthenticated, match="numeric exp"):
        verify_token(f"Bearer {token}")
    week = jwt.encode({"sub": "u", "exp": int(time.time()) + 7 * 86_400}, settings.jwt_secret, algorithm="HS256")
    with pytest.raises(Unauthenticated, match="lives longer"):
        verify_token(f"Bearer {week}")


@pytest.mark.parametrize("roles", ["moderator", "[moderator]", {"moderator": True}, [1], ["x" * 65], None])
def test_dev_token_roles_must_be_a_list_of_names(roles: object) -> None:
    with pytest.raises(Unauthenticated):
        roles_from_claims({"roles": roles}, "hs256")


def test_cognito_groups_count_only_in_cognito_mode() -> None:
    # A dev token cannot pass for a Cognito one (and the reverse)
    assert roles_from_claims({"cognito:groups": ["moderator"]}, "hs256") == frozenset()
    assert roles_from_claims({"roles": ["moderator"]}, "cognito") == frozenset()
    # API Gateway hands the groups over as one string
    assert roles_from_claims({"cognito:groups": "[moderator operator]"}, "cognito") == {"moderator", "operator"}
    assert roles_from_claims({"cognito:groups": "moderator,operator"}, "cognito") == {"moderator", "operator"}
    assert roles_from_claims({"cognito:groups": ["operator"]}, "cognito") == {"operator"}
    assert roles_from_claims({"roles": ["operator"]}, "hs256") == {"operator"}
    with pytest.raises(Unauthenticated):
        roles_from_claims({"cognito:groups": 5}, "cognito")
