"""Discovery storage: accounts' related lists, popular lists, commerce signals, dismissals, job runs.

- :class:`DiscoveryProfileModel` — per account, written by the daily job: its related
  accounts (top 50 by co-follow similarity) and whether it has published anything.
- :class:`PopularListModel` — the most-followed accounts overall (``all``) and per category.
- :class:`SignalModel` — a user's commerce signals, one item per (account, kind), the newest
  time kept; DynamoDB's TTL deletes it 180 days after that time.
- :class:`DismissalModel` — accounts a user dismissed; TTL 90 days after the dismissal.
- :class:`SuggestionRunModel`, :class:`SuggestionShardModel` — the job's runs and shards.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.domain.discovery import PopularEntry, Related
from chalicelib.store.accounts import AccountModel
from chalicelib.store.base import TableMeta, applied
from chalicelib.store.batch import batch_get, batch_write, key_of
from chalicelib.store.follows import FollowModel
from chalicelib.store.posts import PostModel
from chalicelib.store.scan import scan_segment
from chalicelib.store.sharded_runs import RunModel, RunTables, ShardModel

ALL_POPULAR = "all"


class DiscoveryProfileModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("discovery-profiles")

    account_id = UnicodeAttribute(hash_key=True)
    related = JSONAttribute(default=list)  # [[account_id, similarity, overlap], ...], best first
    has_posts = BooleanAttribute(default=False)
    sampled = NumberAttribute(default=0)  # followers in the sample the list was computed from
    run_id = UnicodeAttribute()
    computed_at = UTCDateTimeAttribute()


class PopularListModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("popular-accounts")

    list_id = UnicodeAttribute(hash_key=True)  # "all" | "category#<category>"
    entries = JSONAttribute()  # [[account_id, followers], ...], most followed first
    run_id = UnicodeAttribute()
    computed_at = UTCDateTimeAttribute()


class SignalModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("commerce-signals")

    user_id = UnicodeAttribute(hash_key=True)
    signal_key = UnicodeAttribute(range_key=True)  # "<account_id>#<kind>"
    account_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    expires = TTLAttribute()


class DismissalModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("suggestion-dismissals")

    user_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute(range_key=True)
    dismissed_at = UTCDateTimeAttribute()
    expires = TTLAttribute()


class SuggestionRunModel(RunModel):
    class Meta(TableMeta):
        table_name = settings.table("suggestion-runs")

    segments = NumberAttribute()  # shards: one per parallel-scan segment of the accounts table


class SuggestionShardModel(ShardModel):
    """A shard: ``shard_id`` is "<segment:04d>"; its summary holds counts and the segment's popular lists."""

    class Meta(TableMeta):
        table_name = settings.table("suggestion-shards")


# --- the follow graph, as the job samples it --------------------------------------------------

def follower_sample(account_id: str, start: str, limit: int) -> list[str]:
    """Up to ``limit`` followers of the account from user id ``start`` on, wrapping around (1 or 2 Queries)."""
    names = ["user_id"]
    users = [f.user_id for f in FollowModel.query(account_id, FollowModel.user_id >= start, limit=limit,
                                                  attributes_to_get=names)]
    if len(users) < limit:
        users += [f.user_id for f in FollowModel.query(account_id, FollowModel.user_id < start,
                                                       limit=limit - len(users), attributes_to_get=names)]
    return users


def follows_sample(user_id: str, limit: int) -> list[str]:
    """The user's newest ``limit`` follows (one Query of the ``by_user`` index)."""
    return [f.account_id for f in FollowModel.by_user.query(user_id, scan_index_forward=False, limit=limit)]


def followed_among(user_id: str, account_ids: Iterable[str]) -> set[str]:
    """Which of ``account_ids`` the user follows (one BatchGetItem per 100 ids)."""
    keys = [key_of(FollowModel, a, user_id) for a in set(account_ids)]
    return {f.account_id for f in batch_get(FollowModel, keys)}


def follower_counts(account_ids: list[str]) -> dict[str, int]:
    """Follower counts by account (BatchGetItem, 100 a call); unknown accounts left out."""
    found = batch_get(AccountModel, [key_of(AccountModel, a) for a in account_ids])
    return {a.account_id: int(a.follower_count) for a in found}


