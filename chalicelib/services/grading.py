"""Grading runs: starting them (route, schedules, CLI), moving them on, and what owners and operators see.

A run is a map/reduce over the grading queue (README, "Tier grading"):

1. **map** — one shard per segment of a parallel Scan of each source table (accounts,
   account days, fan days). A shard turns its rows into one partial result per account
   and packs them into chunks by the account's reduce bucket (a stable hash of its id),
   written under the shard's attempt; the attempt that commits first is the one that counts.
2. **reduce** — one shard per bucket: it joins the account's three partial results,
   grades, writes the records and applies the tier changes (conditionally, once).
3. When the last shard of a phase commits, the next phase is sent; when the last reduce
   shard commits, the summary is stored and the run is ``done``.

Every step is safe to repeat: a shard that already committed is skipped, the map output
of an attempt that did not commit is ignored, records are rewritten identically, and a
tier change is conditional on the account's tier and ``last_graded_month``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.auth import OPERATOR, Principal
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.errors import InvalidInput, found
from chalicelib.domain.grading import (
    check_runnable,
    cutoff_of,
    grading_config,
    merged_summary,
    run_kind,
    shard_count,
    shard_progress,
    standing,
    status_for,
)
from chalicelib.domain.messages import GradingShardMessage
from chalicelib.domain.tiers import daily_quota_for, hot_list_eligible
from chalicelib.observability import logger
from chalicelib.services.accounts import owner_only_account
from chalicelib.store import grading as store
from chalicelib.store import queues
from chalicelib.store.activity import FAN_DAY_TTL_DAYS
from chalicelib.validation import validate

MAP, REDUCE, DONE = "map", "reduce", "done"
SOURCES = ("accounts", "days", "fans")


def map_shard_ids(run: store.GradingRunModel) -> list[str]:
    return [f"map:{source}:{segment:04d}" for source in SOURCES for segment in range(run.map_segments[source])]


def reduce_shard_ids(run: store.GradingRunModel) -> list[str]:
    return [f"reduce:{bucket:04d}" for bucket in range(int(run.buckets))]


def _send(run_id: str, shard_ids: list[str]) -> None:
    queues.send_many("grading", [GradingShardMessage(run_id, shard_id).to_json() for shard_id in shard_ids])


def start_run(run_id: str, now: datetime) -> store.GradingRunModel:
    """Start the run ``run_id`` (a month, or a day for the weekly status refresh), or resume it.

    A new run is sized from the tables' item counts and its map shards are sent. For a
    run that exists and is not done, the unfinished shards of its current phase are sent
    again (a retried schedule, an operator's rerun, or a shard lost to the dead-letter
    queue); they skip whatever already finished. A done run is returned as it is.

    Raises
    ------
    InvalidInput
        A cut-off in the future, or too old for the fan activity still kept.
    """
    run = store.get_run(run_id)
    if run is None:
        check_runnable(run_id, now, max_age_days=FAN_DAY_TTL_DAYS - grading_config().window_days)
        per, cap = settings.grading_rows_per_segment, settings.grading_max_shards
        sizes = store.source_sizes()
        run = store.GradingRunModel(
            run_id, kind=run_kind(run_id), cutoff=cutoff_of(run_id).isoformat(), status="running", phase=MAP,
            started_at=now, map_segments={source: shard_count(n, per, cap) for source, n in sizes.items()},
            buckets=shard_count(sizes["accounts"], settings.grading_accounts_per_bucket, cap),
            accounts_estimate=sizes["accounts"])
        if store.create_run(run):
            logger.info("grading run started", run_id=run_id, map_segments=run.map_segments, buckets=run.buckets)
        else:
            run = store.get_run(run_id) or run  # another start won the race; resume that one
    resume(run)
    return store.get_run(run_id) or run


def resume(run: store.GradingRunModel) -> None:
    """Send the unfinished shards of the run's current phase, then move the run on if a phase is complete."""
    if run.status == "done":
        return
    done = store.finished_shards(run.run_id)
    phase_shards = map_shard_ids(run) if run.phase == MAP else reduce_shard_ids(run)
    pending = [shard_id for shard_id in phase_shards if shard_id not in done]
    if pending:
        _send(run.run_id, pending)
    advance(run.run_id)


