"""Create every table and queue from the models and queue specs the code uses."""

from __future__ import annotations

import json

import boto3

from chalicelib.config import settings
from chalicelib.store.queues import QUEUES
from chalicelib.store.tables import ALL_MODELS


def create_tables() -> None:
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True)


def create_queues() -> dict[str, str]:
    """Create each queue with its dead-letter queue and redrive policy; returns name → URL."""
    sqs = boto3.client("sqs", region_name=settings.region)
    urls = {}
    for spec in QUEUES.values():
        dlq_url = sqs.create_queue(QueueName=spec.dlq_name)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        urls[spec.name] = sqs.create_queue(QueueName=spec.name, Attributes={
            "VisibilityTimeout": str(spec.visibility_timeout_s),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}),
        })["QueueUrl"]
        urls[spec.dlq_name] = dlq_url
    return urls


def bootstrap() -> dict[str, str]:
    create_tables()
    return create_queues()
