"""HTTP middleware: Chalice's own errors (415, unknown method...) in the API.md error shape."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalice import Response

from chalicelib.api.http import error_response

_CODES = {400: "invalid_input", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          413: "payload_too_large", 415: "unsupported_media_type"}


def normalise_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    response = get_response(event)
    if response.status_code < 400:
        return response
    return in_error_shape(response.status_code, response.body, response.headers) or response


def in_error_shape(status: int, body: Any, headers: dict[str, Any], code: str | None = None,
                   message: str | None = None) -> Response | None:
    """An error Chalice (or its local gateway) wrote itself, in the API.md shape; None if already in it."""
    try:
        parsed = json.loads(body) if isinstance(body, (str, bytes)) and body else body
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and "error" in parsed:
        return None
    if message is None and isinstance(parsed, dict):
        message = parsed.get("Message") or parsed.get("message")
    return error_response(status, code or _CODES.get(status, "error"), message or "request refused",
                          headers={k: v for k, v in headers.items() if k.lower() != "content-type"})
