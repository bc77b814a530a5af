"""Run-time configuration: moderators' banned words, operators' spam rules and hot-list weights."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, endpoint
from chalicelib.services import runtime_config

bp = Blueprint(__name__)

_IF_MATCH = {"name": "If-Match", "in": "header", "required": True,
             "description": "The version the change replaces (the `version` a GET returned; 0 for the bundled "
                            "default). Missing: 428; stale: 412.",
             "schema": {"type": "string", "pattern": "^(W/)?\"?[0-9]{1,12}\"?$"}}


def _etag(view: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'"{view["version"]}"'}


@endpoint(bp, "/ops/config/{name}", "GET", "A run-time configuration document and its version "
          "(banned_words: moderator; spam, hot_list: operator)", response="config_view")
def get_config(call: Call, name: str) -> Reply:
    view = runtime_config.get_config(call.principal, name)
    return Reply(view, headers=_etag(view))


@endpoint(bp, "/ops/config/{name}", "PUT", "Replace a run-time configuration document, naming the version it "
          "replaces in If-Match (banned_words: moderator; spam, hot_list: operator)",
          request_schema="config_update", statuses=(200, 412, 428), response="config_view", parameters=(_IF_MATCH,))
def put_config(call: Call, name: str) -> Reply:
    view = runtime_config.put_config(call.principal, name, call.json(), call.header("If-Match"))
    return Reply(view, headers=_etag(view))
