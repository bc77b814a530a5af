"""Create every table and queue from the models and queue specs the code uses."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3

from chalicelib.config import settings
from chalicelib.store.queues import QUEUES
from chalicelib.store.tables import ALL_MODELS

# Tables and queues are created concurrently: every test starts from a fresh stack, and
# one create call after another was most of a test's setup.
PARALLEL = 8


def create_tables() -> None:
    def create(model: Any) -> None:
        if not model.exists():
            model.create_table(wait=True)

    with ThreadPoolExecutor(PARALLEL) as pool:
        list(pool.map(create, ALL_MODELS))


def create_queues() -> dict[str, str]:
    """Create each queue with its dead-letter queue and redrive policy; returns name → URL."""
    sqs = boto3.client("sqs", region_name=settings.region)

    def create(spec: Any) -> dict[str, str]:
        dlq_url = sqs.create_queue(QueueName=spec.dlq_name)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        url = sqs.create_queue(QueueName=spec.name, Attributes={
            "VisibilityTimeout": str(spec.visibility_timeout_s),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receive_count}),
        })["QueueUrl"]
        return {spec.name: url, spec.dlq_name: dlq_url}

    urls: dict[str, str] = {}
    with ThreadPoolExecutor(PARALLEL) as pool:
        for created in pool.map(create, QUEUES.values()):
            urls.update(created)
    return urls


def bootstrap() -> dict[str, str]:
    create_tables()
    return create_queues()
