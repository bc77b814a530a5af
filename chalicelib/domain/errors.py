"""Errors a client can cause, each with the HTTP status and code it maps to.

The API layer turns these into the error body of API.md in one place
(:mod:`chalicelib.api.http`); workers log them. Nothing here imports Chalice.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """A refused request: ``status`` (given in the class line) and ``code``, the class name in snake_case.

    Examples
    --------
    >>> NotFound.status, NotFound.code
    (404, 'not_found')
    """

    status: ClassVar[int]
    code: ClassVar[str]

    def __init_subclass__(cls, *, status: int, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.status = status
        cls.code = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.headers = headers or {}


class InvalidInput(DomainError, status=400):
    """The request is not valid: its body, a path or query parameter, or a rule it breaks."""


class Unauthenticated(DomainError, status=401):
    """No credentials, or credentials that do not hold (expired, forged, malformed)."""


class Forbidden(DomainError, status=403):
    """The caller is known but may not do this (a role or ownership it lacks)."""


class NotFound(DomainError, status=404):
    """No such thing, or none the caller may know of."""


class Conflict(DomainError, status=409):
    """The state does not allow it (taken, decided meanwhile, still in progress)."""


class PayloadTooLarge(DomainError, status=413):
    """The request body is over the limit."""


class QuotaExceeded(DomainError, status=429):
    """The account's quota for the day is spent."""


class PreconditionFailed(DomainError, status=412):
    """``If-Match`` names a version that is no longer the current one."""


class PreconditionRequired(DomainError, status=428):
    """The change needs ``If-Match`` with the version the caller read."""


def found(thing: T | None, message: str) -> T:
    """``thing``, unless the lookup found nothing (``None``): then :class:`NotFound` with ``message``.

    Examples
    --------
    >>> found({"run_id": "2026-11"}, "no grading run for 2026-11")
    {'run_id': '2026-11'}
    """
    if thing is None:
        raise NotFound(message)
    return thing
