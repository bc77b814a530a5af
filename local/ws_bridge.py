"""Local stand-in for API Gateway's WebSocket API (``chalice local`` has none).

A ``websockets`` server on loopback that, like API Gateway, turns a handshake into a
``$connect`` event, each text frame into a ``$default`` event (its reply body goes back
on the same socket, as a route response would) and a close into ``$disconnect``, and
calls the very handlers Lambda calls (``app.websocket_handlers``). It is also the
push worker's gateway (``realtime.use_gateway``): what the worker posts to a connection
id is sent on that socket, and an id with no open socket is gone.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aws_lambda_powertools import Logger
from chalice.app import Chalice
from chalice.local import LambdaContext
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response

from chalicelib.config import settings

logger = Logger(service="weitao-local")
API_ID, STAGE = "local", "local"


def ws_event(route_key: str, connection_id: str, body: str | None = None,
             query: dict[str, str] | None = None) -> dict[str, Any]:
    """The event API Gateway passes to a WebSocket route's Lambda."""
    event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route_key, "MESSAGE")
    event: dict[str, Any] = {
        "requestContext": {"routeKey": route_key, "eventType": event_type, "connectionId": connection_id,
                           "domainName": "127.0.0.1", "stage": STAGE, "apiId": API_ID},
        "isBase64Encoded": False,
    }
    if query is not None:
        event["queryStringParameters"] = query or None
    if body is not None:
        event["body"] = body
    return event


def ws_handler(app: Chalice, route_key: str) -> Any:
    """The Lambda handler Chalice registered for a WebSocket route (``$connect``, ``$default``, ``$disconnect``)."""
    return app.handler_map[app.websocket_handlers[route_key].name]


class Bridge:
    """The WebSocket server and the push worker's gateway to its sockets."""

    def __init__(self, app: Chalice, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app, self.host, self.port = app, host, port
        self.sockets: dict[str, ServerConnection] = {}
        self.loop = asyncio.new_event_loop()
        self.server: Server | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="ws-bridge")

    # --- Lambda-shaped calls -------------------------------------------------------------------

    def _call(self, route_key: str, connection_id: str, **kw: Any) -> dict[str, Any]:
        handler = ws_handler(self.app, route_key)
        context = LambdaContext(f"websocket_{route_key.strip('$')}", memory_size=512, max_runtime_ms=29_000)
        return handler(ws_event(route_key, connection_id, **kw), context) or {}

    async def _process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        connection_id = secrets.token_urlsafe(12)
        query = dict(parse_qsl(urlsplit(request.path).query))
        answer = await asyncio.to_thread(self._call, "$connect", connection_id, query=query)
        if answer.get("statusCode", 200) != 200:
            return connection.respond(HTTPStatus(answer["statusCode"]), "refused: a valid ticket is required\n")
        connection.connection_id = connection_id  # type: ignore[attr-defined]
        return None

    async def _serve(self, connection: ServerConnection) -> None:
        connection_id: str = connection.connection_id  # type: ignore[attr-defined]
        self.sockets[connection_id] = connection
        try:
            async for frame in connection:
                text = frame if isinstance(frame, str) else frame.decode("utf-8", "replace")
                answer = await asyncio.to_thread(self._call, "$default", connection_id, body=text)
                if answer.get("body"):
                    await connection.send(answer["body"])
        except Exception:  # a socket dying mid-frame is the client's business
            logger.debug("socket closed", connection_id=connection_id)
        finally:
            self.sockets.pop(connection_id, None)
            await asyncio.to_thread(self._call, "$disconnect", connection_id)

    # --- the gateway the push worker posts through -----------------------------------------------

    def send(self, connection_id: str, text: str) -> bool:
        socket = self.sockets.get(connection_id)
        if socket is None:
            return False
        try:
            asyncio.run_coroutine_threadsafe(socket.send(text), self.loop).result(timeout=5)
            return True
        except Exception:
            return False

    def close(self, connection_id: str) -> None:
        socket = self.sockets.get(connection_id)
        if socket is not None:
            asyncio.run_coroutine_threadsafe(socket.close(), self.loop).result(timeout=5)

    # --- lifecycle ------------------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            self.server = await serve(self._serve, self.host, self.port, process_request=self._process_request)
            self.port = self.server.sockets[0].getsockname()[1]
            self.ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    def start(self) -> Bridge:
        from chalicelib.services import realtime

        self.thread.start()
        self.ready.wait(10)
        realtime.use_gateway(self)
        settings.websocket_url = f"ws://{self.host}:{self.port}/"
        return self

    def stop(self) -> None:
        from chalicelib.services import realtime

        realtime.use_gateway(None)
        if self.server is not None:
            server = self.server

            async def shut() -> None:
                server.close()  # closes the open sockets too (each runs its $disconnect)
                await server.wait_closed()

            try:
                asyncio.run_coroutine_threadsafe(shut(), self.loop).result(timeout=10)
            except Exception:
                logger.warning("WebSocket bridge did not close cleanly", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)

