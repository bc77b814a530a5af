"""Retrying a throttled or conflicting DynamoDB call: which errors, and full-jitter exponential backoff."""

from __future__ import annotations

import random
from collections.abc import Callable

from botocore.exceptions import ClientError

RETRYABLE_CODES = frozenset({
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
})


def is_retryable(error: ClientError) -> bool:
    """Throttling or a transient server error: the same call may succeed later."""
    return error.response.get("Error", {}).get("Code") in RETRYABLE_CODES


def backoff(attempt: int, base: float, cap: float, sleep: Callable[[float], None]) -> None:
    """Sleep a random time up to ``min(cap, base * 2**attempt)`` (full jitter)."""
    sleep(random.uniform(0, min(cap, base * 2**attempt)))
