"""Errors a client can cause, each with the HTTP status and code it maps to.

The API layer turns these into the error body of API.md in one place
(:mod:`chalicelib.api.http`); workers log them. Nothing here imports Chalice.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid_request"

    def __init__(self, message: str, details: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.headers = headers or {}


class InvalidInput(DomainError):
    status, code = 400, "invalid_input"


class Unauthenticated(DomainError):
    status, code = 401, "unauthenticated"


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not_found"


class Conflict(DomainError):
    status, code = 409, "conflict"


class PayloadTooLarge(DomainError):
    status, code = 413, "payload_too_large"


class QuotaExceeded(DomainError):
    status, code = 429, "quota_exceeded"
