"""SQS consumers and schedules of the post pipeline."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate

from chalicelib.domain.messages import ModerationMessage, parse_fanout_message
from chalicelib.events.sqs import process_batch
from chalicelib.services import pipeline
from chalicelib.store.queues import QUEUES

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=QUEUES["moderation"].name, batch_size=QUEUES["moderation"].batch_size)
def moderation_consumer(event: Any) -> dict[str, Any]:
    """Run the moderation hook chain for each post in the batch."""
    return process_batch(event, lambda body: pipeline.moderate_post(ModerationMessage.from_json(body).post_id))


@bp.on_sqs_message(queue=QUEUES["fanout"].name, batch_size=QUEUES["fanout"].batch_size,
                   maximum_concurrency=QUEUES["fanout"].max_concurrency)
def fanout_consumer(event: Any) -> dict[str, Any]:
    """Deliver one page of followers per message."""
    return process_batch(event, lambda body: pipeline.fan_out_chunk(parse_fanout_message(body)))


@bp.schedule(Rate(1, unit=Rate.MINUTES), name="publish_due")
def publish_due(event: Any) -> dict[str, int]:
    """Publish scheduled posts whose time has come; re-send stalled moderation."""
    return pipeline.publish_due_posts()
