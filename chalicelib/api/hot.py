"""The hot list (精选热榜), served from what the schedule stored."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, endpoint
from chalicelib.domain.cursor import parse_limit
from chalicelib.services import hot_list

bp = Blueprint(__name__)


@endpoint(bp, "/hot", "GET", "The hot list, overall or of one account category", query=("category", "limit", "cursor"),
          response="hot_list")
def read_hot_list(call: Call) -> dict[str, Any]:
    return hot_list.hot_list(call.principal, call.query("category"), parse_limit(call.query("limit")),
                             call.query("cursor"))
