"""The home feed routes: a fan's feed by section, newest first, and its cursor."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, endpoint
from chalicelib.services import feed

bp = Blueprint(__name__)


@endpoint(bp, "/me/feed", "GET", "The caller's home feed, newest first", query=("section", "limit", "cursor"),
          response="feed_page")
def read_feed(call: Call) -> dict[str, Any]:
    return feed.read_feed(call.principal, call.query("section"), call.limit(), call.query("cursor"))
