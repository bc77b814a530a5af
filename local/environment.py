"""Environment for running against the embedded moto server (local runs and tests).

Call :func:`point_at` before importing anything from ``chalicelib``: settings and
PynamoDB models read the environment at import time.
"""

from __future__ import annotations

import copy
import functools
import gc
import json
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import moto.dynamodb.models as moto_dynamodb
from moto.core.utils import camelcase_to_underscores
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.server import ThreadedMotoServer
from moto.sqs.models import Queue, SQSBackend

REGION = "ap-southeast-1"


_WRITE_LOCK = threading.RLock()


def _serialise_dynamodb_writes() -> None:
    """Make moto's DynamoDB writes atomic with respect to each other, as DynamoDB's are.

    moto backs up whole tables before a transaction and restores them when a condition
    fails, so a concurrent write that landed in between is silently undone (a lost
    ``ADD``). One lock around every mutating call restores AWS's guarantee locally.
    """
    for name in ("transact_write_items", "put_item", "update_item", "delete_item"):
        original = getattr(DynamoDBBackend, name)
        if getattr(original, "_serialised", False):
            continue

        def locked(*args, __original=original, **kwargs):  # type: ignore[no-untyped-def]
            with _WRITE_LOCK:
                return __original(*args, **kwargs)

        locked = functools.wraps(original)(locked)
        locked._serialised = True  # type: ignore[attr-defined]
        setattr(DynamoDBBackend, name, locked)


class _NoTableCopies:
    """``copy`` as moto's transaction code sees it: a table "backup" is the table itself.

    moto deep-copies every table a transaction names, once per item (a 100-item
    transaction on one table copies it 100 times), so a transaction cost O(items x table
    size) and slowed down as the tables grew. :func:`_back_up_touched_items` keeps the
    items the transaction touches instead and puts them back when it is cancelled.
    """

    @staticmethod
    def deepcopy(value: object, memo: dict[int, object] | None = None) -> object:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def _touched_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """``(table, hash value, range value, a copy of the item or None)`` for each item named."""
    touched = []
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        table = backend.get_table(op["TableName"])
        key = op["Item"] if "Item" in op else op["Key"]
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        touched.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
    return touched


def _put_back(touched: list[tuple[Any, ...]]) -> None:
    for table, hash_value, range_value, item in reversed(touched):
        if item is None:
            table.delete_item(hash_value, range_value)
        elif range_value is not None:
            table.items[hash_value][range_value] = item
        else:
            table.items[hash_value] = item


def _back_up_touched_items() -> None:
    """A transaction backs up the items it names, not whole tables (see :class:`_NoTableCopies`).

    Under the write lock the transaction is alone. Its items are copied before moto
    runs it with no table copies; when moto cancels it (a condition failed, an invalid
    write), every item it named is put back as it was. A request whose items cannot be
    read that way (a missing table or key) runs as moto runs it, and fails as moto does.
    """
    original = DynamoDBBackend.transact_write_items
    if getattr(original, "_touched_only", False):
        return

    def backed_up(self, transact_items):  # type: ignore[no-untyped-def]
        with _WRITE_LOCK:  # the swap below is seen by this call alone
            try:
                touched = _touched_items(self, transact_items)
            except Exception:
                return original(self, transact_items)
            moto_dynamodb.copy = _NoTableCopies()  # type: ignore[assignment]
            try:
                return original(self, transact_items)
            except BaseException:
                _put_back(touched)
                raise
            finally:
                moto_dynamodb.copy = copy

    backed_up = functools.wraps(original)(backed_up)
    backed_up._touched_only = True  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = backed_up  # type: ignore[method-assign]


def _size_sets_directly() -> None:
    """The same sizes as moto's, without building a ``DynamoType`` per set member.

    moto sizes every item a Query returns (twice) and, for a set, wraps each member in
    a new ``DynamoType`` to size it: a fan roster page of 1,000 followers costs more to
    size than to serialise. A member of a string or binary set is its byte length, of a
    number set the length of its text, exactly as moto counts it.
    """
    original = DynamoType.size
    if getattr(original, "_direct_sets", False):
        return

    @functools.wraps(original)
    def size(self: DynamoType) -> int:
        if self.type == "NS":
            return sum(len(str(member)) for member in self.value)
        if self.type in ("SS", "BS"):
            return sum(bytesize(member) for member in self.value)
        return original(self)

    size._direct_sets = True  # type: ignore[attr-defined]
    DynamoType.size = size  # type: ignore[method-assign]


_QUERIED = threading.local()


def _query_one_partition() -> None:
    """A Query reads the partition it names, not the whole table.

    moto's ``Table.query`` lists every item of the table and keeps those of the queried
    hash key, so a Query costs O(table) where DynamoDB's costs O(partition): on a big
    inbox every feed read would slow the whole server. For the table itself and its
    local indexes (same hash key) the candidates are the partition's own items; a
    global index still lists the table. The answers are the same items, in the same order.
    """
    original_query, original_items = Table.query, Table.all_items
    if getattr(original_query, "_one_partition", False):
        return

    @functools.wraps(original_query)
    def query(self: Table, hash_key, *args, **kwargs):  # type: ignore[no-untyped-def]
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        local = index_name is None or any(i.name == index_name for i in self.indexes or ())
        if hash_key is None or not local:
            return original_query(self, hash_key, *args, **kwargs)
        _QUERIED.scope = (self, hash_key)
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            _QUERIED.scope = None

    @functools.wraps(original_items)
    def all_items(self: Table) -> list:  # type: ignore[type-arg]
        scope = getattr(_QUERIED, "scope", None)
        if scope is None or scope[0] is not self:
            return original_items(self)
        partition = self.items.get(scope[1])  # .get: the table's defaultdict must not grow
        if partition is None:
            return []
        return list(partition.values()) if self.range_key_attr else [partition]

    query._one_partition = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]
    Table.all_items = all_items  # type: ignore[method-assign]