def advance(run_id: str) -> str:
    """Move a run on when its current phase is complete; returns the run's phase afterwards.

    The reduce shards are sent before the phase changes, so a crash in between leaves
    a run that a retry moves on (duplicate reduce messages are harmless); the summary is
    computed from the committed shards, so whichever call stores it stores the same one.
    """
    run = store.get_run(run_id)
    if run is None or run.status == "done":
        return DONE
    shards = store.finished_shards(run_id)
    if run.phase == MAP and all(shard_id in shards for shard_id in map_shard_ids(run)):
        _send(run_id, [shard_id for shard_id in reduce_shard_ids(run) if shard_id not in shards])
        store.advance_phase(run_id, MAP, REDUCE)
        logger.info("grading map phase done", run_id=run_id, buckets=run.buckets)
        return REDUCE
    if run.phase == REDUCE and all(shard_id in shards for shard_id in reduce_shard_ids(run)):
        parts = [shards[shard_id].summary for shard_id in reduce_shard_ids(run)]
        summary = merged_summary(parts)
        if store.finish_run(run_id, summary, clock.now()):
            logger.info("grading run done", run_id=run_id, summary=summary)
        return DONE
    return str(run.phase)


def run_view(run: store.GradingRunModel) -> dict[str, Any]:
    """A run as operators see it: phase, progress by shard and accounts, and the summary once done."""
    done = store.finished_shards(run.run_id)
    phases = {"map_shards": map_shard_ids(run), "reduce_shards": reduce_shard_ids(run)}
    graded = sum(int((s.summary or {}).get("graded", 0)) for s in done.values())  # reduce shards carry the counts
    return {
        "month": run.run_id, "kind": run.kind, "status": run.status, "phase": run.phase, "cutoff": run.cutoff,
        "started_at": clock.rfc3339(run.started_at), "finished_at": clock.rfc3339(run.finished_at),
        "progress": {**shard_progress(phases, done), "accounts_graded": graded,
                     "accounts_estimate": int(run.accounts_estimate)},
        "summary": run.summary,
    }


# --- entry points ----------------------------------------------------------------------------

def start_month_run(principal: Principal, body: Any) -> dict[str, Any]:
    """``POST /ops/grading/runs``: an operator starts (or resumes) a month's grading."""
    principal.require(OPERATOR)
    month = validate("grading_run", body)["month"]
    return run_view(start_run(month, clock.now()))


def get_run(principal: Principal, run_id: str) -> dict[str, Any]:
    """``GET /ops/grading/runs/{month}`` (a weekly status run is named by its day)."""
    principal.require(OPERATOR)
    run_kind(run_id)  # 400 for a name that is neither a month nor a day
    return run_view(found(store.get_run(run_id), f"no grading run for {run_id}"))


def start_scheduled_month() -> dict[str, Any]:
    """The monthly schedule (00:05 on the 1st, Asia/Shanghai): grade the month that just began."""
    now = clock.now()
    try:
        run = start_run(clock.month_of(now), now)
    except InvalidInput as refused:  # fired by hand long after the 1st: the window's fan activity is gone
        logger.warning("monthly grading not started", reason=refused.message)
        return {"run_id": clock.month_of(now), "status": "refused", "reason": refused.message}
    return {"run_id": run.run_id, "status": run.status, "phase": run.phase}


def start_weekly_status() -> dict[str, Any]:
    """The weekly schedule (Monday 00:10, Asia/Shanghai): refresh every graded account's status."""
    now = clock.now()
    run = start_run(clock.local_day(now).isoformat(), now)
    return {"run_id": run.run_id, "status": run.status, "phase": run.phase}


def _record_view(record: store.GradeRecordModel) -> dict[str, Any]:
    return {"month": record.month, "cutoff": record.cutoff, "old_tier": record.old_tier,
            "new_tier": record.new_tier, "status": record.status, "rule": record.rule,
            "metrics": record.metrics().as_dict()}


def account_grade(principal: Principal, account_id: str) -> dict[str, Any]:
    """``GET /accounts/{id}/grade`` (owner): tier, status, the latest metrics against the tier's thresholds.

    The metrics are those of the newest grading of the account, weekly or monthly
    (``as_of`` is its cut-off day); ``to_improve`` names each unmet target, the ones
    that avoid a demotion first.
    """
    account = owner_only_account(principal, account_id)
    records = store.records_of(account_id)
    snapshot = store.snapshot_of(account_id)
    latest: tuple[str, str, Any] | None = None
    if records:
        latest = (records[0].cutoff, "monthly", records[0].metrics())
    if snapshot is not None and (latest is None or snapshot.as_of > latest[0]):
        latest = (snapshot.as_of, "weekly", snapshot.metrics())
    tier = account.tier
    view: dict[str, Any] = {
        "account_id": account_id, "tier": tier, "tier_status": account.tier_status,
        "privileges": {"daily_quota": daily_quota_for(tier), "hot_list": hot_list_eligible(tier)},
        "as_of": None, "metrics_source": None, "status_now": None, "metrics": None, "next_tier": None,
        "to_improve": [], "history": [_record_view(r) for r in records],
    }
    if latest is not None:
        as_of, source, metrics = latest
        against = standing(tier, metrics)
        view.update(as_of=as_of, metrics_source=source, status_now=status_for(tier, metrics),
                    metrics=against["metrics"], next_tier=against["next_tier"], to_improve=against["to_improve"])
    return view
