"""Discovery's queue consumers and the daily related-accounts schedule.

03:30 in Asia/Shanghai (19:30 UTC), the quiet hour after grading's and before the
morning's reading.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Cron

from chalicelib.domain.messages import SignalsMessage, SuggestionShardMessage
from chalicelib.events.sqs import process_batch
from chalicelib.services import discovery, suggestion_runs
from chalicelib.store.queues import QUEUES

bp = Blueprint(__name__)

DAILY = Cron(30, 19, "*", "*", "?", "*")


@bp.on_sqs_message(queue=QUEUES["suggestions"].name, batch_size=QUEUES["suggestions"].batch_size,
                   maximum_concurrency=QUEUES["suggestions"].max_concurrency)
def suggestions_consumer(event: Any) -> dict[str, Any]:
    """Compute the related lists of one scan segment of accounts per message."""
    return process_batch(event, lambda body: suggestion_runs.run_shard(SuggestionShardMessage.from_json(body)))


@bp.on_sqs_message(queue=QUEUES["signals"].name, batch_size=QUEUES["signals"].batch_size)
def signals_consumer(event: Any) -> dict[str, Any]:
    """Store commerce signals (partial failures go back to the queue, then to its dead-letter queue)."""
    return process_batch(event, lambda body: discovery.store_signals(SignalsMessage.from_json(body)))


@bp.schedule(DAILY, name="suggestions_daily")
def suggestions_daily(event: Any) -> dict[str, Any]:
    """03:30 (Asia/Shanghai): recompute every account's related accounts and the popular lists."""
    return suggestion_runs.start_daily()
