"""Middleware that makes every request and event traceable: request ids, log keys, metrics.

Every HTTP response carries ``X-Request-Id`` (API Gateway's request id when deployed, a
fresh one locally) and every error body the same id as ``request_id``; every log line
written while the request runs carries it too. Queue consumers and schedules log with
Lambda's request id (each SQS record adds its message id, see ``events/sqs.py``). The
metrics a call gathered are written as one EMF line when it ends.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib.observability import flush_metrics, log_keys

REQUEST_ID_HEADER = "X-Request-Id"


def request_id_of(context: dict[str, Any] | None) -> str:
    return str((context or {}).get("requestId") or uuid.uuid4())


def observe_request(event: Any, get_response: Callable[[Any], Response]) -> Response:
    request_id = request_id_of(event.context)
    with log_keys(request_id=request_id):
        try:
            response = get_response(event)
        finally:
            flush_metrics()
    response.headers[REQUEST_ID_HEADER] = request_id
    if response.status_code >= 400:
        response.body = with_request_id(response.body, request_id)
    return response


def with_request_id(body: Any, request_id: str) -> Any:
    """An error body (API.md's shape) with ``request_id`` next to ``code``; any other body unchanged."""
    try:
        parsed = json.loads(body) if isinstance(body, (str, bytes)) and body else body
    except ValueError:
        return body
    if not (isinstance(parsed, dict) and isinstance(parsed.get("error"), dict)):
        return body
    parsed["error"]["request_id"] = request_id
    return json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))


def observe_event(event: Any, get_response: Callable[[Any], Any]) -> Any:
    """Queue messages and schedules: Lambda's request id on every log line, metrics flushed at the end."""
    context = getattr(event, "context", None)
    request_id = getattr(context, "aws_request_id", None) or str(uuid.uuid4())
    with log_keys(lambda_request_id=request_id):
        try:
            return get_response(event)
        finally:
            flush_metrics()
