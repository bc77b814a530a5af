"""Grading runs, their shards, the map output, the grade records and the weekly status snapshots.

- :class:`GradingRunModel` — one item per run (``2026-11`` monthly, ``2026-11-16`` weekly):
  its phase, how it was split, and the summary written when the last shard finishes.
- :class:`GradingShardModel` — one item per shard: how many times it started, and once it
  finished (a conditional write, first attempt wins) the map attempt whose output counts or
  the reduce shard's part of the summary.
- :class:`GradingChunkModel` — map output: per-account partial results packed by reduce
  bucket, keyed by the attempt that wrote them (only a committed attempt is read).
- :class:`GradeRecordModel` — the monthly grade of one account: metrics, status, old and
  new tier, and the rule that decided.
- :class:`StatusSnapshotModel` — an account's latest weekly status and metrics.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.expressions.update import Action
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.domain.grading import Metrics
from chalicelib.store.accounts import AccountModel
from chalicelib.store.activity import AccountDayModel, FanDayModel
from chalicelib.store.base import TableMeta, applied
from chalicelib.store.batch import batch_write
from chalicelib.store.scan import scan_segment
from chalicelib.store.sharded_runs import RunModel, RunTables, ShardModel

APPLIED, ALREADY_APPLIED, SUPERSEDED = "applied", "already_applied", "superseded"


class GradingRunModel(RunModel):
    """A run: ``run_id`` is YYYY-MM (monthly) or YYYY-MM-DD (weekly status)."""

    class Meta(TableMeta):
        table_name = settings.table("grading-runs")

    kind = UnicodeAttribute()  # month | week
    cutoff = UnicodeAttribute()  # YYYY-MM-DD: the first day after the graded window
    phase = UnicodeAttribute(default="map")  # map | reduce | done
    map_segments = JSONAttribute()  # {"accounts": n, "days": n, "fans": n}: segments per scanned table
    buckets = NumberAttribute()  # reduce shards


class GradingShardModel(ShardModel):
    """A shard: ``shard_id`` is "map:<source>:<segment>" or "reduce:<bucket>"; a reduce shard's summary is its part."""

    class Meta(TableMeta):
        table_name = settings.table("grading-shards")

    attempt = UnicodeAttribute(null=True)  # map: the attempt whose chunks count
    rows = NumberAttribute(default=0)  # map: rows read; reduce: accounts seen


class GradingChunkModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("grading-chunks")

    bucket_key = UnicodeAttribute(hash_key=True)  # "<run_id>#<bucket>"
    chunk_id = UnicodeAttribute(range_key=True)  # "<source>:<segment>:<attempt>:<seq>"
    payload = UnicodeAttribute()  # JSON list of per-account entries
    expires = TTLAttribute(null=True)


class GradeRecordModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("grade-records")

    account_id = UnicodeAttribute(hash_key=True)
    month = UnicodeAttribute(range_key=True)  # YYYY-MM
    cutoff = UnicodeAttribute()
    old_tier = UnicodeAttribute()
    new_tier = UnicodeAttribute()
    status = UnicodeAttribute(null=True)  # None for W1, which has no status
    rule = UnicodeAttribute()
    fans = NumberAttribute()
    active_fans = NumberAttribute()
    revisit_rate = NumberAttribute()
    avg_daily_posts = NumberAttribute()
    graded_at = UTCDateTimeAttribute()  # the run's start, so a rerun writes the identical record

    def metrics(self) -> Metrics:
        return Metrics(int(self.fans), int(self.active_fans), float(self.revisit_rate), float(self.avg_daily_posts))


class StatusSnapshotModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("grade-status")

    account_id = UnicodeAttribute(hash_key=True)
    run_id = UnicodeAttribute()
    as_of = UnicodeAttribute()  # the cut-off day of the weekly run
    tier = UnicodeAttribute()
    status = UnicodeAttribute(null=True)
    fans = NumberAttribute()
    active_fans = NumberAttribute()
    revisit_rate = NumberAttribute()
    avg_daily_posts = NumberAttribute()

    def metrics(self) -> Metrics:
        return Metrics(int(self.fans), int(self.active_fans), float(self.revisit_rate), float(self.avg_daily_posts))


# --- runs and shards -------------------------------------------------------------------------

_RUNS = RunTables(GradingRunModel, GradingShardModel)
create_run, get_run, note_attempt, shards_of, finished_shards, get_shard = (
    _RUNS.create_run, _RUNS.get_run, _RUNS.note_attempt, _RUNS.shards_of, _RUNS.finished_shards, _RUNS.get_shard)


def advance_phase(run_id: str, from_phase: str, to_phase: str) -> bool:
    """Move a run from one phase to the next, once."""
    return applied(lambda: GradingRunModel(run_id).update(
        actions=[GradingRunModel.phase.set(to_phase)], condition=GradingRunModel.phase == from_phase))


def finish_run(run_id: str, summary: dict[str, Any], at: datetime) -> bool:
    """Store the summary and mark the run done (its phase too), once."""
    return _RUNS.finish_run(run_id, summary, at, also=[GradingRunModel.phase.set("done")])


def commit_shard(run_id: str, shard_id: str, at: datetime, *, attempt: str | None = None, rows: int = 0,
                 summary: dict[str, Any] | None = None) -> bool:
    """Mark a shard done with its result; False when another attempt finished it first."""
    also: list[Action] = [GradingShardModel.rows.set(rows)]
    if attempt is not None:
        also.append(GradingShardModel.attempt.set(attempt))
    return _RUNS.commit_shard(run_id, shard_id, at, summary, also)


def table_size(model_cls: type[Model]) -> int:
    """The table's item count as DynamoDB reports it (refreshed about every 6 hours on AWS)."""
    return int(model_cls.describe_table().get("ItemCount", 0))


