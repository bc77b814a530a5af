"""The SQS queues of the pipeline and the one way messages are sent to them.

``QUEUES`` is read by the local runner (to create queues and their DLQs) and by the
deployment templates, so both agree with the consumers registered in ``app.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import boto3

from chalicelib.config import settings


@dataclass(frozen=True)
class QueueSpec:
    """One SQS queue and its dead-letter queue, and how the Lambda consumer reads it (infra and local build from it)."""

    name: str
    consumer_timeout_s: int
    batch_size: int
    max_receive_count: int = 5
    # Bounded so one huge post cannot take every Lambda (and write unit) in the account.
    max_concurrency: int | None = None
    # Seconds Lambda gathers messages before invoking (needed for batches over 10).
    batching_window_s: int = 0
    # The consumer answers with ``batchItemFailures`` (Powertools' partial response), so its
    # event source mapping needs ``ReportBatchItemFailures``: without it Lambda ignores
    # the answer and retries or deletes the whole batch.
    reports_partial_failures: bool = False

    @property
    def visibility_timeout_s(self) -> int:
        # AWS's advice for Lambda consumers: at least 6x the function timeout.
        return 6 * self.consumer_timeout_s

    @property
    def dlq_name(self) -> str:
        return f"{self.name}-dlq"


QUEUES = {
    "moderation": QueueSpec(settings.moderation_queue, consumer_timeout_s=60, batch_size=10,
                            reports_partial_failures=True),
    # Concurrency from the capacity model (infra.capacity.fanout_concurrency_needed, docs/capacity.md):
    # at the seeds' scale fan-out keeps about 23.5 executions busy on average (26.1 pages/s x 0.9 s, fan-out
    # on write for every account, the worst case, auto 上新's system posts included); the evening peak is 3x
    # that, so 71. Below it the queue
    # would grow all evening; the bound still keeps one huge post from taking every Lambda and write unit.
    "fanout": QueueSpec(settings.fanout_queue, consumer_timeout_s=120, batch_size=5, max_concurrency=71,
                        reports_partial_failures=True),
    # One message per feed page, read, like...; the consumer merges a batch into one
    # write per counter item, so big batches mean fewer writes to hot account-day items.
    # The batch succeeds or fails as a whole (an empty ``batchItemFailures``, or an error).
    "activity": QueueSpec(settings.queue("activity"), consumer_timeout_s=60, batch_size=100, batching_window_s=5,
                          reports_partial_failures=True),
    # One grading shard per message (services/grading_shards.py); bounded so a run does not
    # take every write unit of the account.
    "grading": QueueSpec(settings.queue("grading"), consumer_timeout_s=600, batch_size=1, max_concurrency=50,
                         reports_partial_failures=True),
    # One related-accounts shard per message (services/suggestion_runs.py).
    "suggestions": QueueSpec(settings.queue("suggestions"), consumer_timeout_s=600, batch_size=1, max_concurrency=20,
                             reports_partial_failures=True),
    # Commerce signals from the shop platform, up to 100 per message.
    "signals": QueueSpec(settings.queue("signals"), consumer_timeout_s=60, batch_size=10,
                         reports_partial_failures=True),
    # Auto 上新: chunks of up to 50 listing events, and window closes (services/new_products.py).
    "new_products": QueueSpec(settings.queue("new-products"), consumer_timeout_s=120, batch_size=10,
                              reports_partial_failures=True),
    # One message per notification event; a batch merges the events of one group (many
    # likes of one post) into one write of the group (services/notifications.py).
    "notifications": QueueSpec(settings.queue("notifications"), consumer_timeout_s=60, batch_size=100,
                               batching_window_s=1, reports_partial_failures=True),
    # Frames to push to connected users (services/realtime.py), after the inbox and
    # notification writes they announce.
    "push": QueueSpec(settings.queue("push"), consumer_timeout_s=60, batch_size=10, reports_partial_failures=True),
}


def key_of_queue(queue_name: str) -> str | None:
    """The :data:`QUEUES` key of the queue named ``queue_name`` (a consumer's ``queue=``), None if unknown."""
    return next((key for key, spec in QUEUES.items() if spec.name == queue_name), None)


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("sqs", region_name=settings.region)


@cache
def queue_url(name: str) -> str:
    return _client().get_queue_url(QueueName=name)["QueueUrl"]


def send(queue: str, message: dict[str, Any]) -> None:
    """Send one JSON message to the queue named ``queue`` (a key of :data:`QUEUES`)."""
    _client().send_message(QueueUrl=queue_url(QUEUES[queue].name),
                           MessageBody=json.dumps(message, ensure_ascii=False))


def send_later(queue: str, message: dict[str, Any], delay_s: int) -> None:
    """Send one JSON message that becomes visible after ``delay_s`` seconds (at most 900)."""
    _client().send_message(QueueUrl=queue_url(QUEUES[queue].name),
                           MessageBody=json.dumps(message, ensure_ascii=False), DelaySeconds=delay_s)


def send_many(queue: str, messages: list[dict[str, Any]]) -> None:
    """Send messages in SendMessageBatch calls of 10."""
    url = queue_url(QUEUES[queue].name)
    for start in range(0, len(messages), 10):
        entries = [{"Id": str(i), "MessageBody": json.dumps(m, ensure_ascii=False)}
                   for i, m in enumerate(messages[start:start + 10])]
        failed = _client().send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
        if failed:
            raise RuntimeError(f"{len(failed)} messages to {queue} were not accepted: {failed[0]}")
