"""One segment of a parallel Scan, page by page, with the retries the SDK leaves to us.

Only the grading job scans (its map shards read whole tables once a week or month);
every request path uses keys or Queries. Pages are raw DynamoDB items: the callers
turn the few attributes they project into tuples, which costs far less than building
a PynamoDB model per row on a table of millions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.models import Model

from chalicelib.store.retry import backoff, is_retryable


def scan_segment(model_cls: type[Model], segment: int, total_segments: int, *, projection: list[str],
                 filter_expression: str | None = None, values: dict[str, Any] | None = None,
                 page_limit: int | None = None, max_attempts: int = 8, base_delay: float = 0.05,
                 sleep: Callable[[float], None] = time.sleep) -> Iterator[list[dict[str, Any]]]:
    """Yield the pages of segment ``segment`` of ``total_segments`` of the model's table.

    Parameters
    ----------
    projection
        Attribute names to return (aliased, so reserved words such as ``day`` are fine).
    filter_expression
        A FilterExpression over the aliases ``#a0``, ``#a1``... of ``projection`` (in its
        order) and the placeholders in ``values``; it trims what is sent back, not what
        is read.
    page_limit
        Items evaluated per call (None: DynamoDB's 1 MB pages).

    Raises
    ------
    botocore.exceptions.ClientError
        When a throttling error persists through ``max_attempts`` tries, or any other error.
    """
    client = model_cls._get_connection().connection.client
    request: dict[str, Any] = {
        "TableName": model_cls.Meta.table_name, "Segment": segment, "TotalSegments": total_segments,
        "ProjectionExpression": ", ".join(f"#a{i}" for i in range(len(projection))),
        "ExpressionAttributeNames": {f"#a{i}": name for i, name in enumerate(projection)},
    }
    if filter_expression:
        request["FilterExpression"] = filter_expression
    if values:
        request["ExpressionAttributeValues"] = values
    if page_limit:
        request["Limit"] = page_limit
    attempt = 0
    while True:
        try:
            response = client.scan(**request)
        except ClientError as error:
            attempt += 1
            if not is_retryable(error) or attempt >= max_attempts:
                raise
            backoff(attempt, base_delay, 5.0, sleep)
            continue
        attempt = 0
        yield response.get("Items", [])
        last = response.get("LastEvaluatedKey")
        if not last:
            return
        request["ExclusiveStartKey"] = last
