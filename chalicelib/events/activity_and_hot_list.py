"""The activity consumer and the hot-list schedule."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate

from chalicelib.services import activity, hot_list
from chalicelib.store.queues import QUEUES

bp = Blueprint(__name__)
ACTIVITY = QUEUES["activity"]


@bp.on_sqs_message(queue=ACTIVITY.name, batch_size=ACTIVITY.batch_size,
                   maximum_batching_window_in_seconds=ACTIVITY.batching_window_s)
def activity_consumer(event: Any) -> dict[str, Any]:
    """Apply the batch's activity messages, each exactly once.

    The batch succeeds or fails as a whole (merged writes are shared by its messages);
    a redelivery re-applies only what no transaction committed, and a malformed
    message is dropped inside, so it cannot block the rest.
    """
    activity.apply_batch((record.to_dict()["messageId"], record.body) for record in event)
    return {"batchItemFailures": []}


@bp.schedule(Rate(10, unit=Rate.MINUTES), name="hot_list")
def hot_list_job(event: Any) -> dict[str, Any]:
    """Re-rank the recent posts and store the hot lists."""
    return hot_list.rebuild_hot_list()
