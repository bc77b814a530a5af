"""The hot list (精选热榜), served from what the schedule stored."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, endpoint
from chalicelib.services import hot_list

bp = Blueprint(__name__)


@endpoint(bp, "/hot", "GET", "The hot list, overall or of one account category", query=("category", "limit", "cursor"),
          response="hot_list")
def read_hot_list(call: Call) -> dict[str, Any]:
    return hot_list.hot_list(call.principal, call.query("category"), call.limit(), call.query("cursor"))


@endpoint(bp, "/ops/hot/picks/{post_id}", "PUT", "Pin a published post into the hot list until a time (operator)",
          request_schema="hot_pick", statuses=(200, 409), response="hot_pick_view")
def pick_hot_post(call: Call, post_id: str) -> dict[str, Any]:
    call.principal.require("operator")
    return hot_list.pick(call.principal, post_id, call.json())


@endpoint(bp, "/ops/hot/picks/{post_id}", "DELETE", "End a hot-list pick (operator)", statuses=(204,))
def unpick_hot_post(call: Call, post_id: str) -> Reply:
    hot_list.unpick(call.principal, post_id)
    return Reply(None, 204)
