"""Fault injection for tests and benchmarks: what AWS does and moto never does.

Faults are botocore ``before-send`` handlers registered on the clients the code
really uses (every PynamoDB model's client, the SQS sender's client, and the SQS
client of the :class:`ChaosDrain` driver), so the code under test runs unchanged:

- **throttling**: DynamoDB answers ``ProvisionedThroughputExceededException``; nothing
  is applied;
- **ambiguous failure**: the request is applied on the server, then a 500 comes back
  (botocore retries it, so the server sees it twice);
- **UnprocessedItems**: BatchWriteItem applies a random part of the batch and returns
  the rest unprocessed (moto never does);
- **duplicate delivery**: SendMessage delivers the message twice;
- **lost delete**: DeleteMessageBatch answers success but leaves some messages in
  the queue, to come back when their visibility timeout ends;
- **worker crash**: the worker dies after a random number of its handler's store
  calls, before or after that request applied (:class:`WorkerCrash`, a
  ``BaseException`` no handler catches; the driver leaves the batch to its visibility
  timeout). The whole process dies: no call of its other threads (the fan-out's
  writers and announcer) goes out after that.

Runs are reproducible: every choice comes from a seeded random generator, one per
thread, and the crash point counts the handler's own calls.
botocore's retry sleeps are scaled down while faults are active (its decisions —
which errors, how many attempts, the retry quota — stay its own).
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.endpoint
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError
from botocore.httpsession import URLLib3Session
from chalice.app import Chalice, SQSEventConfig
from chalice.local import LambdaContext

from chalicelib.config import settings
from chalicelib.services import background
from local.store_calls import dynamodb_clients, sqs_client
from local.workers import failed_records, sqs_event

_DDB = "com.amazonaws.dynamodb.v20120810#"
_JSON = "application/x-amz-json-1.0"


class WorkerCrash(BaseException):
    """The worker process died mid-record (nothing in the handler can catch this)."""


@dataclass(frozen=True)
class FaultRates:
    throttle: float = 0.0  # per DynamoDB request
    ambiguous: float = 0.0  # per DynamoDB request and SQS send
    unprocessed: float = 0.0  # per BatchWriteItem
    duplicate: float = 0.0  # per SQS send
    lost_delete: float = 0.0  # per message deleted by the driver
    crash: float = 0.0  # per batch a worker receives
    crash_within: int = 40  # a crashing worker dies within this many store calls


class _Raw:
    """Just enough of a urllib3 response for botocore to read a body we made."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_: Any, **__: Any) -> Iterator[bytes]:
        yield self._body


