"""Retry-safe creates: one Powertools idempotency lock and cached result per ``Idempotency-Key``.

The lock is held only as long as the invocation that took it can run: the Lambda
context is registered on every call, so a call killed after taking the lock (a
timeout, a crash) leaves a lock that lapses with its invocation, not after
``IDEMPOTENCY_TTL_S``. The writes themselves claim the key too (``store.posts``),
so a retry after a crash that followed the write returns the first post.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

from chalicelib.config import settings
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.store.idempotency import persistence_layer

MAX_KEY_LENGTH = 128
# One configuration (and so one persistence layer) for every idempotent create.
CONFIG = IdempotencyConfig(event_key_jmespath="key", payload_validation_jmespath="body",
                           expires_after_seconds=settings.idempotency_ttl_s)

Create = Callable[..., dict[str, str]]


def check_idempotency_key(key: str | None) -> None:
    """1 to 128 characters (characters of the decoded header, not its bytes)."""
    if key is not None and not 1 <= len(key) <= MAX_KEY_LENGTH:
        raise InvalidInput(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters",
                           details=[{"pointer": "/headers/Idempotency-Key",
                                     "message": f"1 to {MAX_KEY_LENGTH} characters"}])


def idempotent_create(create: Create) -> Create:
    """Wrap ``create(request=...)``: ``request["key"]`` locks, ``request["body"]`` must match on a retry."""
    return idempotent_function(data_keyword_argument="request", persistence_store=persistence_layer(),
                               config=CONFIG)(create)


def run_once(create: Create, request: dict[str, Any], lambda_context: Any) -> dict[str, str]:
    """Call an :func:`idempotent_create` function; a key in use or reused with another body is a 409."""
    CONFIG.register_lambda_context(lambda_context)
    try:
        return create(request=request)
    except IdempotencyAlreadyInProgressError:
        raise Conflict("a request with this Idempotency-Key is still in progress; retry shortly") from None
    except IdempotencyValidationError:
        raise Conflict("this Idempotency-Key was used with a different body",
                       details=[{"pointer": "/headers/Idempotency-Key", "message": "reused with another body"}]
                       ) from None
