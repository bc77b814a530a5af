"""Chalice's local HTTP server, answering its gateway's own refusals in the API.md error shape.

Chalice's local gateway refuses an unknown route (403, like API Gateway's "Missing
Authentication Token") before the app and its middleware run, with a body of its own.
This handler rewrites such refusals into ``{"error": {...}}`` so every error a client
of ``make run`` sees has one shape; errors the app writes pass through untouched.
"""

from __future__ import annotations

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    ForbiddenError,
    LocalChalice,
    LocalDevServer,
    LocalGatewayException,
    ThreadedHTTPServer,
)

from chalicelib.api.middleware import in_error_shape


class ApiRequestHandler(ChaliceRequestHandler):
    def _send_error_response(self, error: LocalGatewayException) -> None:
        headers = dict(error.headers or {})
        # The gateway marks "no such route" this way (an authorizer's refusal is AccessDeniedException).
        unknown_route = error.CODE == 403 and headers.get("x-amzn-ErrorType") == "UnauthorizedException"
        shaped = in_error_shape(error.CODE, error.body, headers, code="unknown_route" if unknown_route else None,
                                message=self._no_route() if unknown_route else None)
        if shaped is None:
            super()._send_error_response(error)
            return
        self._send_http_response(shaped.status_code, dict(shaped.headers), shaped.body)

    def _generic_handle(self) -> None:
        try:
            super()._generic_handle()
        except UnicodeEncodeError:
            # The gateway echoes the Authorization header of an unknown route as ASCII and
            # fails on any other character; answer as it would have, instead of hanging up.
            if getattr(self, "_headers_buffer", None):
                raise  # a response was already started: nothing sane to add
            self._send_error_response(ForbiddenError({"x-amzn-ErrorType": "UnauthorizedException"}, b""))

    def _parse_payload(self):  # type: ignore[no-untyped-def]
        headers, body = super()._parse_payload()
        # dict(self.headers) keeps one of repeated header lines; join them as RFC 9110 does,
        # so the app sees that there were several (two Authorization headers are a 401).
        for name in set(self.headers.keys()):
            values = self.headers.get_all(name) or []
            if len(values) > 1:
                headers[name] = ", ".join(values)
        return headers, body

    # The base class binds its do_* methods to its own _generic_handle; bind them to ours.
    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _no_route(self) -> str:
        return f"no route {self.command} {self.path.split('?', 1)[0]}; the routes are listed in /openapi.json"


class BackloggedHTTPServer(ThreadedHTTPServer):
    # socketserver's default listen backlog is 5: a burst of concurrent clients
    # (a mobile app's retries, the concurrency tests) would be reset at connect.
    request_queue_size = 128


def local_config() -> Config:
    """The ``local`` stage of ``.chalice/config.json``, as ``chalice local`` reads it.

    Its ``lambda_timeout`` (API Gateway's 29 s) gives each request a Lambda context with a
    realistic remaining time, which idempotency uses to let a crashed call's lock lapse.
    """
    from pathlib import Path

    from chalice.cli.factory import CLIFactory

    return CLIFactory(str(Path(__file__).resolve().parent.parent)).create_config_obj(chalice_stage_name="local")


def create_server(app: Chalice, config: Config, host: str, port: int) -> LocalDevServer:
    """Like ``chalice.local.create_local_server``, with :class:`ApiRequestHandler`."""
    if not isinstance(app, LocalChalice):
        # What create_local_server does: current_request becomes per thread.
        CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
        app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=ApiRequestHandler,
                          server_cls=BackloggedHTTPServer)
