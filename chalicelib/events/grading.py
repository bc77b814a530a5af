"""The grading queue's consumer and the two grading schedules.

EventBridge crons are UTC; Asia/Shanghai is UTC+8 all year, so 00:05 on the 1st in
Shanghai is 16:05 on the last day of the previous month in UTC (``L``), and Monday
00:10 in Shanghai is Sunday 16:10 UTC.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Cron

from chalicelib.domain.messages import GradingShardMessage
from chalicelib.events.sqs import process_batch
from chalicelib.services import grading, grading_shards
from chalicelib.store.queues import QUEUES

bp = Blueprint(__name__)

MONTHLY = Cron(5, 16, "L", "*", "?", "*")
WEEKLY = Cron(10, 16, "?", "*", "SUN", "*")


@bp.on_sqs_message(queue=QUEUES["grading"].name, batch_size=QUEUES["grading"].batch_size,
                   maximum_concurrency=QUEUES["grading"].max_concurrency)
def grading_consumer(event: Any) -> dict[str, Any]:
    """Run one map or reduce shard of a grading run per message."""
    return process_batch(event, lambda body: grading_shards.run_shard(GradingShardMessage.from_json(body)))


@bp.schedule(MONTHLY, name="grading_monthly")
def grading_monthly(event: Any) -> dict[str, Any]:
    """00:05 on the 1st (Asia/Shanghai): grade every account for the month that just began."""
    return grading.start_scheduled_month()


@bp.schedule(WEEKLY, name="grading_weekly")
def grading_weekly(event: Any) -> dict[str, Any]:
    """Monday 00:10 (Asia/Shanghai): refresh each graded account's status as a warning to its owner."""
    return grading.start_weekly_status()
