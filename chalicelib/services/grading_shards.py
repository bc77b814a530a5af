"""The grading queue's consumer: one shard of a run per message (map or reduce).

Map shards read one segment of a parallel Scan and write, per account, a partial
result into chunks grouped by reduce bucket; reduce shards join an account's partial
results and grade it. Memory stays flat however many accounts there are: a map shard
holds one account's fans at a time plus bounded chunk buffers, a reduce shard one
bucket (the number of buckets grows with the accounts). See services/grading.py.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.errors import found
from chalicelib.domain.grading import (
    MONTH_RUN,
    RULE_NOT_GRADED,
    DayCounts,
    Decision,
    FanCounts,
    FanTally,
    MonthSummary,
    WeekSummary,
    Window,
    bucket_of,
    decide,
    grading_config,
    metrics_from,
    status_for,
    tally_day,
    tier_at,
)
from chalicelib.domain.messages import GradingShardMessage
from chalicelib.observability import ACCOUNTS_GRADED, count
from chalicelib.services import grading, notifications
from chalicelib.store import grading as store

T = TypeVar("T")

# Items per Scan call (None: DynamoDB's 1 MB pages); tests make it small to cross pages.
SCAN_PAGE_LIMIT: int | None = None
CHUNK_ENTRIES = 2_000  # per-account entries in one chunk item (≈ 60-100 bytes each, far below 400 KB)
BUFFERED_ENTRIES = 20_000  # a map shard writes out every bucket's buffer when it holds this many
CHUNK_TTL = timedelta(days=14)


class ShardOrderError(RuntimeError):
    """A scan returned an account's rows apart; grading it from part of them would be wrong."""


def run_shard(message: GradingShardMessage) -> dict[str, Any]:
    """Run the shard named by a grading-queue message, unless it already finished; then move the run on."""
    run_id, shard_id = message.run_id, message.shard
    run = found(store.get_run(run_id), f"grading run {run_id} not found")
    shard = store.get_shard(run_id, shard_id)
    if shard is not None and shard.finished_at is not None:
        grading.advance(run_id)
        return {"shard": shard_id, "result": "already_done"}
    store.note_attempt(run_id, shard_id)
    kind, _, rest = shard_id.partition(":")
    if kind == "map":
        source, _, segment = rest.partition(":")
        result = map_shard(run, source, int(segment))
    elif kind == "reduce":
        result = reduce_shard(run, int(rest))
    else:
        raise ValueError(f"unknown grading shard {shard_id!r}")
    grading.advance(run_id)
    return {"shard": shard_id, **result}


def _window(run: store.GradingRunModel) -> Window:
    return Window.before(date.fromisoformat(run.cutoff), grading_config())


# --- map -------------------------------------------------------------------------------------

class ChunkWriter:
    """Packs a map shard's per-account entries into chunk items by reduce bucket.

    A bucket's buffer is written when it holds :data:`CHUNK_ENTRIES` entries, and every
    buffer when together they hold :data:`BUFFERED_ENTRIES`: memory is bounded whatever
    the number of buckets. Chunk ids carry the attempt, so a crashed attempt's chunks are
    simply never read.
    """

    def __init__(self, run: store.GradingRunModel, source: str, segment: int, attempt: str) -> None:
        self.run_id = run.run_id
        self.buckets = int(run.buckets)
        self.prefix = f"{source}:{segment:04d}:{attempt}"
        self.expires = clock.now() + CHUNK_TTL
        self.buffers: dict[int, list[str]] = {}
        self.buffered = 0
        self.seq = 0

    def add(self, account_id: str, entry: list[Any]) -> None:
        bucket = bucket_of(account_id, self.buckets)
        buffer = self.buffers.setdefault(bucket, [])
        buffer.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
        self.buffered += 1
        if len(buffer) >= CHUNK_ENTRIES:
            self._write([bucket])
        elif self.buffered >= BUFFERED_ENTRIES:
            self._write(list(self.buffers))

    def close(self) -> None:
        self._write(list(self.buffers))

    def _write(self, buckets: Iterable[int]) -> None:
        chunks = []
        for bucket in sorted(buckets):
            entries = self.buffers.pop(bucket, [])
            if not entries:
                continue
            self.seq += 1
            self.buffered -= len(entries)
            chunks.append(store.GradingChunkModel(
                f"{self.run_id}#{bucket:04d}", f"{self.prefix}:{self.seq:06d}",
                payload="[" + ",".join(entries) + "]", expires=self.expires))
        if chunks:
            store.write_chunks(chunks)


