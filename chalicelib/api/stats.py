"""Owner stats: daily rows and today's counters (JSON), and the 30-day chart (SVG)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib.api.http import Call, authorization_count, endpoint
from chalicelib.auth import principal_from_request
from chalicelib.services import stats

bp = Blueprint(__name__)


@endpoint(bp, "/accounts/{account_id}/stats", "GET", "Daily stats (completed days), today's counters, active hours",
          query=("from", "to"), response="account_stats")
def account_stats(call: Call, account_id: str) -> dict[str, Any]:
    return stats.account_stats(call.principal, account_id, call.query("from"), call.query("to"))


# Public at the gateway so a browser can open the signed ``chart_url``; without a
# signature the owner's bearer token is checked here as on every other route.
@endpoint(bp, "/accounts/{account_id}/stats.svg", "GET", "The last 30 days as an SVG chart (owner or signed link)",
          public=True, statuses=(200, 401, 404), query=("expires", "signature"), media_type="image/svg+xml")
def stats_chart(call: Call, account_id: str) -> Response:
    if call.query("signature") is not None:
        svg = stats.chart_for_link(account_id, call.query("expires"), call.query("signature"))
    else:
        principal = principal_from_request(call.request.headers, call.request.context,
                                           authorization_count(call.request))
        svg = stats.chart_for_owner(principal, account_id)
    return Response(body=svg, status_code=200,
                    headers={"Content-Type": "image/svg+xml; charset=utf-8", "Cache-Control": "private, max-age=60"})
