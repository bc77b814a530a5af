"""The HTTP status and code of each domain error: the contract clients branch on (codes come from class names)."""

from __future__ import annotations

from chalicelib.domain.errors import DomainError


def test_each_error_answers_with_its_documented_status_and_code() -> None:
    # Given every error a client can cause
    errors = DomainError.__subclasses__()

    # When their status and code are read
    contract = {error.__name__: (error.status, error.code) for error in errors}

    # Then they are the ones clients were promised
    assert contract == {
        "InvalidInput": (400, "invalid_input"),
        "Unauthenticated": (401, "unauthenticated"),
        "Forbidden": (403, "forbidden"),
        "NotFound": (404, "not_found"),
        "Conflict": (409, "conflict"),
        "PayloadTooLarge": (413, "payload_too_large"),
        "QuotaExceeded": (429, "quota_exceeded"),
        "PreconditionFailed": (412, "precondition_failed"),
        "PreconditionRequired": (428, "precondition_required"),
    }
