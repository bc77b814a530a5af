"""Running an SQS batch through Powertools' BatchProcessor (partial failures reported)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from chalicelib.domain.errors import NotFound
from chalicelib.observability import BATCH_RECORD_FAILURES, count, log_keys, logger


class MessageLoggingBatchProcessor(BatchProcessor):
    """Powertools' SQS processor whose log line for a failed record (with its traceback) names the message."""

    def failure_handler(self, record: Any, exception: Any) -> Any:
        message_id = record.get("messageId") if isinstance(record, dict) else getattr(record, "message_id", None)
        with log_keys(message_id=str(message_id)):
            return super().failure_handler(record, exception)


def process_batch(event: Any, handle: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """Call ``handle`` with each record's JSON body; failed records go back to the queue.

    A record whose post no longer exists is logged and dropped (retrying cannot help);
    any other error fails only that record, which SQS redelivers and, after
    ``maxReceiveCount`` tries, moves to the dead-letter queue. Every log line of a record
    carries its ``message_id``; a failed record logs its traceback (the processor has the
    logger) and counts in the ``BatchRecordsFailed`` metric.
    """
    def record_handler(record: SQSRecord) -> Any:
        with log_keys(message_id=record.message_id):
            try:
                return handle(json.loads(record.body))
            except NotFound as gone:
                logger.warning("dropping message for a missing item", reason=gone.message)
                return None

    # Powertools documents its own Logger here; the annotation says logging.Logger.
    processor = MessageLoggingBatchProcessor(event_type=EventType.SQS, logger=logger)  # type: ignore[arg-type]
    try:
        return dict(process_partial_response(event=event.to_dict(), record_handler=record_handler,
                                             processor=processor, context=event.context))
    finally:
        count(BATCH_RECORD_FAILURES, len(processor.fail_messages))
