"""Local stand-in for Lambda's event sources: SQS pollers and schedule timers.

``chalice local`` serves routes but ignores ``on_sqs_message`` and ``schedule``.
These workers receive from the real (moto) queues, build Lambda-shaped events from
the real messages, call the very handler Lambda would call (``app.handler_map``),
delete what succeeded (honouring ``batchItemFailures``), and fire schedules.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
from chalice.app import Chalice, Rate, ScheduledEventConfig, SQSEventConfig
from chalice.local import LambdaContext

from chalicelib.config import settings
from chalicelib.observability import logger
from chalicelib.services import background
from chalicelib.store import queues
from local.cron import cron_matches, rate_seconds

# Failed records become visible again after this long (Lambda would wait for the
# queue's full visibility timeout; locally we retry sooner).
LOCAL_RETRY_DELAY_S = 1


def _sqs() -> Any:
    return boto3.client("sqs", region_name=settings.region)


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS event source would pass for ``messages``."""
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": {k: str(v) for k, v in m.get("Attributes", {}).items()},
        "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn, "awsRegion": settings.region,
    } for m in messages]}


def failed_records(queue_name: str, result: Any) -> set[str]:
    """The message ids a handler's answer reports failed, as Lambda reads it: only when the
    queue's event source reports partial failures (``QueueSpec``), else the answer is ignored."""
    key = queues.key_of_queue(queue_name)
    if key is None or not queues.QUEUES[key].reports_partial_failures or not isinstance(result, dict):
        return set()
    return {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}


class QueueConsumer:
    """One SQS event source: receive a batch, invoke the handler, settle the messages."""

    def __init__(self, app: Chalice, source: SQSEventConfig, retry_delay_s: int = LOCAL_RETRY_DELAY_S) -> None:
        self.handler = app.handler_map[source.name]
        self.name = source.name
        self.queue_name = source.queue
        self.batch_size = min(source.batch_size, 10)
        self.retry_delay_s = retry_delay_s
        sqs = _sqs()
        self.url = sqs.get_queue_url(QueueName=source.queue)["QueueUrl"]
        self.arn = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def poll_once(self, wait_s: int = 0) -> int:
        """Process one batch; returns the number of messages received."""
        background.flush()  # messages a request sent after answering (feed impressions) are in the queue
        sqs = _sqs()
        messages = sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=self.batch_size,
                                       WaitTimeSeconds=wait_s, AttributeNames=["All"]).get("Messages", [])
        if not messages:
            return 0
        context = LambdaContext(self.name, memory_size=512, max_runtime_ms=900_000)
        try:
            failed = failed_records(self.queue_name, self.handler(sqs_event(messages, self.arn), context))
        except Exception:
            logger.exception("handler failed for the whole batch", handler=self.name)
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            sqs.delete_message_batch(QueueUrl=self.url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start:start + 10])])
        for m in messages:
            if m["MessageId"] in failed:
                sqs.change_message_visibility(QueueUrl=self.url, ReceiptHandle=m["ReceiptHandle"],
                                              VisibilityTimeout=self.retry_delay_s)
        return len(messages)


class Schedule:
    """One ``@app.schedule``: a rate or an EventBridge cron, fired from a timer."""

    def __init__(self, app: Chalice, source: ScheduledEventConfig) -> None:
        self.handler = app.handler_map[source.name]
        self.name = source.name
        expression = source.schedule_expression
        self.rate_s = None
        if isinstance(expression, Rate):
            self.rate_s = rate_seconds(expression.to_string())
            self.cron = None
        else:
            self.cron = expression if isinstance(expression, str) else expression.to_string()
        self.last_fired = time.monotonic()
        self.last_minute: datetime | None = None

    def due(self, now_utc: datetime) -> bool:
        if self.rate_s is not None:
            return time.monotonic() - self.last_fired >= self.rate_s
        minute = now_utc.replace(second=0, microsecond=0)
        return minute != self.last_minute and cron_matches(self.cron or "", minute)

    def fire(self, now_utc: datetime) -> Any:
        self.last_fired = time.monotonic()
        self.last_minute = now_utc.replace(second=0, microsecond=0)
        return self.handler(scheduled_event(self.name, now_utc),
                            LambdaContext(self.name, memory_size=512, max_runtime_ms=900_000))


def scheduled_event(name: str, now_utc: datetime) -> dict[str, Any]:
    """The event EventBridge passes to a scheduled Lambda."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": now_utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": settings.region,
            "resources": [f"arn:aws:events:{settings.region}:123456789012:rule/{name}"], "detail": {}}


def fire_schedule(app: Chalice, name: str) -> Any:
    """Run one ``@app.schedule`` handler now (tests, CLI)."""
    return app.handler_map[name](scheduled_event(name, datetime.now(UTC)),
                                 LambdaContext(name, memory_size=512, max_runtime_ms=900_000))


def consumers(app: Chalice) -> list[QueueConsumer]:
    return [QueueConsumer(app, s) for s in app.event_sources if isinstance(s, SQSEventConfig)]


def schedules(app: Chalice) -> list[Schedule]:
    return [Schedule(app, s) for s in app.event_sources if isinstance(s, ScheduledEventConfig)]


def drain(app: Chalice, max_batches: int = 10_000, retry_delay_s: int = 0) -> int:
    """Process every queue until all are empty (tests); returns the batches handled."""
    queue_consumers = [QueueConsumer(app, s, retry_delay_s) for s in app.event_sources
                       if isinstance(s, SQSEventConfig)]
    batches = 0
    while batches < max_batches:
        got = sum(c.poll_once() for c in queue_consumers)
        if not got:
            return batches
        batches += 1
    raise RuntimeError(f"queues not drained after {max_batches} batches")


# Lambda runs several batches of one queue at once (its SQS pollers scale out); two
# pollers a queue keep that concurrency locally (a push batch does not wait for the one
# before it) without crowding a small machine.
POLLERS_PER_QUEUE = 2


class Workers:
    """Background threads: :data:`POLLERS_PER_QUEUE` pollers per queue and one schedule timer."""

    def __init__(self, app: Chalice) -> None:
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self._poll, args=(c,), daemon=True, name=f"sqs-{c.name}-{n}")
                        for c in consumers(app) for n in range(POLLERS_PER_QUEUE)]
        self.threads.append(threading.Thread(target=self._tick, args=(schedules(app),), daemon=True,
                                             name="schedules"))

    def _poll(self, consumer: QueueConsumer) -> None:
        while not self.stop_event.is_set():
            try:
                # A long poll: moto answers as soon as a message arrives (or after 1 s), so
                # an idle queue costs one receive a second and a new message waits for none.
                consumer.poll_once(wait_s=1)
            except Exception:
                logger.exception("poller error", handler=consumer.name)
                self.stop_event.wait(1)

    def _tick(self, items: list[Schedule]) -> None:
        while not self.stop_event.wait(1):
            now = datetime.now(UTC)
            for schedule in items:
                if schedule.due(now):
                    try:
                        schedule.fire(now)
                    except Exception:
                        logger.exception("schedule failed", schedule=schedule.name)

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=5)
