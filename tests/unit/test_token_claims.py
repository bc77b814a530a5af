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
    # Given claims whose exp is not a number, is past or now, is too far ahead, or is NaN
    claims = {"exp": exp}

    # When the expiry is checked / Then the token is refused
    with pytest.raises(Unauthenticated):
        check_expiry(claims, NOW)


def test_a_day_long_token_is_accepted() -> None:
    # Given a token that expires in a day, and one that expires in 60.5 seconds
    day_long, fractional = {"exp": NOW + 86_400}, {"exp": NOW + 60.5}

    # When their expiry is checked / Then neither is refused
    check_expiry(day_long, NOW)
    check_expiry(fractional, NOW)


def test_a_string_exp_is_refused_end_to_end() -> None:
    # Given a signed token whose exp is a string of digits (PyJWT alone accepts it: it calls int() on it)
    token = jwt.encode({"sub": "u", "exp": str(int(time.time()) + 60)}, settings.jwt_secret, algorithm="HS256")

    # When it is verified / Then it is refused for its exp
    with pytest.raises(Unauthenticated, match="numeric exp"):
        verify_token(f"Bearer {token}")

    # And when a token living a week is verified, Then it is refused as living too long
    week = jwt.encode({"sub": "u", "exp": int(time.time()) + 7 * 86_400}, settings.jwt_secret, algorithm="HS256")
    with pytest.raises(Unauthenticated, match="lives longer"):
        verify_token(f"Bearer {week}")


@pytest.mark.parametrize("roles", ["moderator", "[moderator]", {"moderator": True}, [1], ["x" * 65], None])
def test_dev_token_roles_must_be_a_list_of_names(roles: object) -> None:
    # Given a dev token whose roles are not a list of short names
    claims = {"roles": roles}

    # When its roles are read / Then it is refused
    with pytest.raises(Unauthenticated):
        roles_from_claims(claims, "hs256")


def test_cognito_groups_count_only_in_cognito_mode() -> None:
    # Given claims of a Cognito token and of a dev token
    # When they are read in the other mode / Then they give no roles (neither can pass for the other)
    assert roles_from_claims({"cognito:groups": ["moderator"]}, "hs256") == frozenset()
    assert roles_from_claims({"roles": ["moderator"]}, "cognito") == frozenset()

    # And when read in their own mode, Then they give their roles, even as the one string API Gateway hands over
    assert roles_from_claims({"cognito:groups": "[moderator operator]"}, "cognito") == {"moderator", "operator"}
    assert roles_from_claims({"cognito:groups": "moderator,operator"}, "cognito") == {"moderator", "operator"}
    assert roles_from_claims({"cognito:groups": ["operator"]}, "cognito") == {"operator"}
    assert roles_from_claims({"roles": ["operator"]}, "hs256") == {"operator"}
    # And groups that are neither a list nor a string are refused
    with pytest.raises(Unauthenticated):
        roles_from_claims({"cognito:groups": 5}, "cognito")
