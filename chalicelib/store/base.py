"""What every table shares: region, on-demand billing, and the names from :mod:`chalicelib.config`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings


class TableMeta:
    region = settings.region
    billing_mode = "PAY_PER_REQUEST"


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


def transact(model: type[Model], write: Callable[[TransactWrite], Any]) -> bool:
    """Run ``write(tx)`` in one transaction; False when a condition failed (the state moved on)."""
    try:
        with TransactWrite(connection=model._get_connection().connection) as tx:
            write(tx)
    except TransactWriteError as error:
        if any(conditions_failed(error)):
            return False
        raise
    return True
