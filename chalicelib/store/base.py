"""What every table shares: region, on-demand billing, the names from :mod:`chalicelib.config`, index declarations."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, LocalSecondaryIndex, Projection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.store.retry import backoff

_M = TypeVar("_M", bound=Model)

# Concurrent transactions on one item may be cancelled with TransactionConflict; tries before giving up.
TRANSACTION_ATTEMPTS = 6


class TableMeta:
    region = settings.region
    billing_mode = "PAY_PER_REQUEST"


class _IndexMeta:
    """Gives each index class its own ``Meta``: every attribute projected unless the class says otherwise.

    The index takes the name of the model attribute that holds it (PynamoDB's
    ``__set_name__``): ``by_owner = OwnerIndex()`` is the index ``by_owner``.
    """

    Meta: Any

    def __init_subclass__(cls, projection: Projection | None = None, **kwargs: Any) -> None:
        # Before PynamoDB's own __init_subclass__, which collects the key attributes into this Meta.
        cls.Meta = type("Meta", (), {"projection": projection or AllProjection()})
        super().__init_subclass__(**kwargs)


class GlobalIndex(_IndexMeta, GlobalSecondaryIndex[_M]):
    """A global secondary index: declare its key attributes; ``projection=`` in the class line to narrow it."""


class LocalIndex(_IndexMeta, LocalSecondaryIndex[_M]):
    """A local secondary index: declare its key attributes; ``projection=`` in the class line to narrow it."""


def flat_key(last_evaluated_key: dict[str, dict[str, str]] | None) -> dict[str, str] | None:
    """A DynamoDB LastEvaluatedKey (string attributes only) as a plain dict, for cursors."""
    if not last_evaluated_key:
        return None
    return {name: value["S"] for name, value in last_evaluated_key.items()}


def raw_key(position: dict[str, str] | None) -> dict[str, dict[str, str]] | None:
    """The inverse of :func:`flat_key`."""
    if not position:
        return None
    return {name: {"S": value} for name, value in position.items()}


def conditions_failed(error: TransactWriteError) -> list[bool]:
    """Per transaction item, whether its condition failed.

    PynamoDB sends items grouped by kind: condition checks, deletes, puts, updates;
    the reasons come back in that order.
    """
    return [bool(r and r.code == "ConditionalCheckFailed") for r in (error.cancellation_reasons or [])]


def transaction_failures(model: type[Model], write: Callable[[TransactWrite], Any]) -> list[bool]:
    """Run ``write(tx)`` in one transaction; per item, whether its condition failed (empty: committed).

    A cancellation caused only by a concurrent transaction on the same item (a hot
    post) wrote nothing and is retried with jittered backoff.
    """
    for attempt in range(TRANSACTION_ATTEMPTS):
        try:
            with TransactWrite(connection=model._get_connection().connection) as tx:
                write(tx)
            return []
        except TransactWriteError as error:
            failed = conditions_failed(error)
            if any(failed):
                return failed
            conflicted = any(r and r.code == "TransactionConflict" for r in (error.cancellation_reasons or []))
            if not conflicted or attempt + 1 == TRANSACTION_ATTEMPTS:
                raise
            backoff(attempt, 0.02, 1.0, time.sleep)
    raise AssertionError("unreachable")


def transact(model: type[Model], write: Callable[[TransactWrite], Any]) -> bool:
    """:func:`transaction_failures` as a yes/no: False when a condition failed (the state moved on)."""
    return not transaction_failures(model, write)


def applied(write: Callable[[], Any]) -> bool:
    """Run one conditional put, update or delete; False when its condition failed (the state moved on)."""
    try:
        write()
    except (PutError, UpdateError, DeleteError) as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
