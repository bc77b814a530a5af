"""Owner stats: daily rows for completed days (N+1), today's running counters, fans' active hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from chalicelib.auth import Principal
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.activity import COUNTERS, DEFAULT_STATS_DAYS, best_hour, days_between, stats_window
from chalicelib.domain.chart import render_stats_chart
from chalicelib.domain.errors import Unauthenticated
from chalicelib.domain.signed_links import link_is_valid, link_signature
from chalicelib.services.accounts import owner_only_account
from chalicelib.store import activity as store
from chalicelib.store.accounts import AccountModel, get_account

CHART_LINK_PURPOSE = "stats-chart"
CHART_LINK_TTL = timedelta(hours=1)


def _row(day: str, item: store.AccountDayModel | None) -> dict[str, Any]:
    return {"day": day, **{name: int(getattr(item, name) or 0) if item else 0 for name in COUNTERS}}


def _rows(account_id: str, first: date, last: date) -> list[dict[str, Any]]:
    items = store.day_items(account_id, first.isoformat(), last.isoformat())
    return [_row(day, items.get(day)) for day in days_between(first, last)]


def _link_secret() -> str:
    if settings.chart_link_secret:
        return settings.chart_link_secret
    return settings.jwt_secret if settings.auth_mode == "hs256" else ""


def chart_url(account_id: str, now: datetime) -> str | None:
    """A link to the account's chart that works without a token for :data:`CHART_LINK_TTL`."""
    secret = _link_secret()
    if not secret:
        return None
    expires = int((now + CHART_LINK_TTL).timestamp())
    query = urlencode({"expires": expires,
                       "signature": link_signature(secret, CHART_LINK_PURPOSE, account_id, expires)})
    return f"/accounts/{account_id}/stats.svg?{query}"


def account_stats(principal: Principal, account_id: str, from_text: str | None, to_text: str | None
                  ) -> dict[str, Any]:
    """Daily rows ``from``..``to`` (completed days only), today's counters so far, and the
    fans' activity by hour of day over the same completed days (Asia/Shanghai); a
    partial today would tilt the histogram towards the hours already past."""
    owner_only_account(principal, account_id)
    now = clock.now()
    today = clock.local_day(now)
    first, last = stats_window(from_text, to_text, today)
    histogram = store.hour_histogram(account_id, first.isoformat(), last.isoformat())
    return {
        "account_id": account_id,
        "timezone": "Asia/Shanghai",
        "from": first.isoformat(),
        "to": last.isoformat(),
        "days": _rows(account_id, first, last),
        "today": {**_row(today.isoformat(), store.day_item(account_id, today.isoformat())),
                  "as_of": clock.rfc3339(now)},
        "active_hours": {"from": first.isoformat(), "to": last.isoformat(), "histogram": histogram,
                         "best_hour": best_hour(histogram)},
        "chart_url": chart_url(account_id, now),
    }


def _chart(account: AccountModel) -> str:
    last = clock.local_day(clock.now()) - timedelta(days=1)
    first = last - timedelta(days=DEFAULT_STATS_DAYS - 1)
    title = f"{account.display_name} · 近{DEFAULT_STATS_DAYS}天数据（{first.isoformat()} 至 {last.isoformat()}）"
    return render_stats_chart(_rows(account.account_id, first, last), title)


def chart_for_owner(principal: Principal, account_id: str) -> str:
    """The 30-day chart for the owner calling with a token."""
    return _chart(owner_only_account(principal, account_id))


def chart_for_link(account_id: str, expires: str | None, signature: str | None) -> str:
    """The 30-day chart for whoever holds a valid signed link (from ``chart_url``)."""
    if not link_is_valid(_link_secret(), CHART_LINK_PURPOSE, account_id, expires, signature,
                         int(clock.now().timestamp())):
        raise Unauthenticated("the chart link is not valid or has expired; get a new chart_url from the stats")
    return _chart(get_account(account_id))
