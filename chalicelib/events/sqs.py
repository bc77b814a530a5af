"""Running an SQS batch through Powertools' BatchProcessor (partial failures reported)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.domain.errors import NotFound

logger = Logger(service="weitao-workers")


def process_batch(event: Any, handle: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """Call ``handle`` with each record's JSON body; failed records go back to the queue.

    A record whose post no longer exists is logged and dropped (retrying cannot help);
    any other error fails only that record, which SQS redelivers and, after
    ``maxReceiveCount`` tries, moves to the dead-letter queue.
    """
    def record_handler(record: SQSRecord) -> Any:
        try:
            return handle(json.loads(record.body))
        except NotFound as gone:
            logger.warning("dropping message for a missing item", reason=gone.message, message_id=record.message_id)
            return None

    return dict(process_partial_response(event=event.to_dict(), record_handler=record_handler,
                                         processor=BatchProcessor(event_type=EventType.SQS), context=event.context))