def map_shard(run: store.GradingRunModel, source: str, segment: int) -> dict[str, Any]:
    """Turn one scan segment of ``source`` into per-account partial results, then commit this attempt."""
    total = int(run.map_segments[source])
    attempt = secrets.token_hex(4)
    writer = ChunkWriter(run, source, segment, attempt)
    if source == "accounts":
        rows = _map_accounts(writer, segment, total, run.started_at)
    elif source == "days":
        rows = _map_days(writer, _window(run), segment, total)
    elif source == "fans":
        rows = _map_fans(writer, _window(run), segment, total)
    else:
        raise ValueError(f"unknown grading source {source!r}")
    writer.close()
    committed = store.commit_shard(run.run_id, f"map:{source}:{segment:04d}", clock.now(), attempt=attempt,
                                   rows=rows)
    return {"rows": rows, "chunks": writer.seq, "committed": committed}


def _map_accounts(writer: ChunkWriter, segment: int, total: int, started_at: datetime) -> int:
    rows = 0
    for page in store.scan_accounts(segment, total, SCAN_PAGE_LIMIT):
        for account_id, tier, status, followers, created_at, graded_month, changes in page:
            rows += 1
            # The tier as it stood when the run started (a move to H1 or back since is not this run's).
            writer.add(account_id, [account_id, tier_at(tier, changes, started_at), status, followers,
                                    created_at, graded_month])
    return rows


def _grouped(pages: Iterable[list[tuple[Any, ...]]]) -> Iterable[tuple[str, list[tuple[Any, ...]]]]:
    """Consecutive rows of one account, account by account, checking each account comes once.

    A scan returns an account's rows together (same partition key: same segment, in
    key order), which is what lets a map shard hold one account at a time.
    """
    seen: set[str] = set()
    current: str | None = None
    rows: list[tuple[Any, ...]] = []
    for page in pages:
        for row in page:
            if row[0] != current:
                if current is not None:
                    yield current, rows
                if row[0] in seen:
                    raise ShardOrderError(f"the rows of account {row[0]} came apart in one scan segment")
                seen.add(row[0])
                current, rows = row[0], []
            rows.append(row)
    if current is not None:
        yield current, rows


def _map_days(writer: ChunkWriter, window: Window, segment: int, total: int) -> int:
    rows = 0
    for account_id, days in _grouped(store.scan_account_days(segment, total, window.start, SCAN_PAGE_LIMIT)):
        counts = DayCounts()
        for _, day, posts, new_followers, lost_followers in days:
            counts = tally_day(window, counts, day, posts, new_followers, lost_followers)
        rows += len(days)
        if counts != DayCounts():
            writer.add(account_id, [account_id, counts.posts, counts.net_followers_since])
    return rows


def _map_fans(writer: ChunkWriter, window: Window, segment: int, total: int) -> int:
    rows = 0
    min_days = grading_config().revisit_min_days
    for account_id, facts in _grouped(store.scan_fan_days(segment, total, window.start, window.cutoff,
                                                          SCAN_PAGE_LIMIT)):
        tally = FanTally(window, min_days)
        for _, day_user in facts:
            day, _, user = day_user.partition("#")
            tally.add(day, user)
        rows += len(facts)
        counts = tally.counts()
        if counts.active_fans:
            writer.add(account_id, [account_id, counts.active_fans, counts.active_recent, counts.revisiting])
    return rows


# --- reduce ----------------------------------------------------------------------------------

def _bucket_inputs(run: store.GradingRunModel, bucket: int) -> tuple[dict[str, list[Any]], dict[str, DayCounts],
                                                                    dict[str, FanCounts]]:
    """The bucket's per-account entries from the committed attempt of every map shard."""
    committed = {s.shard_id: s.attempt for s in store.shards_of(run.run_id)
                 if s.shard_id.startswith("map:") and s.finished_at is not None}
    missing = [shard_id for shard_id in grading.map_shard_ids(run) if shard_id not in committed]
    if missing:
        raise RuntimeError(f"run {run.run_id}: reduce started before map shards {missing[:3]} finished")
    accounts: dict[str, list[Any]] = {}
    days: dict[str, DayCounts] = {}
    fans: dict[str, FanCounts] = {}
    for chunk in store.chunks_of(f"{run.run_id}#{bucket:04d}"):
        source, segment, attempt, _ = chunk.chunk_id.split(":")
        if committed.get(f"map:{source}:{segment}") != attempt:
            continue  # written by an attempt that crashed or lost the race
        for entry in json.loads(chunk.payload):
            if source == "accounts":
                accounts[entry[0]] = entry
            elif source == "days":
                before = days.get(entry[0], DayCounts())
                days[entry[0]] = DayCounts(before.posts + entry[1], before.net_followers_since + entry[2])
            else:
                fans[entry[0]] = FanCounts(entry[1], entry[2], entry[3])
    return accounts, days, fans


