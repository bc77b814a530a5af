"""Hot-list picks (人工精选): posts operators pinned into a list until a time.

One item per post (a post is pinned into one list at a time); the ``by_list`` index
answers "the live picks of this list" with one Query on ``until`` > now. DynamoDB's TTL
removes a pick a day after it ends (the Query never returns an ended one anyway).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.store.base import GlobalIndex, TableMeta
from chalicelib.store.hot_list import ALL_LIST, category_list_id

MAX_PICKS_READ = 20


class ListIndex(GlobalIndex["HotPickModel"]):
    """One hot list's picks by the time they end (the live ones are those ending after now)."""

    list_id = UnicodeAttribute(hash_key=True)
    until = UTCDateTimeAttribute(range_key=True)


class HotPickModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("hot-picks")

    post_id = UnicodeAttribute(hash_key=True)
    list_id = UnicodeAttribute()  # "all" | "category#<category>", as the hot lists are named
    account_id = UnicodeAttribute()
    until = UTCDateTimeAttribute()
    picked_by = UnicodeAttribute()
    picked_at = UTCDateTimeAttribute()
    expires = TTLAttribute()
    by_list = ListIndex()


def list_of(category: str | None) -> str:
    return category_list_id(category) if category else ALL_LIST


def pin(post_id: str, account_id: str, category: str | None, until: datetime, by: str, at: datetime) -> HotPickModel:
    pick = HotPickModel(post_id, list_id=list_of(category), account_id=account_id, until=until, picked_by=by,
                        picked_at=at, expires=until + timedelta(days=1))
    pick.save()
    return pick


def get_pick(post_id: str) -> HotPickModel | None:
    try:
        return HotPickModel.get(post_id, consistent_read=True)
    except HotPickModel.DoesNotExist:
        return None


def unpin(post_id: str) -> HotPickModel | None:
    """Remove a post's pick; returns the pick that was removed (None: there was none)."""
    pick = get_pick(post_id)
    if pick is not None:
        pick.delete()
    return pick


def live_picks(list_id: str, now: datetime) -> list[HotPickModel]:
    """The list's picks that have not ended (one Query), newest pick first."""
    picks = list(HotPickModel.by_list.query(list_id, HotPickModel.until > now, limit=MAX_PICKS_READ))
    return sorted(picks, key=lambda p: (p.picked_at, p.post_id), reverse=True)
