"""The WebSocket API in the built template: handlers, the reply route, and who may manage connections."""

from __future__ import annotations

import json

from infra.template import PUSH_FUNCTION, function_logical_id
from tests.infra.conftest import Built

WEBSOCKET_FUNCTIONS = ("websocket_connect", "websocket_message", "websocket_disconnect")


def statements(built: Built, function: str) -> list[dict]:
    role = built.resources[function_logical_id(function)]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [s for p in built.resources[role]["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]


def test_the_websocket_api_is_packaged_with_its_three_handlers_and_a_route_response(built: Built) -> None:
    api = built.resources["WebsocketAPI"]["Properties"]
    assert api["ProtocolType"] == "WEBSOCKET"
    routes = {r["Properties"]["RouteKey"] for r in built.resources.values() if r["Type"] == "AWS::ApiGatewayV2::Route"}
    assert routes == {"$connect", "$default", "$disconnect"}
    for function in WEBSOCKET_FUNCTIONS:
        assert built.resources[function_logical_id(function)]["Properties"]["Handler"] == f"app.{function}"
    assert built.resources["WebsocketMessageRoute"]["Properties"]["RouteResponseSelectionExpression"] == "$default"
    response = built.resources["WebsocketMessageRouteResponse"]["Properties"]
    assert response["RouteId"] == {"Ref": "WebsocketMessageRoute"} and response["RouteResponseKey"] == "$default"


def test_only_the_push_worker_may_manage_connections_and_it_knows_the_api(built: Built) -> None:
    managing = [name for name, r in built.resources.items() if r["Type"] == "AWS::IAM::Role"
                and "execute-api" in json.dumps(r["Properties"].get("Policies", []))]
    assert managing == [built.resources[function_logical_id(PUSH_FUNCTION)]["Properties"]["Role"]["Fn::GetAtt"][0]]
    grant = next(s for s in statements(built, PUSH_FUNCTION) if s.get("Sid") == "ManageConnections")
    assert grant["Action"] == ["execute-api:ManageConnections"]
    assert "${WebsocketAPI}/*/*/@connections/*" in grant["Resource"][0]["Fn::Sub"]
    env = built.resources[function_logical_id(PUSH_FUNCTION)]["Properties"]["Environment"]["Variables"]
    assert env["WEBSOCKET_API_ID"] == {"Ref": "WebsocketAPI"} and env["WEBSOCKET_STAGE"] == "v1"
    api_env = built.resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api_env["WEBSOCKET_URL"]["Fn::Sub"].startswith("wss://${WebsocketAPI}.execute-api.")