def _in_parallel(func: Callable[..., T], calls: list[tuple[Any, ...]]) -> list[T]:
    """Run the single-item conditional updates side by side (each is one round trip)."""
    if not calls:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(settings.grading_write_threads, len(calls)))) as pool:
        return list(pool.map(lambda args: func(*args), calls))


def reduce_shard(run: store.GradingRunModel, bucket: int) -> dict[str, Any]:
    """Grade every account of one bucket and commit the bucket's part of the summary."""
    accounts, days, fans = _bucket_inputs(run, bucket)
    window = _window(run)
    started = run.started_at.timestamp()
    config = grading_config()
    month_summary, week_summary = MonthSummary(), WeekSummary()
    records: list[store.GradeRecordModel] = []
    snapshots: list[store.StatusSnapshotModel] = []
    changes: list[tuple[Any, ...]] = []
    for account_id in sorted(accounts):
        _, tier, tier_status, followers, created, _ = accounts[account_id]
        if created > started:  # created after the run started: graded next time
            month_summary.skipped_new += 1
            week_summary.skipped_new += 1
            continue
        if tier not in config.order:  # H1 is not graded
            month_summary.add(Decision(tier, None, tier, RULE_NOT_GRADED), config)
            week_summary.add(tier, None, config)
            continue
        metrics = metrics_from(followers, days.get(account_id, DayCounts()), fans.get(account_id, FanCounts()),
                               window)
        if run.kind == MONTH_RUN:
            decision = decide(tier, metrics, config)
            month_summary.add(decision, config)
            records.append(store.GradeRecordModel(
                account_id, run.run_id, cutoff=run.cutoff, old_tier=tier, new_tier=decision.new_tier,
                status=decision.status, rule=decision.rule, graded_at=run.started_at, fans=metrics.fans,
                active_fans=metrics.active_fans, revisit_rate=metrics.revisit_rate,
                avg_daily_posts=metrics.avg_daily_posts))
            new_status = status_for(decision.new_tier, metrics, config)
            if decision.new_tier != tier or new_status != tier_status:
                changes.append((account_id, tier, decision.new_tier, new_status, run.run_id))
        else:
            status = status_for(tier, metrics, config)
            week_summary.add(tier, status, config)
            snapshots.append(store.StatusSnapshotModel(
                account_id, run_id=run.run_id, as_of=run.cutoff, tier=tier, status=status, fans=metrics.fans,
                active_fans=metrics.active_fans, revisit_rate=metrics.revisit_rate,
                avg_daily_posts=metrics.avg_daily_posts))
            if status != tier_status:
                changes.append((account_id, tier, status))
    if run.kind == MONTH_RUN:
        store.write_records(records)
        outcomes = _in_parallel(store.apply_grade, changes)
        month_summary.not_applied = outcomes.count(store.SUPERSEDED)
        notifications.graded(run.run_id, "monthly", [(c[0], c[2], c[1], c[3]) for c, outcome in zip(
            changes, outcomes, strict=True) if outcome != store.SUPERSEDED and c[1] != c[2]])
        summary = month_summary.to_json()
    else:
        store.write_snapshots(snapshots)
        refreshed = _in_parallel(store.refresh_status, changes)
        week_summary.changed = sum(refreshed)
        notifications.graded(run.run_id, "weekly", [(c[0], c[1], None, c[2]) for c, done in zip(
            changes, refreshed, strict=True) if done])
        summary = week_summary.to_json()
    committed = store.commit_shard(run.run_id, f"reduce:{bucket:04d}", clock.now(), rows=len(accounts),
                                   summary=summary)
    if committed:  # a redelivered shard that lost the race graded nobody new
        count(ACCOUNTS_GRADED, int(summary.get("graded", 0)))
    return {"accounts": len(accounts), "changes": len(changes), "committed": committed}

