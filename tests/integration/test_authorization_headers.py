"""A request with two Authorization headers is a 401, whichever of them is valid."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from chalice.local import LambdaContext

from app import app
from chalicelib.auth import issue_dev_token


def _gateway_event(authorizations: list[str]) -> dict:
    # What API Gateway (REST, v1 payload) hands Lambda: the last value in headers, all in multiValueHeaders
    return {"resource": "/me/following", "path": "/me/following", "httpMethod": "GET",
            "requestContext": {"httpMethod": "GET", "resourcePath": "/me/following", "path": "/api/me/following",
                               "identity": {"sourceIp": "203.0.113.9"}},
            "headers": {"Authorization": authorizations[-1]},
            "multiValueHeaders": {"Authorization": authorizations},
            "pathParameters": None, "multiValueQueryStringParameters": None, "queryStringParameters": None,
            "stageVariables": None, "body": None, "isBase64Encoded": False}


def test_two_authorization_headers_in_a_gateway_event_are_401(stack) -> None:
    good = f"Bearer {issue_dev_token('u1')}"
    context = LambdaContext("api_handler", memory_size=1024, max_runtime_ms=29_000)
    # Given a valid token alone, the route answers
    assert app(_gateway_event([good]), context)["statusCode"] == 200
    # When the same request carries a second Authorization header (even the same token twice)
    for second in (f"Bearer {issue_dev_token('u2')}", good):
        answer = app(_gateway_event([good, second]), context)
        # Then it is refused in the API.md error shape
        assert answer["statusCode"] == 401
        assert json.loads(answer["body"])["error"]["code"] == "unauthenticated"


def test_two_authorization_headers_on_the_local_server_are_401(http_base) -> None:
    parts = urlsplit(http_base)
    good = f"Bearer {issue_dev_token('u1')}"

    def call(*authorizations: str) -> int:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        connection.putrequest("GET", "/me/following")
        for value in authorizations:
            connection.putheader("Authorization", value)
        connection.endheaders()
        status = connection.getresponse().status
        connection.close()
        return status

    assert call(good) == 200
    assert call(good, f"Bearer {issue_dev_token('u2')}") == 401
    assert call(good, good) == 401
