"""Realtime over HTTP: one-time WebSocket tickets and the long-polled event stream."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, endpoint
from chalicelib.services import realtime

bp = Blueprint(__name__)


@endpoint(bp, "/me/realtime/tickets", "POST", "A one-time WebSocket ticket, valid 60 s", statuses=(201,),
          response="realtime_ticket")
def issue_ticket(call: Call) -> Reply:
    return Reply(realtime.issue_ticket(call.principal), 201)


@endpoint(bp, "/me/events", "GET", "The caller's events after since, waiting up to wait seconds for the first",
          query=("since", "wait"), response="event_page")
def events(call: Call) -> dict[str, Any]:
    return realtime.long_poll(call.principal, call.query("since"), call.query("wait"))
