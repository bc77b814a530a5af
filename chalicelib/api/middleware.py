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
    body = response.body
    try:
        parsed = json.loads(body) if isinstance(body, (str, bytes)) else body
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and "error" in parsed:
        return response
    message = (parsed or {}).get("Message") or (parsed or {}).get("message") if isinstance(parsed, dict) else None
    return error_response(response.status_code, _CODES.get(response.status_code, "error"),
                          message or "request refused", headers={k: v for k, v in response.headers.items()
                                                                  if k.lower() != "content-type"})
