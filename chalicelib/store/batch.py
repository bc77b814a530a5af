"""Batch reads and writes with the retries PynamoDB leaves out.

PynamoDB's ``batch_write()`` resends ``UnprocessedItems`` at once, without backoff, and
gives up after three tries; under throttling most items would be lost. These helpers
send BatchWriteItem in groups of 25 and BatchGetItem in groups of 100 through the
model's own botocore client, and retry unprocessed items and throttling errors with
exponential backoff and full jitter until ``max_attempts`` is spent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.store.retry import backoff, is_retryable

M = TypeVar("M", bound=Model)

BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100


class BatchIncomplete(Exception):
    """Items were still unprocessed after every attempt; the caller's message must be retried."""


def _client(model_cls: type[Model]) -> Any:
    return model_cls._get_connection().connection.client


def _call_with_retry(call: Callable[[], dict[str, Any]], attempt: int, max_attempts: int, base: float,
                     cap: float, sleep: Callable[[float], None]) -> dict[str, Any] | None:
    try:
        return call()
    except ClientError as error:
        if not is_retryable(error) or attempt + 1 >= max_attempts:
            raise
        backoff(attempt, base, cap, sleep)
        return None


def batch_write(model_cls: type[Model], puts: Iterable[Model] = (), delete_keys: Iterable[dict[str, Any]] = (),
                *, raw_puts: Iterable[dict[str, Any]] = (), max_attempts: int = 10,
                base_delay: float | None = None, max_delay: float = 2.0,
                sleep: Callable[[float], None] = time.sleep) -> int:
    """Put ``puts`` (models) and ``raw_puts`` (serialized items), delete ``delete_keys``
    (serialized key maps), in batches of 25.

    Returns the number of BatchWriteItem calls made. Raises :class:`BatchIncomplete`
    when items remain unprocessed after ``max_attempts`` rounds (writes are idempotent,
    so the caller retries the whole unit of work).
    """
    table = model_cls.Meta.table_name
    base_delay = settings.batch_base_delay_s if base_delay is None else base_delay
    requests = [{"PutRequest": {"Item": item.serialize()}} for item in puts]
    requests += [{"PutRequest": {"Item": item}} for item in raw_puts]
    requests += [{"DeleteRequest": {"Key": key}} for key in delete_keys]
    client = _client(model_cls)
    calls = 0
    for start in range(0, len(requests), BATCH_WRITE_LIMIT):
        pending = requests[start:start + BATCH_WRITE_LIMIT]
        attempt = 0
        while pending:
            if attempt >= max_attempts:
                raise BatchIncomplete(f"{len(pending)} writes to {table} unprocessed after {attempt} attempts")
            calls += 1
            batch = pending
            response = _call_with_retry(partial(client.batch_write_item, RequestItems={table: batch}),
                                        attempt, max_attempts, base_delay, max_delay, sleep)
            attempt += 1
            if response is None:
                continue
            pending = response.get("UnprocessedItems", {}).get(table, [])
            if pending:
                backoff(attempt, base_delay, max_delay, sleep)
    return calls


def batch_get(model_cls: type[M], keys: Sequence[dict[str, Any]], *, consistent: bool = False,
              max_attempts: int = 10, base_delay: float | None = None, max_delay: float = 2.0,
              sleep: Callable[[float], None] = time.sleep) -> list[M]:
    """Fetch items by serialized key maps (100 per call); missing keys are skipped."""
    table = model_cls.Meta.table_name
    base_delay = settings.batch_base_delay_s if base_delay is None else base_delay
    client = _client(model_cls)
    found: list[M] = []
    unique = list({repr(sorted(k.items())): k for k in keys}.values())
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        pending: list[dict[str, Any]] = unique[start:start + BATCH_GET_LIMIT]
        attempt = 0
        while pending:
            if attempt >= max_attempts:
                raise BatchIncomplete(f"{len(pending)} reads from {table} unprocessed after {attempt} attempts")
            batch = pending
            request = {table: {"Keys": batch, "ConsistentRead": consistent}}
            response = _call_with_retry(partial(client.batch_get_item, RequestItems=request),
                                        attempt, max_attempts, base_delay, max_delay, sleep)
            attempt += 1
            if response is None:
                continue
            found.extend(model_cls.from_raw_data(raw) for raw in response.get("Responses", {}).get(table, []))
            pending = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
            if pending:
                backoff(attempt, base_delay, max_delay, sleep)
    return found


def key_of(model_cls: type[Model], hash_value: Any, range_value: Any = None) -> dict[str, Any]:
    """The serialized key map of one item, for :func:`batch_get` and deletes."""
    hash_attr = model_cls._hash_key_attribute()
    result = {hash_attr.attr_name: {hash_attr.attr_type: hash_attr.serialize(hash_value)}}
    range_attr = model_cls._range_key_attribute()
    if range_attr is not None:
        result[range_attr.attr_name] = {range_attr.attr_type: range_attr.serialize(range_value)}
    return result
