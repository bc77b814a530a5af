"""One logger, one metrics namespace and one tracer for every function of the app.

The service name comes from ``POWERTOOLS_SERVICE_NAME`` (Powertools reads it), so every
log line and metric of the API, the queue consumers and the schedules carries the same
one. Metrics are CloudWatch EMF lines on stdout: Lambda ships them to CloudWatch, and
locally they show in ``make run``'s output. The tracer is a no-op outside Lambda.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric

# Powertools reads POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE itself; every stage
# sets both (.chalice/config.json, local/environment.py), the namespace below is the fallback.
NAMESPACE = "weitao"

logger = Logger()
metrics = Metrics()
metrics.namespace = metrics.namespace or NAMESPACE
# Made once so Powertools patches boto3: every AWS call is an X-Ray subsegment (no-op outside Lambda).
tracer = Tracer()

# The business metrics, by name (the dashboard in infra/ plots these).
POSTS_CREATED = "PostsCreated"
POSTS_REJECTED = "PostsRejected"
POSTS_HELD = "PostsHeldForReview"
QUOTA_REFUSALS = "QuotaRefusals"
FANOUT_ENTRIES = "FanoutEntriesWritten"
FANOUT_PAGES = "FanoutPagesWritten"
BATCH_RECORD_FAILURES = "BatchRecordsFailed"
ACCOUNTS_GRADED = "AccountsGraded"
NOTIFICATIONS_SENT = "NotificationsSent"
PUSHES_SENT = "PushesSent"
BUSINESS_METRICS = (POSTS_CREATED, POSTS_REJECTED, POSTS_HELD, QUOTA_REFUSALS, FANOUT_ENTRIES, FANOUT_PAGES,
                    BATCH_RECORD_FAILURES, ACCOUNTS_GRADED, NOTIFICATIONS_SENT, PUSHES_SENT)


def count(name: str, value: int = 1, **dimensions: str) -> None:
    """Add ``value`` to the business metric ``name`` (one of :data:`BUSINESS_METRICS`).

    With ``dimensions`` (``hook="banned_words"``) the metric goes out as its own EMF
    line at once, so one dimension never leaks onto the other metrics of the call.
    """
    if value <= 0:
        return
    if dimensions:
        with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=metrics.namespace,
                           default_dimensions=metrics.default_dimensions) as single:
            for key, dimension in dimensions.items():
                single.add_dimension(name=key, value=dimension)
        return
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush_metrics() -> None:
    """Write the metrics gathered so far as one EMF line (nothing when there are none)."""
    if metrics.metric_set:
        metrics.flush_metrics()


@contextmanager
def log_keys(**keys: str) -> Iterator[None]:
    """Every log line inside carries ``keys`` (a request id, a message id), in this thread only."""
    logger.thread_safe_append_keys(**keys)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(list(keys))
