"""Over real HTTP, Chalice's own refusals (no route, wrong method, wrong media type) have the API.md shape."""

from __future__ import annotations

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
