"""Violation strikes per account, and the release markers that wipe the slate.

Items of one account share its partition: a strike is keyed by the rejected post's
id (so recording it twice, e.g. on an SQS redelivery, keeps one strike), a release
by ``~release#<ms>`` (``~`` sorts after every post id).
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.domain.clock import epoch_millis
from chalicelib.store.base import TableMeta, applied

STRIKE, RELEASE = "strike", "release"


class StrikeModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("strikes")

    account_id = UnicodeAttribute(hash_key=True)
    strike_key = UnicodeAttribute(range_key=True)  # post id, or "~release#<ms>"
    kind = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    by = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    post_id = UnicodeAttribute(null=True)


def strike_item(account_id: str, post_id: str, reason: str, by: str, at: datetime) -> StrikeModel:
    return StrikeModel(account_id, post_id, kind=STRIKE, at=at, by=by, reason=reason[:1000], post_id=post_id)


def add_strike(account_id: str, post_id: str, reason: str, by: str, at: datetime) -> bool:
    """Record a strike for the rejection of ``post_id``; False if it was recorded before."""
    item = strike_item(account_id, post_id, reason, by, at)
    return applied(lambda: item.save(condition=StrikeModel.strike_key.does_not_exist()))


def release_item(account_id: str, by: str, at: datetime) -> StrikeModel:
    """The marker a release writes: strikes before ``at`` no longer count."""
    return StrikeModel(account_id, f"~release#{epoch_millis(at):013d}", kind=RELEASE, at=at, by=by)


def account_strikes(account_id: str) -> list[StrikeModel]:
    """Every strike and release marker of the account (a handful: H1 stops an account at the limit)."""
    return list(StrikeModel.query(account_id, consistent_read=True))
