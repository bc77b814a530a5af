"""The WebSocket API's three handlers and the push queue's consumer.

Chalice wraps WebSocket handlers only when they are registered on the app itself (a
blueprint's stay unwrapped), so ``app.py`` registers these three under their own names.

``on_ws_connect`` takes no authorizer in Chalice: the handler checks the one-time
ticket itself and refuses the handshake with 401. Replies to a client's frame (``pong``,
errors) are the ``$default`` handler's answer, which API Gateway sends back on the
route's response; everything else reaches clients through the push worker.
"""

from __future__ import annotations

import json
from typing import Any

from chalice import Blueprint

from chalicelib.domain.messages import parse_push_message
from chalicelib.events.sqs import process_batch
from chalicelib.services import realtime
from chalicelib.store.queues import QUEUES

bp = Blueprint(__name__)
PUSH = QUEUES["push"]


def _query(event: Any) -> dict[str, str]:
    return dict(event.to_dict().get("queryStringParameters") or {})


def websocket_connect(event: Any) -> dict[str, Any]:
    return {"statusCode": realtime.on_connect(event.connection_id, _query(event))}


def websocket_message(event: Any) -> dict[str, Any]:
    reply = realtime.on_message(event.connection_id, event.body or "")
    if reply is None:
        return {"statusCode": 200}
    return {"statusCode": 200, "body": json.dumps(reply, ensure_ascii=False, separators=(",", ":"))}


def websocket_disconnect(event: Any) -> dict[str, Any]:
    realtime.on_disconnect(event.connection_id)
    return {"statusCode": 200}


@bp.on_sqs_message(queue=PUSH.name, batch_size=PUSH.batch_size)
def push_consumer(event: Any) -> dict[str, Any]:
    """Number each frame in its user's event log and post it to the user's connections."""
    return process_batch(event, lambda body: realtime.handle_push(parse_push_message(body)))