def has_published(account_id: str) -> bool:
    """Whether the account has a published post (one keys-only Query of the sparse index)."""
    return any(True for _ in PostModel.published_by_account.query(account_id, limit=1))


def scan_accounts(segment: int, total: int, page_limit: int | None = None) -> Iterator[list[tuple[str, str, str, int]]]:
    """Pages of ``(account_id, category, tier, follower_count)`` of one parallel-scan segment."""
    names = ["account_id", "category", "tier", "follower_count"]
    for page in scan_segment(AccountModel, segment, total, projection=names, page_limit=page_limit):
        yield [(i["account_id"]["S"], i.get("category", {}).get("S", ""), i.get("tier", {}).get("S", "W1"),
                int(i.get("follower_count", {}).get("N", 0))) for i in page]


# --- profiles and popular lists ---------------------------------------------------------------

def write_profiles(profiles: list[DiscoveryProfileModel]) -> int:
    return batch_write(DiscoveryProfileModel, profiles)


def profiles_of(account_ids: Iterable[str]) -> dict[str, DiscoveryProfileModel]:
    found = batch_get(DiscoveryProfileModel, [key_of(DiscoveryProfileModel, a) for a in set(account_ids)])
    return {p.account_id: p for p in found}


def related_of(profile: DiscoveryProfileModel) -> list[Related]:
    return [Related(str(a), float(s), int(o)) for a, s, o in profile.related or []]


def popular_list_id(category: str) -> str:
    return f"category#{category}" if category else ALL_POPULAR


def write_popular(lists: dict[str, list[PopularEntry]], run_id: str, at: datetime) -> int:
    items = [PopularListModel(popular_list_id(category), entries=[[e.account_id, e.followers] for e in entries],
                              run_id=run_id, computed_at=at) for category, entries in lists.items()]
    return batch_write(PopularListModel, items)


def popular_lists(categories: Iterable[str]) -> dict[str, list[PopularEntry]]:
    """Stored popular lists by category (``""``: overall), one BatchGetItem per 100."""
    wanted = {popular_list_id(c): c for c in categories}
    found = batch_get(PopularListModel, [key_of(PopularListModel, list_id) for list_id in wanted])
    return {wanted[item.list_id]: [PopularEntry(str(a), int(n)) for a, n in item.entries] for item in found}


# --- signals and dismissals -------------------------------------------------------------------

def record_signal(user_id: str, account_id: str, kind: str, at: datetime, keep: timedelta) -> bool:
    """Keep the newest time of a (user, account, kind) signal; False when a newer one is already kept.

    Conditional, so a redelivered or late batch never moves a signal back in time.
    """
    item = SignalModel(user_id, f"{account_id}#{kind}")
    return applied(lambda: item.update(
        actions=[SignalModel.account_id.set(account_id), SignalModel.kind.set(kind), SignalModel.at.set(at),
                 SignalModel.expires.set(at + keep)],
        condition=SignalModel.at.does_not_exist() | (SignalModel.at < at)))


def signals_of(user_id: str, limit: int) -> list[tuple[str, str, datetime]]:
    """The user's signals ``(account_id, kind, at)`` (one Query of at most ``limit`` items)."""
    return [(s.account_id, s.kind, s.at) for s in SignalModel.query(user_id, limit=limit)]


def dismiss(user_id: str, account_id: str, at: datetime, keep: timedelta) -> None:
    DismissalModel(user_id, account_id, dismissed_at=at, expires=at + keep).save()


def dismissals_of(user_id: str, limit: int) -> dict[str, datetime]:
    return {d.account_id: d.dismissed_at for d in DismissalModel.query(user_id, limit=limit)}


# --- runs and shards --------------------------------------------------------------------------

_RUNS = RunTables(SuggestionRunModel, SuggestionShardModel)
create_run, get_run, finish_run, note_attempt, commit_shard, finished_shards, get_shard = (
    _RUNS.create_run, _RUNS.get_run, _RUNS.finish_run, _RUNS.note_attempt, _RUNS.commit_shard, _RUNS.finished_shards,
    _RUNS.get_shard)
