"""Over real HTTP, Chalice's own refusals (no route, wrong method, wrong media type) have the API.md shape."""

from __future__ import annotations

import json
import socket

import requests

from chalicelib.auth import issue_dev_token


def error_of(response: requests.Response) -> dict:
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"]), body
    return body["error"]


def test_an_unknown_route_is_a_403_in_the_error_shape_with_or_without_a_token(_http_server: str) -> None:
    # Given a path no route serves, and a token the gateway would have echoed back
    token = issue_dev_token("u1")

    # When it is called without a token, with one, and with a header the gateway cannot echo
    answers = [requests.get(f"{_http_server}/no/such/route?x=1", timeout=10),
               requests.get(f"{_http_server}/no/such/route", headers={"Authorization": f"Bearer {token}"},
                            timeout=10),
               requests.post(f"{_http_server}/nope", headers={"Authorization": "Bearer é"}, timeout=10)]

    # Then each is the gateway's 403, in the error shape, naming the route and never the token
    for response in answers:
        assert response.status_code == 403
        error = error_of(response)
        assert error["code"] == "unknown_route" and "/openapi.json" in error["message"], error
        assert token not in response.text
    assert "GET /no/such/route;" in error_of(answers[0])["message"]


def test_a_method_a_route_does_not_serve_is_a_405_in_the_error_shape(_http_server: str) -> None:
    # When a served path is called with a method it does not serve
    response = requests.delete(f"{_http_server}/health", timeout=10)

    # Then it is a 405 saying so, with the allowed methods
    assert response.status_code == 405 and response.headers["Allow"] == "GET"
    assert error_of(response)["code"] == "method_not_allowed"


def test_a_body_that_is_not_json_is_a_415_in_the_error_shape(_http_server: str) -> None:
    # When a JSON route gets a form body
    response = requests.post(f"{_http_server}/accounts", data="handle=x", timeout=10,
                             headers={"Authorization": f"Bearer {issue_dev_token('u1')}",
                                      "Content-Type": "application/x-www-form-urlencoded"})

    # Then it is a 415 in the same shape
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_the_apps_own_errors_keep_their_shape_over_http(_http_server: str) -> None:
    # When a route refuses a caller without a token
    response = requests.get(f"{_http_server}/me/feed", timeout=10)

    # Then the error the app wrote arrives as written
    assert response.status_code == 401 and error_of(response)["code"] == "unauthenticated"


def raw_exchange(base: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (requests would percent-encode them) and read the answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, body


def test_a_raw_utf8_query_string_is_read_as_utf8(http_base: str) -> None:
    # Given an account named 小米 (the README's example)
    auth = {"Authorization": f"Bearer {issue_dev_token('owner')}", "Content-Type": "application/json"}
    created = requests.post(f"{http_base}/accounts", headers=auth, timeout=10, json={
        "handle": "xiaomi", "display_name": "小米官方旗舰店", "kind": "merchant", "category": "数码"})
    assert created.status_code == 201, created.text

    # When it is searched with the raw UTF-8 bytes curl sends for ?q=小米, and with ?section=全部
    token = issue_dev_token("reader").encode()
    status, _, body = raw_exchange(http_base, b"GET /accounts?q=" + "小米".encode() + b" HTTP/1.1\r\nHost: x\r\n"
                                   b"Authorization: Bearer " + token + b"\r\nConnection: close\r\n\r\n")

    # Then it is found, as with the percent-encoded form
    assert status == 200, body
    assert [a["handle"] for a in json.loads(body)["items"]] == ["xiaomi"]
    status, headers, body = raw_exchange(http_base, b"GET /me/feed?section=" + "全部".encode() + b" HTTP/1.1\r\n"
                                         b"Host: x\r\nConnection: close\r\nAuthorization: Bearer " + token
                                         + b"\r\n\r\n")
    assert status == 400 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["error"]["details"][0]["pointer"] == "/section"


def test_the_servers_own_refusals_are_json_error_bodies(_http_server: str) -> None:
    cases = {
        414: b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n",
        431: b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n",
        501: b"BREW /health HTTP/1.1\r\nHost: x\r\n\r\n",
        400: b"GARBAGE\r\n\r\n",
    }
    for expected, request in cases.items():
        status, headers, body = raw_exchange(_http_server, request)
        assert status == expected, (expected, body[:200])
        assert headers["content-type"].startswith("application/json"), headers
        error = json.loads(body)["error"]
        assert {"code", "message", "details"} <= set(error), error
    # A request target that is not UTF-8 is a 400 in the same shape
    status, _, body = raw_exchange(_http_server, b"GET /accounts?q=\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 400 and json.loads(body)["error"]["code"] == "bad_request"
