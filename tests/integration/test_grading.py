"""Tier grading end to end: 30 days of activity, a monthly run through the queue, reruns and crashes.

Activity rows are written straight through the activity models (the recording side's
contract); the run goes through the real route or schedule, the grading queue and its
consumer, with map and reduce shards, exactly as deployed.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app import app
from chalicelib.domain import clock
from chalicelib.services import grading_shards
from chalicelib.store import queues
from chalicelib.store.accounts import AccountModel
from chalicelib.store.activity import AccountDayModel, FanDayModel
from chalicelib.store.batch import batch_write
from chalicelib.store.grading import GradeRecordModel, GradingChunkModel, GradingShardModel, StatusSnapshotModel
from local.grading import watch
from local.workers import drain, fire_schedule

MONTH_START = datetime(2026, 10, 31, 16, 5, tzinfo=UTC)  # 00:05 on 2026-11-01 in Asia/Shanghai
LONG_AGO = datetime(2026, 5, 1, tzinfo=UTC)
WINDOW = [(date(2026, 10, 2) + timedelta(days=i)).isoformat() for i in range(30)]  # Oct 2 .. Oct 31


def given_account(key: str, tier: str, followers: int, *, created_at: datetime = LONG_AGO,
                  tier_status: str | None = None) -> str:
    account_id = f"acct-{key}"
    AccountModel(account_id, owner_id=f"owner-{key}", handle=f"shop_{key}", display_name=f"店{key}",
                 kind="merchant", category="服饰", tier=tier, tier_status=tier_status, follower_count=followers,
                 created_at=created_at).save()
    return account_id


def given_activity(account_id: str, *, fans: int, recent: int = 0, revisiting: int = 0, posts: int = 0,
                   days: list[str] = WINDOW, followers_since: int = 0, early: str = "2026-10-05",
                   recent_days: tuple[str, str] = ("2026-10-28", "2026-10-30")) -> None:
    """30 days of account-day rows and the fan-day facts behind the fan metrics.

    ``fans`` distinct fans are active on ``early``; ``recent`` of them again on the first
    of ``recent_days`` and ``revisiting`` of those also on the second (2 distinct days in
    the last 7).
    ``posts`` manual posts spread one a day; system posts and a busy day before the
    window are recorded too and must not count. ``followers_since`` follows arrived on
    the cut-off day (after it: fans at the cut-off are fewer than today's count).
    """
    day_rows = [AccountDayModel(account_id, day, impressions=50 + i, reads=10, likes=3, posts=int(i < posts),
                                system_posts=2) for i, day in enumerate(days)]
    day_rows.append(AccountDayModel(account_id, "2026-10-01", posts=90, impressions=900))
    day_rows.append(AccountDayModel(account_id, "2026-11-01", new_followers=followers_since, impressions=5))
    fan_rows = [FanDayModel(account_id, f"{early}#fan-{n}") for n in range(fans)]
    fan_rows += [FanDayModel(account_id, f"{recent_days[0]}#fan-{n}") for n in range(recent)]
    fan_rows += [FanDayModel(account_id, f"{recent_days[1]}#fan-{n}") for n in range(revisiting)]
    fan_rows += [FanDayModel(account_id, f"2026-09-30#fan-{n}") for n in range(5)]  # before the window
    batch_write(AccountDayModel, day_rows)
    batch_write(FanDayModel, fan_rows)


def given_a_platform() -> dict[str, str]:
    """Nine accounts, one per branch of the decision table (thresholds from the shipped tiers.json)."""
    ids = {
        "w1_enters_w2": given_account("a", "W1", 155),
        "w1_stays": given_account("b", "W1", 50),
        "w2_poor": given_account("c", "W2", 60, tier_status="good"),
        "w2_good": given_account("d", "W2", 200),
        "w2_excellent_enters_w3": given_account("e", "W2", 1_200),
        "w2_excellent_below_w3": given_account("f", "W2", 600),
        "h1": given_account("g", "H1", 5_000),
        "created_after_start": given_account("h", "W2", 50, created_at=MONTH_START + timedelta(minutes=1)),
        "w3_silent": given_account("i", "W3", 900, tier_status="good"),
    }
    given_activity(ids["w1_enters_w2"], fans=40, recent=20, revisiting=10, posts=15, followers_since=5)
    given_activity(ids["w1_stays"], fans=40, recent=20, revisiting=10, posts=15)
    given_activity(ids["w2_poor"], fans=40, recent=20, revisiting=10, posts=15)
    given_activity(ids["w2_good"], fans=40, recent=20, revisiting=10, posts=15)
    given_activity(ids["w2_excellent_enters_w3"], fans=320, recent=50, revisiting=20, posts=30)
    given_activity(ids["w2_excellent_below_w3"], fans=160, recent=20, revisiting=10, posts=15)
    given_activity(ids["h1"], fans=400, recent=50, revisiting=20, posts=30)
    return ids


EXPECTED = {  # (tier, tier_status) after the run
    "w1_enters_w2": ("W2", "good"),
    "w1_stays": ("W1", None),
    "w2_poor": ("W1", None),
    "w2_good": ("W2", "good"),
    "w2_excellent_enters_w3": ("W3", "good"),
    "w2_excellent_below_w3": ("W2", "excellent"),
    "h1": ("H1", None),
    "created_after_start": ("W2", None),
    "w3_silent": ("W2", "poor"),
}
EXPECTED_RULES = {
    "w1_enters_w2": "entry_met", "w1_stays": "entry_not_met", "w2_poor": "poor_demotes", "w2_good": "good_keeps",
    "w2_excellent_enters_w3": "excellent_promotes", "w2_excellent_below_w3": "excellent_entry_not_met",
    "w3_silent": "poor_demotes",
}
EXPECTED_SUMMARY = {
    "graded": 7, "promotions": 2, "demotions": 2, "kept": 3, "skipped_new": 1, "not_applied": 0,
    "before": {"H1": 1, "W1": 2, "W2": 4, "W3": 1}, "after": {"H1": 1, "W1": 2, "W2": 4, "W3": 1},
    "transitions": {"H1": {"H1": 1}, "W1": {"W1": 1, "W2": 1}, "W2": {"W1": 1, "W2": 2, "W3": 1},
                    "W3": {"W2": 1}},
    "rules": {"entry_met": 1, "entry_not_met": 1, "excellent_entry_not_met": 1, "excellent_promotes": 1,
              "good_keeps": 1, "poor_demotes": 2},
}


def tiers(ids: dict[str, str]) -> dict[str, tuple[str, str | None]]:
    return {name: (a.tier, a.tier_status) for name, a in
            ((name, AccountModel.get(account_id, consistent_read=True)) for name, account_id in ids.items())}


def platform_state(ids: dict[str, str]) -> dict[str, Any]:
    """Every account's grading fields and every grade record, to compare before and after a rerun."""
    accounts = {name: AccountModel.get(account_id, consistent_read=True) for name, account_id in ids.items()}
    return {
        "accounts": {name: (a.tier, a.tier_status, a.last_graded_month) for name, a in accounts.items()},
        "records": sorted((r.account_id, r.month, r.old_tier, r.new_tier, r.status, r.rule,
                           tuple(r.metrics().as_dict().values())) for r in GradeRecordModel.scan()),
    }


@pytest.fixture
def at_month_start() -> Iterator[None]:
    clock.set_now(lambda: MONTH_START)
    yield
    clock.set_now(None)


@pytest.fixture
def crashes() -> Iterator[Callable[..., None]]:
    """Make a model's DynamoDB calls fail while a predicate says so (botocore hooks on the client the code uses)."""
    registered: list[tuple[Any, str, Any]] = []

    def crash_when(model: type[Any], operation: str, predicate: Callable[[dict[str, Any]], bool]) -> None:
        client = model._get_connection().connection.client
        event = f"before-parameter-build.dynamodb.{operation}"

        def hook(params: dict[str, Any], **_: Any) -> None:
            if predicate(params):
                raise RuntimeError(f"injected crash in {operation}")

        client.meta.events.register(event, hook)
        registered.append((client, event, hook))

    yield crash_when
    for client, event, hook in registered:
        client.meta.events.unregister(event, hook)


def test_a_month_grades_every_account_once_and_a_rerun_changes_nothing(api: Any, run_workers: Any,
                                                                       at_month_start: None) -> None:
    # Given 30 days of activity for a handful of accounts, one per rule of the decision table
    ids = given_a_platform()
    operator = api.as_user("ops-1", ["operator"])

    # When the monthly schedule fires at 00:05 on the 1st (Asia/Shanghai) and the workers drain the queue
    fired = fire_schedule(app, "grading_monthly")
    run_workers()

    # Then each account has its new tier and status, and a record saying why
    assert fired["run_id"] == "2026-11"
    assert tiers(ids) == EXPECTED
    records = {r.account_id: r for r in GradeRecordModel.scan()}
    assert {name: records[ids[name]].rule for name in EXPECTED_RULES} == EXPECTED_RULES
    assert ids["h1"] not in records and ids["created_after_start"] not in records
    entered = records[ids["w1_enters_w2"]]
    assert (entered.old_tier, entered.new_tier, entered.status, entered.cutoff) == ("W1", "W2", None, "2026-11-01")
    # fans at the cut-off exclude the 5 follows of Nov 1; posts exclude system posts and Oct 1
    assert entered.metrics().as_dict() == {"fans": 150, "active_fans": 40, "revisit_rate": 0.5,
                                           "avg_daily_posts": 0.5}
    run = operator.get("/ops/grading/runs/2026-11")
    assert run.status == 200 and run.json["status"] == "done", run
    assert run.json["summary"] == EXPECTED_SUMMARY
    assert run.json["progress"]["fraction"] == 1.0 and run.json["progress"]["accounts_graded"] == 7
    # ...and the promoted account's owner sees the new tier, its privileges and the month that moved it
    grade = api.as_user("owner-e").get(f"/accounts/{ids['w2_excellent_enters_w3']}/grade")
    assert grade.status == 200, grade
    assert (grade.json["tier"], grade.json["tier_status"], grade.json["metrics_source"]) == ("W3", "good", "monthly")
    assert (grade.json["privileges"], grade.json["next_tier"]) == ({"daily_quota": 8, "hot_list": True}, "W4")
    assert grade.json["history"] == [{
        "month": "2026-11", "cutoff": "2026-11-01", "old_tier": "W2", "new_tier": "W3", "status": "excellent",
        "rule": "excellent_promotes",
        "metrics": {"fans": 1200, "active_fans": 320, "revisit_rate": 0.4, "avg_daily_posts": 1.0}}]

    # When the operator reruns the month, and every shard message is delivered again
    before = platform_state(ids)
    rerun = operator.post("/ops/grading/runs", {"month": "2026-11"})
    shard_ids = [s.shard_id for s in GradingShardModel.query("2026-11")]
    queues.send_many("grading", [{"run_id": "2026-11", "shard": shard_id} for shard_id in shard_ids])
    run_workers()

    # Then nothing changes: no account moves twice, the records and the summary stay
    assert rerun.status == 202 and rerun.json["status"] == "done"
    assert platform_state(ids) == before
    assert operator.get("/ops/grading/runs/2026-11").json["summary"] == EXPECTED_SUMMARY


def test_shards_that_crash_half_way_are_rerun_to_the_same_result(api: Any, run_workers: Any, at_month_start: None,
                                                                  crashes: Callable[..., None],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the same platform, small scan pages and chunks (so a shard writes several times)
    ids = given_a_platform()
    initial = tiers(ids)
    monkeypatch.setattr(grading_shards, "SCAN_PAGE_LIMIT", 100)
    monkeypatch.setattr(grading_shards, "CHUNK_ENTRIES", 2)
    operator = api.as_user("ops-1", ["operator"])
    # ...and the account-days map shard crashing after its first chunk write, every time
    chunk_writes: list[int] = []

    def second_days_chunk(params: dict[str, Any]) -> bool:
        items = next(iter(params["RequestItems"].values()))
        if not any(r["PutRequest"]["Item"]["chunk_id"]["S"].startswith("days:") for r in items):
            return False
        chunk_writes.append(1)
        return len(chunk_writes) % 2 == 0

    crashes(GradingChunkModel, "BatchWriteItem", second_days_chunk)

    # When the month runs: that shard fails until its message is dead-lettered
    started = operator.post("/ops/grading/runs", {"month": "2026-11"})
    run_workers()
    stuck = operator.get("/ops/grading/runs/2026-11").json

    # Then the run waits in its map phase, nothing graded
    assert started.status == 202 and started.json["status"] == "running"
    assert (stuck["status"], stuck["phase"]) == ("running", "map")
    assert stuck["progress"]["map_shards"]["done"] == stuck["progress"]["map_shards"]["total"] - 1
    assert tiers(ids) == initial
    assert GradeRecordModel.count() == 0

    # When the fault is gone, the reduce shard crashes once after two tier changes, and the operator reruns
    chunk_writes.clear()
    updates: list[int] = []

    def third_update(params: dict[str, Any]) -> bool:
        updates.append(1)
        return len(updates) == 3

    monkeypatch.setattr(grading_shards, "CHUNK_ENTRIES", 2_000)  # the days shard now writes one chunk: no crash
    crashes(AccountModel, "UpdateItem", third_update)
    rerun = operator.post("/ops/grading/runs", {"month": "2026-11"})
    run_workers()

    # Then the run finishes exactly as a clean run would, every account moved once
    assert rerun.status == 202
    done = operator.get("/ops/grading/runs/2026-11").json
    assert done["status"] == "done" and done["summary"] == EXPECTED_SUMMARY
    assert tiers(ids) == EXPECTED
    assert {r.account_id for r in GradeRecordModel.scan()} == {ids[name] for name in EXPECTED_RULES}
    attempts = {s.shard_id: int(s.attempts) for s in GradingShardModel.query("2026-11")}
    assert attempts["map:days:0000"] == 6 and attempts["reduce:0000"] == 2


def test_the_weekly_refresh_warns_the_owner_without_moving_the_tier(api: Any, run_workers: Any) -> None:
    # Given a W2 account whose fans fell below W2's good minimum, and a W3 account doing well
    slipping = given_account("s", "W2", 70, tier_status="good")
    steady = given_account("t", "W3", 1_500)
    weekly_window = [(date(2026, 10, 17) + timedelta(days=i)).isoformat() for i in range(30)]
    november = {"days": weekly_window, "early": "2026-11-02", "recent_days": ("2026-11-10", "2026-11-12")}
    given_activity(slipping, fans=40, recent=20, revisiting=10, posts=15, **november)
    given_activity(steady, fans=320, recent=50, revisiting=20, posts=30, **november)
    clock.set_now(lambda: datetime(2026, 11, 15, 16, 10, tzinfo=UTC))  # Monday 00:10 in Shanghai

    # When the weekly schedule fires and the workers drain the queue
    fired = fire_schedule(app, "grading_weekly")
    run_workers()

    # Then the status is refreshed as a warning, the tier is untouched, and the owner sees why
    assert fired["run_id"] == "2026-11-16"
    assert tiers({"slipping": slipping, "steady": steady}) == {"slipping": ("W2", "poor"), "steady": ("W3", "good")}
    assert StatusSnapshotModel.get(slipping).as_of == "2026-11-16"
    grade = api.as_user("owner-s").get(f"/accounts/{slipping}/grade")
    assert grade.status == 200, grade
    assert (grade.json["tier"], grade.json["tier_status"], grade.json["as_of"], grade.json["metrics_source"]) == (
        "W2", "poor", "2026-11-16", "weekly")
    assert grade.json["metrics"]["fans"] == {"value": 70, "good": 80, "excellent": 500, "promotion": 1000}
    assert grade.json["to_improve"][0] == {"metric": "fans", "value": 70, "target": 80, "for": "good"}
    assert grade.json["privileges"] == {"daily_quota": 5, "hot_list": True}
    assert grade.json["history"] == []
    assert api.as_user("owner-t").get(f"/accounts/{slipping}/grade").status == 404


@pytest.mark.parametrize(("body", "pointer", "message"), [
    ({"month": "2026-12"}, "/month", "cannot be graded before 2026-12-01T00:00:00+08:00"),
    ({"month": "2026-09"}, "/month", "too old"),
    ({"month": "2026-13"}, "/month", ""),
    ({"month": "２０２６-11"}, "/month", "/month"),  # full-width digits: one month must have one run id
    ({"month": 202611}, "/month", ""),
    ({}, "/month", ""),
])
def test_a_month_that_cannot_be_graded_is_a_400(api: Any, at_month_start: None, body: dict[str, Any], pointer: str,
                                               message: str) -> None:
    response = api.as_user("ops-1", ["operator"]).post("/ops/grading/runs", body)

    assert response.status == 400, response
    assert pointer in {d["pointer"] for d in response.json["error"]["details"]}
    assert message in response.json["error"]["message"]


def test_only_operators_run_grading_and_only_owners_read_grades(api: Any, at_month_start: None) -> None:
    account_id = given_account("o", "W2", 10)
    user = api.as_user("owner-o")

    assert user.post("/ops/grading/runs", {"month": "2026-11"}).status == 403
    assert user.get("/ops/grading/runs/2026-11").status == 403
    assert api.as_user("ops-1", ["operator"]).get("/ops/grading/runs/2026-11").status == 404
    assert api.as_user("ops-1", ["operator"]).get("/ops/grading/runs/last-month").status == 400
    assert api.as_user("someone").get(f"/accounts/{account_id}/grade").status == 404
    fresh = user.get(f"/accounts/{account_id}/grade")
    assert fresh.status == 200 and (fresh.json["metrics"], fresh.json["history"]) == (None, [])


def test_the_cli_starts_the_month_shows_its_progress_and_prints_the_summary(http_base: str,
                                                                            at_month_start: None) -> None:
    # Given a W1 account ready for W2 and a silent W2, and workers running as under `make run`
    rising = given_account("r", "W1", 155)
    given_account("q", "W2", 10)
    given_activity(rising, fans=40, recent=20, revisiting=10, posts=15)
    stop = threading.Event()

    def workers() -> None:
        while not stop.is_set():
            drain(app)
            stop.wait(0.05)

    thread = threading.Thread(target=workers, daemon=True)
    thread.start()
    out = io.StringIO()

    # When the CLI grades the month against the local API
    try:
        code = watch("2026-11", http_base, interval=0.05, out=out)
    finally:
        stop.set()
        thread.join(timeout=30)

    # Then it showed the bar to 100% and printed the summary with the transition matrix
    text = out.getvalue()
    assert code == 0, text
    assert f"[{'#' * 30}] 100%  done" in text
    assert "2026-11: 2 accounts graded — 1 promoted, 1 demoted, 0 kept" in text
    rows = [" ".join(line.split()) for line in text.splitlines()]
    assert rows[rows.index("tier before after") + 1:][:2] == ["W1 1 1", "W2 1 1"]
    assert rows[rows.index("W1 W2") + 1:][:2] == ["W1 . 1", "W2 1 ."]  # transitions: before → after


def test_the_cli_says_how_to_start_the_stack_when_no_api_answers() -> None:
    out = io.StringIO()

    assert watch("2026-11", "http://127.0.0.1:9", out=out) == 2
    assert "start the local stack with `make run` first" in out.getvalue()


def test_a_run_grades_accounts_as_they_stood_when_it_started(api: Any, run_workers: Any) -> None:
    # Given a W2 account that earns a promotion and an account in H1, and a month run started at 00:05
    clock.set_now(lambda: MONTH_START)
    promoted = given_account("e", "W2", 1_200)
    given_activity(promoted, fans=320, recent=50, revisiting=20, posts=30)
    released = given_account("g", "H1", 5_000)
    given_activity(released, fans=400, recent=50, revisiting=20, posts=30)
    operator, mod = api.as_user("ops-1", ["operator"]), api.as_user("mod-1", ["moderator"])
    assert operator.post("/ops/grading/runs", {"month": "2026-11"}).status == 202

    # When, before its shards scan the accounts, a moderator sends the first to H1 and releases the second
    clock.set_now(lambda: MONTH_START + timedelta(minutes=1))
    assert mod.put(f"/moderation/accounts/{promoted}/blackroom", {"reason": "引流"}).json["tier"] == "H1"
    assert mod.delete(f"/moderation/accounts/{released}/blackroom").json["tier"] == "W1"
    run_workers()

    # Then the run graded the tiers of its start: the first as W2 (its promotion not applied over H1),
    # the second as H1 (not graded, so it stays the W1 its release gave it)
    summary = operator.get("/ops/grading/runs/2026-11").json["summary"]
    assert summary["before"] == {"W2": 1, "H1": 1} and summary["not_applied"] == 1
    record = GradeRecordModel.get(promoted, "2026-11")
    assert (record.old_tier, record.new_tier) == ("W2", "W3")
    assert AccountModel.get(promoted).tier == "H1" and AccountModel.get(released).tier == "W1"
    assert GradeRecordModel.count(released) == 0
