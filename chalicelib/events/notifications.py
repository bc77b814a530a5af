"""The notifications queue's consumer."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from chalice import Blueprint

from chalicelib.domain.notifications import NotificationEvent
from chalicelib.events.sqs import process_batch
from chalicelib.services import notifications
from chalicelib.store.queues import QUEUES

bp = Blueprint(__name__)
logger = Logger(service="weitao-notifications")
NOTIFICATIONS = QUEUES["notifications"]


@bp.on_sqs_message(queue=NOTIFICATIONS.name, batch_size=NOTIFICATIONS.batch_size,
                   maximum_batching_window_in_seconds=NOTIFICATIONS.batching_window_s)
def notifications_consumer(event: Any) -> dict[str, Any]:
    """Store the batch's notification events, each group's events merged into one write.

    Applying an event twice changes nothing, so when the merged pass fails the batch
    is simply applied again record by record, and only the records that fail then
    go back to the queue (and, after their retries, to the dead-letter queue).
    """
    try:
        notifications.apply_events([NotificationEvent.from_json(json.loads(record.body)) for record in event])
        return {"batchItemFailures": []}
    except Exception:
        logger.warning("merged notification batch failed; applying record by record", exc_info=True)
    return process_batch(event, lambda body: notifications.apply_events([NotificationEvent.from_json(body)]))
