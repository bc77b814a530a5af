"""Counting store calls per operation with a botocore event hook (tests and benchmarks).

Every PynamoDB model talks to DynamoDB through its own botocore client; a
``before-call`` handler on each of them (and on the SQS sender's client) counts the
API calls made while a :class:`StoreCallCounter` is active, retries included (they
are counted by ``before-send``, once per HTTP request).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.store import queues
from chalicelib.store.tables import ALL_MODELS


def dynamodb_clients() -> list[Any]:
    """The distinct botocore clients the PynamoDB models use."""
    clients: dict[int, Any] = {}
    for model in ALL_MODELS:
        client = model._get_connection().connection.client
        clients[id(client)] = client
    return list(clients.values())


def sqs_client() -> Any:
    """The client :mod:`chalicelib.store.queues` sends with."""
    return queues._client()


class StoreCallCounter:
    """Counts DynamoDB requests by operation (``calls``) and SQS requests (``sqs``)."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.sqs: Counter[str] = Counter()
        self.active = False
        self._attached = False

    def attach(self) -> StoreCallCounter:
        if not self._attached:
            for client in dynamodb_clients():
                client.meta.events.register("before-send.dynamodb.*", self._count_dynamodb)
            sqs_client().meta.events.register("before-send.sqs.*", self._count_sqs)
            self._attached = True
        return self

    def detach(self) -> None:
        if self._attached:
            for client in dynamodb_clients():
                client.meta.events.unregister("before-send.dynamodb.*", self._count_dynamodb)
            sqs_client().meta.events.unregister("before-send.sqs.*", self._count_sqs)
            self._attached = False

    @contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        """Count the calls made inside the block (the counters start from zero)."""
        self.calls.clear()
        self.sqs.clear()
        self.active = True
        try:
            yield self.calls
        finally:
            self.active = False

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Calls made inside the block are not counted (e.g. a baseline's, between counted steps)."""
        active, self.active = self.active, False
        try:
            yield
        finally:
            self.active = active

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def _count_dynamodb(self, event_name: str, **_: Any) -> None:
        if self.active:
            self.calls[event_name.rsplit(".", 1)[-1]] += 1

    def _count_sqs(self, event_name: str, **_: Any) -> None:
        if self.active:
            self.sqs[event_name.rsplit(".", 1)[-1]] += 1