def _collect_old_objects_rarely() -> None:
    """Full garbage collections only after 1,000 young ones (Python's default: 10).

    moto keeps the whole database as Python objects, about ten per item, and a full
    collection walks every one of them: about a second per million items, stalling every
    request at a moment none of them chose (a bench round that met one ran 30% slower).
    Stored items hold no reference cycles; the young generations, where a request's
    garbage is, are collected as usual.
    """
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 1000)


def _remember_each_hosts_backend() -> None:
    """Find a host's backend once, not on every request.

    For every request moto lists its own package directory (a ``stat`` per service) and
    tries hundreds of URL patterns to learn which backend serves the host, all under one
    lock that every request in the server queues for. The answer for a host never changes.
    """
    original = DomainDispatcherApplication.get_backend_for_host
    if getattr(original, "_remembered", False):
        return
    known: dict[str | None, object] = {}

    @functools.wraps(original)
    def get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> object:
        if host not in known:
            known[host] = original(self, host)
        return known[host]

    get_backend_for_host._remembered = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign]


class _QueueAttributes(Mapping[str, Any]):
    """A queue's attributes as moto's ``Queue.attributes`` gives them, each one worked out when read."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        names = list(queue.BASE_ATTRIBUTES)
        names += queue.FIFO_ATTRIBUTES if queue.fifo_queue else []
        names += queue.KMS_ATTRIBUTES if queue.kms_master_key_id else []  # type: ignore[attr-defined]
        self.names = dict.fromkeys(names)

    def __getitem__(self, name: str) -> Any:
        if name not in self.names:
            raise KeyError(name)
        if name == "RedrivePolicy" and self.queue.redrive_policy:
            return json.dumps(self.queue.redrive_policy)
        value = getattr(self.queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


def _read_queue_attributes_when_asked() -> None:
    """Work out a queue attribute only when it is read.

    moto's ``Queue.attributes`` builds every attribute, counting the queue's messages
    three times over, and ``send_message`` reads one of them (``ContentBasedDeduplication``)
    for every message: a send cost O(queue depth), 700 ms per batch of 10 behind 3,000
    messages. Reading one attribute now costs one attribute.
    """
    Queue.attributes = _ATTRIBUTES_WHEN_ASKED  # type: ignore[method-assign,assignment]


_MOTO_QUEUE_ATTRIBUTES = Queue.__dict__["attributes"]  # the tests compare the two
_ATTRIBUTES_WHEN_ASKED = property(_QueueAttributes)


def _change_a_queue_one_call_at_a_time() -> None:
    """Make moto's receive, delete and visibility change atomic per queue, as SQS's are.

    moto's ``delete_message`` rebuilds the queue's message list from a snapshot without
    its lock: two deletes at once (two pollers of one queue) each put back the message
    the other removed, and a message sent meanwhile is dropped. A deleted message came
    back after its visibility timeout (a ``make bench-load`` run found 38 held in flight).
    The queue's own lock now guards those calls; a long-polling receive still releases it
    while it waits (the lock is the condition a send notifies).
    """
    def on_queue(original):  # type: ignore[no-untyped-def]
        if getattr(original, "_one_at_a_time", False):
            return original

        @functools.wraps(original)
        def locked(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            queue = self if isinstance(self, Queue) else self.get_queue(args[0] if args else kwargs["queue_name"])
            with queue._messages_lock:
                return original(self, *args, **kwargs)

        locked._one_at_a_time = True  # type: ignore[attr-defined]
        return locked

    Queue.delete_message = on_queue(Queue.delete_message)  # type: ignore[method-assign]
    for name in ("receive_message", "change_message_visibility"):
        setattr(SQSBackend, name, on_queue(getattr(SQSBackend, name)))


def patch_moto() -> None:
    """What every moto this project starts needs (``make run``, tests, benches' moto process)."""
    _serialise_dynamodb_writes()
    _back_up_touched_items()
    _size_sets_directly()
    _query_one_partition()
    _collect_old_objects_rarely()
    _remember_each_hosts_backend()
    _read_queue_attributes_when_asked()
    _change_a_queue_one_call_at_a_time()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def start_moto(port: int = 0) -> tuple[ThreadedMotoServer, str]:
    """Start moto on loopback; returns the server and its endpoint URL."""
    patch_moto()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    host, bound = server.get_host_and_port()
    return server, f"http://{host}:{bound}"


def point_at(endpoint: str, stage: str = "local") -> None:
    """Send every AWS SDK call to ``endpoint`` with fake credentials and one region."""
    os.environ.update({
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "STAGE": stage,
        "POWERTOOLS_SERVICE_NAME": "weitao",
        "POWERTOOLS_METRICS_NAMESPACE": "weitao",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    })
    os.environ.setdefault("AUTH_MODE", "hs256")
