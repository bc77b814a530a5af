"""The caller's notifications: list, unread count, mark read, muted types."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.api.http import Call, endpoint
from chalicelib.services import notifications

bp = Blueprint(__name__)


@endpoint(bp, "/me/notifications", "GET", "The caller's notifications, most recently updated first",
          query=("type", "limit", "cursor"), response="notification_list")
def list_notifications(call: Call) -> dict[str, Any]:
    return notifications.list_notifications(call.principal, call.query("type"), call.limit(), call.query("cursor"))


@endpoint(bp, "/me/notifications/unread", "GET", "The exact number of unread notifications",
          response="unread_count")
def unread(call: Call) -> dict[str, Any]:
    return notifications.unread(call.principal)


@endpoint(bp, "/me/notifications/read", "POST", "Mark notifications read up to one (all without up_to)",
          request_schema="notifications_read", response="read_result")
def mark_read(call: Call) -> dict[str, Any]:
    has_body = bool((call.request.raw_body or b"").strip())
    return notifications.mark_read(call.principal, call.json() if has_body else None)


@endpoint(bp, "/me/notification-settings", "GET", "The notification types the caller mutes",
          response="muted_types")
def get_settings(call: Call) -> dict[str, Any]:
    return notifications.get_settings(call.principal)


@endpoint(bp, "/me/notification-settings", "PUT", "Mute notification types", request_schema="notification_settings",
          response="muted_types")
def put_settings(call: Call) -> dict[str, Any]:
    return notifications.put_settings(call.principal, call.json())
