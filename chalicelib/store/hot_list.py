"""The stored hot lists (one item per list) and the recent-post buckets they are built from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.store.base import TableMeta
from chalicelib.store.batch import batch_write, key_of
from chalicelib.store.posts import PostModel

ALL_LIST = "all"


class HotListModel(Model):
    """One ranked list: ``all`` or ``category#<category>``, with at most 100 entries."""

    class Meta(TableMeta):
        table_name = settings.table("hot-lists")

    list_id = UnicodeAttribute(hash_key=True)
    entries = JSONAttribute()  # [{"post_id", "score"}], best first
    computed_at = UTCDateTimeAttribute()
    categories = ListAttribute(of=UnicodeAttribute, null=True)  # on the "all" item: every category list


def category_list_id(category: str) -> str:
    return f"category#{category}"


def recent_post_ids(buckets: list[str]) -> list[str]:
    """Ids of posts filed under ``buckets`` (a keys-only Query of the sparse ``recent`` index each)."""
    ids: list[str] = []
    for bucket in buckets:
        ids += [p.post_id for p in PostModel.recent.query(bucket, attributes_to_get=["post_id"])]
    return ids


def save_lists(overall: list[dict[str, Any]], by_category: dict[str, list[dict[str, Any]]],
               computed_at: datetime) -> int:
    """Replace every stored list; category lists that are now empty are deleted. Returns items written."""
    previous = get_list(ALL_LIST)
    stale = {str(c) for c in previous.categories or ()} - set(by_category) if previous else set()
    items = [HotListModel(ALL_LIST, entries=overall, computed_at=computed_at, categories=sorted(by_category))]
    items += [HotListModel(category_list_id(c), entries=entries, computed_at=computed_at)
              for c, entries in sorted(by_category.items())]
    batch_write(HotListModel, items, delete_keys=[key_of(HotListModel, category_list_id(c)) for c in sorted(stale)])
    return len(items)


def get_list(list_id: str) -> HotListModel | None:
    try:
        return HotListModel.get(list_id)
    except HotListModel.DoesNotExist:
        return None