class _ScaledTime:
    """``time`` for botocore's endpoint with retry sleeps scaled down."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds * self.scale)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class FaultInjector:
    """Injects :class:`FaultRates` into the clients it is attached to, while active."""

    def __init__(self, rates: FaultRates, seed: int = 7, retry_sleep_scale: float = 0.02) -> None:
        self.rates = rates
        self.seed = seed
        self._streams = threading.local()
        self.retry_sleep_scale = retry_sleep_scale
        self.injected: Counter[str] = Counter()
        self.lost_receipts: list[tuple[str, str]] = []
        self.enabled = False
        self._http = URLLib3Session()
        self._crash_in: int | None = None
        self._armed_thread: int | None = None  # the thread whose calls count down to the crash
        self.dead = False  # the armed worker crashed: its process, every thread of it, is gone
        self._crash_lock = threading.Lock()
        self._registrations: list[tuple[Any, str, Any]] = []

    @property
    def rng(self) -> random.Random:
        """This thread's generator: a thread's choices do not hang on when the others ran."""
        stream = getattr(self._streams, "rng", None)
        if stream is None:
            stream = self._streams.rng = random.Random(f"{self.seed}:{threading.current_thread().name}")
        return stream

    # -- wiring ---------------------------------------------------------------
    def attach(self) -> FaultInjector:
        """Attach to every PynamoDB model's client and to the SQS sender's client."""
        for client in dynamodb_clients():
            self._register(client, "before-send.dynamodb.*", self._on_dynamodb)
        self._register(sqs_client(), "before-send.sqs.*", self._on_send)
        return self

    def attach_consumer_sqs(self, client: Any) -> None:
        """Attach lost deletes to the SQS client a queue consumer deletes with."""
        self._register(client, "before-send.sqs.DeleteMessageBatch", self._on_delete)

    def detach(self) -> None:
        for client, event, handler in self._registrations:
            client.meta.events.unregister(event, handler)
        self._registrations.clear()

    def _register(self, client: Any, event: str, handler: Any) -> None:
        client.meta.events.register(event, handler)
        self._registrations.append((client, event, handler))

    @contextmanager
    def active(self) -> Iterator[None]:
        """Inject faults inside the block (botocore's retry sleeps scaled meanwhile)."""
        real_time = botocore.endpoint.time
        botocore.endpoint.time = _ScaledTime(self.retry_sleep_scale)  # type: ignore[assignment]
        self.enabled = True
        try:
            yield
        finally:
            self.enabled = False
            botocore.endpoint.time = real_time

    def arm_crash(self) -> None:
        """Decide whether the worker about to run dies, and after how many store calls."""
        crashes = self.rng.random() < self.rates.crash
        self._crash_in = self.rng.randint(1, self.rates.crash_within) if crashes else None
        self._armed_thread, self.dead = threading.get_ident(), False

    def disarm(self) -> None:
        self._crash_in = None
        self.dead = False

    # -- handlers -------------------------------------------------------------
    def _crash_point(self) -> str | None:
        # The handler's own calls count down to the crash, so where it dies does not hang on
        # its other threads (the fan-out announces on one); once it has died, no thread of the
        # process gets another call out.
        with self._crash_lock:
            if self.dead:
                return "before"
            if self._crash_in is None or threading.get_ident() != self._armed_thread:
                return None
            self._crash_in -= 1
            if self._crash_in > 0:
                return None
            self._crash_in, self.dead = None, True
            self.injected["crash"] += 1
            return "after" if self.rng.random() < 0.5 else "before"

    def _on_dynamodb(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse | None:
        if not self.enabled:
            return None
        operation = event_name.rsplit(".", 1)[-1]
        crash = self._crash_point()
        if crash == "before":
            raise WorkerCrash(f"worker died before {operation}")
        roll = self.rng.random()
        response: AWSResponse | None = None
        if roll < self.rates.throttle:
            self.injected["throttle"] += 1
            response = _json_response(request, 400, {
                "__type": f"{_DDB}ProvisionedThroughputExceededException",
                "message": "The level of configured provisioned throughput for the table was exceeded (injected)"})
        elif roll < self.rates.throttle + self.rates.ambiguous:
            self.injected["ambiguous"] += 1
            self._forward(request)
            response = _json_response(request, 500, {"__type": f"{_DDB}InternalServerError",
                                                     "message": "Internal server error (injected after applying)"})
        elif operation == "BatchWriteItem" and self.rng.random() < self.rates.unprocessed:
            self.injected["unprocessed"] += 1
            response = self._partial_batch_write(request)
        if crash == "after":
            if response is None:
                self._forward(request)
            raise WorkerCrash(f"worker died after {operation} applied")
        return response

    def _on_send(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        if not self.enabled or operation not in ("SendMessage", "SendMessageBatch"):
            return None
        crash = self._crash_point()
        if crash == "before":
            raise WorkerCrash(f"worker died before {operation}")
        response: AWSResponse | None = None
        if self.rng.random() < self.rates.ambiguous:
            self.injected["ambiguous_send"] += 1
            self._forward(request)
            response = _json_response(request, 500, {"__type": "InternalError", "message": "injected after sending"})
        elif self.rng.random() < self.rates.duplicate:
            self.injected["duplicate"] += 1
            self._forward(request)  # the extra copy; the real send follows
        if crash == "after":
            if response is None:
                self._forward(request)
            raise WorkerCrash(f"worker died after {operation}")
        return response

    def _on_delete(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        if not self.enabled or not self.rates.lost_delete:
            return None
        body = json.loads(request.body)
        lost = [e for e in body["Entries"] if self.rng.random() < self.rates.lost_delete]
        if not lost:
            return None
        self.injected["lost_delete"] += len(lost)
        kept = [e for e in body["Entries"] if e not in lost]
        if kept:
            self._forward(request, json.dumps({**body, "Entries": kept}).encode())
        self.lost_receipts += [(body["QueueUrl"], e["ReceiptHandle"]) for e in lost]
        return _json_response(request, 200, {"Successful": [{"Id": e["Id"]} for e in body["Entries"]], "Failed": []})

    def _partial_batch_write(self, request: AWSPreparedRequest) -> AWSResponse:
        body = json.loads(request.body)
        kept: dict[str, list[Any]] = {}
        withheld: dict[str, list[Any]] = {}
        for table, writes in body["RequestItems"].items():
            for write in writes:
                (withheld if self.rng.random() < 0.5 else kept).setdefault(table, []).append(write)
        if not withheld:
            table = next(iter(kept))
            withheld[table] = [kept[table].pop()]
            if not kept[table]:
                del kept[table]
        result: dict[str, Any] = {}
        if kept:
            answer = self._forward(request, json.dumps({**body, "RequestItems": kept}).encode())
            result = json.loads(answer.content or b"{}")
        unprocessed = result.get("UnprocessedItems") or {}
        for table, writes in withheld.items():
            unprocessed.setdefault(table, []).extend(writes)
        result["UnprocessedItems"] = unprocessed
        return _json_response(request, 200, result)

    def _forward(self, request: AWSPreparedRequest, body: bytes | None = None) -> AWSResponse:
        """Really send ``request`` (with another body, if given) to the server."""
        if body is not None:
            headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
            headers["Content-Length"] = str(len(body))
            request = AWSPreparedRequest(method=request.method, url=request.url, headers=headers, body=body,
                                         stream_output=False)
        response = self._http.send(request)
        _ = response.content  # read it all: the request is complete on the server
        return response


def _json_response(request: AWSPreparedRequest, status: int, payload: dict[str, Any]) -> AWSResponse:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": _JSON, "Content-Length": str(len(body)), "x-amz-crc32": str(zlib.crc32(body)),
               "x-amzn-RequestId": str(uuid.uuid4())}
    return AWSResponse(request.url, status, headers, _Raw(body))


class ChaosDrain:
    """Drains every queue through the real handlers, as ``local.workers.drain`` does, but
    with the injector's faults: crashed workers leave their batch to the visibility
    timeout, lost deletes leave messages behind, and when the queues look empty the
    pending visibility timeouts are let run out (the messages come back)."""

    def __init__(self, app: Chalice, injector: FaultInjector | None = None,
                 faulty_handlers: tuple[str, ...] | None = None) -> None:
        self.injector = injector
        self.faulty = faulty_handlers
        self.sqs = boto3.client("sqs", region_name=settings.region)
        if injector is not None:
            injector.attach_consumer_sqs(self.sqs)
        self.consumers = []
        for source in app.event_sources:
            if isinstance(source, SQSEventConfig):
                url = self.sqs.get_queue_url(QueueName=source.queue)["QueueUrl"]
                arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
                self.consumers.append((source.name, app.handler_map[source.name], source.queue, url, arn,
                                       min(source.batch_size, 10)))
        self.crashes = 0
        self.handled: list[tuple[str, str]] = []  # (handler, body) of every record handled without error

    def poll(self, name: str, handler: Any, queue_name: str, url: str, arn: str, batch_size: int) -> int:
        """Receive one batch and run it; returns the messages received."""
        background.flush()  # messages a request sent after answering (feed impressions) are in the queue
        messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=batch_size,
                                            AttributeNames=["All"]).get("Messages", [])
        if not messages:
            return 0
        injector = self.injector if self.faulty is None or name in self.faulty else None
        event, context = sqs_event(messages, arn), LambdaContext(name, memory_size=512, max_runtime_ms=900_000)
        try:
            if injector is not None:
                injector.arm_crash()
                with injector.active():
                    result = handler(event, context)
            else:
                result = handler(event, context)
            failed = failed_records(queue_name, result)
        except WorkerCrash:
            self.crashes += 1
            self._expire(url, [m["ReceiptHandle"] for m in messages])  # its visibility timeout runs out
            return len(messages)
        except Exception:
            failed = {m["MessageId"] for m in messages}
        finally:
            if injector is not None:
                injector.disarm()
        done = [m for m in messages if m["MessageId"] not in failed]
        self.handled += [(name, m["Body"]) for m in done]
        if done:
            if injector is not None:
                with injector.active():
                    self._delete(url, done)
            else:
                self._delete(url, done)
        self._expire(url, [m["ReceiptHandle"] for m in messages if m["MessageId"] in failed])
        return len(messages)

    def poll_one(self, handler_name: str) -> int:
        """One batch from one consumer (e.g. to crash a single fan-out message)."""
        for consumer in self.consumers:
            if consumer[0] == handler_name:
                return self.poll(*consumer)
        raise KeyError(handler_name)

    def drain(self, max_batches: int = 20_000) -> int:
        """Run until every queue is empty and no lost delete is pending; returns batches run."""
        batches = 0
        while batches < max_batches:
            got = sum(self.poll(*consumer) for consumer in self.consumers)
            batches += 1
            if got:
                continue
            if self.injector is not None and self.injector.lost_receipts:
                lost, self.injector.lost_receipts = self.injector.lost_receipts, []
                for url, receipt in lost:
                    self._expire(url, [receipt])
                continue
            return batches
        raise RuntimeError(f"queues not drained after {max_batches} batches")

    def _delete(self, url: str, messages: list[dict[str, Any]]) -> None:
        for start in range(0, len(messages), 10):
            self.sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages[start:start + 10])])

    def _expire(self, url: str, receipts: list[str]) -> None:
        for receipt in receipts:
            try:
                self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=receipt, VisibilityTimeout=0)
            except ClientError:
                pass  # already gone (moved to the dead-letter queue or deleted)


def delivered_total(job_id: str) -> int:
    """Inbox entries a finished fan-out job wrote, summed over its chunks (each counted once)."""
    from chalicelib.store.fanout_progress import FanoutProgressModel

    return sum(int(p.delivered) for p in FanoutProgressModel.query(job_id, FanoutProgressModel.chunk >= 0,
                                                                     consistent_read=True))
