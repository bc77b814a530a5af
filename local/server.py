"""Chalice's local HTTP server, answering its gateway's own refusals in the API.md error shape.

Chalice's local gateway refuses an unknown route (403, like API Gateway's "Missing
Authentication Token") before the app and its middleware run, with a body of its own.
This handler rewrites such refusals into ``{"error": {...}}`` so every error a client
of ``make run`` sees has one shape; errors the app writes pass through untouched. The
errors ``http.server`` writes itself (a bad request line, 414, 431, 501) get the same
shape, and a raw UTF-8 request target is read as UTF-8, as API Gateway reads it
(``http.server`` decodes it as latin-1, so ``?q=小米`` would arrive as mojibake).
"""

from __future__ import annotations

import re

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

from chalicelib.api.http import error_response
from chalicelib.api.middleware import in_error_shape

_NON_ASCII = re.compile(rb"[\x80-\xff]")
_SERVER_ERROR_CODES = {400: "bad_request", 408: "request_timeout", 414: "uri_too_long",
                       431: "request_header_fields_too_large", 501: "not_implemented",
                       505: "http_version_not_supported"}


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

    def parse_request(self) -> bool:
        raw = self.raw_requestline
        # http.server splits the latin-1 text of the line on any whitespace, and UTF-8 bytes
        # hold some (NEL is 0x85): parse an ASCII line, then put back the real target.
        self.raw_requestline = _NON_ASCII.sub(lambda byte: b"%%%02X" % byte.group()[0], raw)
        if not super().parse_request():
            return False
        if raw != self.raw_requestline:
            path, sep, query = re.split(rb"[ \t]+", raw.strip())[1].partition(b"?")
            try:
                query.decode("utf-8")
                # The path as API Gateway passes it (decoded); the query stays percent-encoded
                # for the gateway's parse_qs, which decodes it as UTF-8.
                self.path = path.decode("utf-8") + sep.decode() + _NON_ASCII.sub(
                    lambda byte: b"%%%02X" % byte.group()[0], query).decode("ascii")
            except UnicodeDecodeError:
                self.send_error(400, "the request target is not valid UTF-8")
                return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """``http.server``'s own refusals, in the API.md error shape instead of an HTML page."""
        short, _ = self.responses.get(code, ("error", ""))
        text = (message or short).encode("ascii", "backslashreplace").decode("ascii")
        shaped = error_response(code, _SERVER_ERROR_CODES.get(code, "error"), text)
        body = shaped.body.encode("utf-8") if isinstance(shaped.body, str) else bytes(shaped.body)
        self.log_error("code %d, message %s", code, text)
        # A line too broken to name its version counts as HTTP/0.9, which gets no status
        # line and no headers: answer it as HTTP/1.0, so the client sees the status and JSON.
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
        self.send_response(code, short)
        for name, value in shaped.headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)
        self.close_connection = True
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