def source_sizes() -> dict[str, int]:
    """How many items each table a grading run maps holds: ``accounts``, ``days`` and ``fans``."""
    return {source: table_size(model) for source, model in
            (("accounts", AccountModel), ("days", AccountDayModel), ("fans", FanDayModel))}


def account_count() -> int:
    """The accounts table's item count (sizes a discovery run's shards)."""
    return table_size(AccountModel)


# --- map output ------------------------------------------------------------------------------

def write_chunks(chunks: list[GradingChunkModel]) -> None:
    batch_write(GradingChunkModel, chunks)


def chunks_of(bucket_key: str) -> Iterator[GradingChunkModel]:
    return GradingChunkModel.query(bucket_key, consistent_read=True)


# --- what the map shards scan ----------------------------------------------------------------

def _s(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return value["S"] if value else None


def _n(item: dict[str, Any], name: str) -> int:
    value = item.get(name)
    return int(value["N"]) if value else 0


def _epoch_s(serialized: str | None) -> float:
    # PynamoDB's UTCDateTimeAttribute format, read from the raw scan without building models.
    return datetime.strptime(serialized, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp() if serialized else 0.0


def scan_accounts(segment: int, total: int, page_limit: int | None = None) -> Iterator[list[tuple[Any, ...]]]:
    """Pages of ``(account_id, tier, tier_status, follower_count, created_at, last_graded_month, tier_changes)``,
    ``created_at`` in epoch seconds (0.0 for an account from before the field: it is graded)."""
    names = ["account_id", "tier", "tier_status", "follower_count", "created_at", "last_graded_month",
             "tier_changes"]
    for page in scan_segment(AccountModel, segment, total, projection=names, page_limit=page_limit):
        yield [(_s(i, "account_id"), _s(i, "tier") or "W1", _s(i, "tier_status"), _n(i, "follower_count"),
                _epoch_s(_s(i, "created_at")), _s(i, "last_graded_month"),
                [c["S"] for c in i.get("tier_changes", {}).get("L", [])]) for i in page]


def scan_account_days(segment: int, total: int, since: str,
                      page_limit: int | None = None) -> Iterator[list[tuple[str, str, int, int, int]]]:
    """Pages of ``(account_id, day, posts, new_followers, lost_followers)`` for days from ``since`` on."""
    names = ["account_id", "day", "posts", "new_followers", "lost_followers"]
    for page in scan_segment(AccountDayModel, segment, total, projection=names, filter_expression="#a1 >= :since",
                             values={":since": {"S": since}}, page_limit=page_limit):
        yield [(i["account_id"]["S"], i["day"]["S"], _n(i, "posts"), _n(i, "new_followers"),
                _n(i, "lost_followers")) for i in page]


def scan_fan_days(segment: int, total: int, first: str, cutoff: str,
                  page_limit: int | None = None) -> Iterator[list[tuple[str, str]]]:
    """Pages of ``(account_id, "<day>#<user>")`` for days ``first`` ≤ day < ``cutoff``."""
    names = ["account_id", "day_user"]
    for page in scan_segment(FanDayModel, segment, total, projection=names,
                             filter_expression="#a1 >= :first AND #a1 < :cutoff",
                             values={":first": {"S": first}, ":cutoff": {"S": cutoff}}, page_limit=page_limit):
        yield [(i["account_id"]["S"], i["day_user"]["S"]) for i in page]


# --- records, snapshots and the account's tier -----------------------------------------------

def write_records(records: list[GradeRecordModel]) -> None:
    batch_write(GradeRecordModel, records)


def write_snapshots(snapshots: list[StatusSnapshotModel]) -> None:
    batch_write(StatusSnapshotModel, snapshots)


def apply_grade(account_id: str, old_tier: str, new_tier: str, status: str | None, month: str) -> str:
    """Give the account its graded tier and status, at most once per month.

    The update is conditional on the account still being in ``old_tier`` and not yet
    graded for ``month`` (or a later month), so a rerun, a redelivered shard or a
    moderator's move in between never moves it twice. Returns ``applied``,
    ``already_applied`` (an earlier attempt did it) or ``superseded`` (the account
    changed since it was graded, e.g. it went to H1).
    """
    actions: list[Action] = [AccountModel.tier.set(new_tier), AccountModel.last_graded_month.set(month),
                             AccountModel.tier_status.set(status) if status else AccountModel.tier_status.remove()]
    condition = (AccountModel.tier == old_tier) & (
        AccountModel.last_graded_month.does_not_exist() | (AccountModel.last_graded_month < month))
    if applied(lambda: AccountModel(account_id).update(actions=actions, condition=condition)):
        return APPLIED
    try:
        current = AccountModel.get(account_id, consistent_read=True)
    except AccountModel.DoesNotExist:
        return SUPERSEDED
    return ALREADY_APPLIED if current.last_graded_month == month and current.tier == new_tier else SUPERSEDED


def refresh_status(account_id: str, tier: str, status: str | None) -> bool:
    """Set the account's weekly status warning, unless its tier changed meanwhile."""
    action = AccountModel.tier_status.set(status) if status else AccountModel.tier_status.remove()
    return applied(lambda: AccountModel(account_id).update(actions=[action], condition=AccountModel.tier == tier))


def records_of(account_id: str, limit: int = 12) -> list[GradeRecordModel]:
    """The account's monthly grades, newest first."""
    return list(GradeRecordModel.query(account_id, scan_index_forward=False, limit=limit))


def snapshot_of(account_id: str) -> StatusSnapshotModel | None:
    try:
        return StatusSnapshotModel.get(account_id)
    except StatusSnapshotModel.DoesNotExist:
        return None
