"""``make bench-grading``: grade 100,000 accounts on a local moto server, against a raw parallel scan.

For each size (10,000 then 100,000 accounts by default) a fresh moto server runs in its
own process and is seeded straight into its backend (the same items the PynamoDB models
write: accounts, account-day counters and fan-day facts in the 30-day window). Then, in
the same run and on the same server:

1. **raw scan** — worker processes read every stats row the grading needs (account days
   and fan days: same tables, segments, projection and filter as the map shards) and
   do nothing else;
2. **grading** — the same number of worker processes consume the grading queue with the
   real handler (one process per Lambda), after the monthly job starts the run exactly
   as the schedule does; the time is the run's own ``finished_at - started_at``.

It prints accounts per second, the ratio grading / raw scan (target: at most 2 at the
largest size; the command exits 1 when it misses), and the peak memory (max RSS) of one
worker, which must stay flat from the small size to the large one since a shard's size
does not grow with the platform.

Thresholds: tiers.json with its fan-count minimums (``fans``, ``active_fans``) divided by
``--scale`` (200), so that an account needs tens of fan-day rows, not thousands, and a
moto-sized dataset still spans poor, good and excellent accounts in every tier.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import queue
import random
import resource
import socket
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

TIER_MIX = (("W1", 0.55), ("W2", 0.25), ("W3", 0.12), ("W4", 0.05), ("H1", 0.03))
LEVELS = (("poor", 0.10), ("good", 0.78), ("excellent", 0.12))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scale_thresholds(scale: float) -> None:
    """Divide the fan-count minimums of tiers.json by ``scale`` in this process (see the module doc)."""
    from chalicelib.domain.grading import grading_config
    from chalicelib.domain.tiers import tier_config

    for spec in tier_config()["tiers"].values():
        for thresholds in [spec.get("entry") or {}, *(spec.get("status") or {}).values()]:
            for metric in ("fans", "active_fans"):
                if metric in thresholds:
                    thresholds[metric] = thresholds[metric] / scale
    grading_config.cache_clear()


def _pick(rng: random.Random, mix: tuple[tuple[str, float], ...]) -> str:
    u, total = rng.random(), 0.0
    for name, weight in mix:
        total += weight
        if u < total:
            return name
    return mix[-1][0]


def _account_rows(i: int, cutoff: date, rng: random.Random) -> tuple[Any, list[Any], list[Any]]:
    """One account and its activity: metrics drawn around its tier's thresholds."""
    from chalicelib.domain.grading import DayCounts, FanCounts, Window, grading_config, metrics_from, status_for
    from chalicelib.store.accounts import AccountModel
    from chalicelib.store.activity import AccountDayModel, FanDayModel

    config = grading_config()
    window = Window.before(cutoff, config)
    tier = _pick(rng, TIER_MIX)
    level = _pick(rng, LEVELS)
    rules = config.tiers.get(tier)
    # Metrics drawn around the thresholds that decide the account: its tier's good or excellent
    # minimums (excellent ones reach the next tier's entry about half the time); for W1 and H1
    # the entry conditions of W2, met by about one W1 in eight.
    if rules is None or rules.good is None:
        meets = rng.random() < 0.13
        base, factor = config.tiers["W2"].entry, (rng.uniform(1.0, 2.0) if meets else rng.uniform(0.2, 0.9))
    elif level == "excellent":
        base, factor = rules.excellent, rng.uniform(1.0, 2.5)
    else:
        base, factor = rules.good, (rng.uniform(0.3, 0.95) if level == "poor" else rng.uniform(1.0, 1.4))
    assert base is not None
    dormant = tier == "W1" and rng.random() < 0.3
    active = 0 if dormant else math.ceil(base["active_fans"] * factor)
    recent = min(active, max(1 if active else 0, round(active * 0.4)))
    revisiting = min(recent, math.ceil(recent * min(1.0, base["revisit_rate"] * factor)))
    posts = 0 if dormant else math.ceil(window.days * base["avg_daily_posts"] * factor)
    followers = rng.randint(0, 3) if dormant else math.ceil(base["fans"] * factor * rng.uniform(1.0, 1.2))
    account_id = f"01BENCH{i:019d}"
    days = sorted(rng.sample(range(window.days), min(window.days, max(1, posts // 3 + 1)))) if posts else []
    first = date.fromisoformat(window.start)
    day_rows = []
    for n, offset in enumerate(days):
        share = posts // len(days) + (1 if n < posts % len(days) else 0)
        day_rows.append(AccountDayModel(account_id, (first + timedelta(days=offset)).isoformat(), posts=share,
                                        impressions=rng.randint(5, 500), reads=rng.randint(0, 50),
                                        new_followers=rng.randint(0, 3)))
    early = [(first + timedelta(days=rng.randrange(window.days - 7))).isoformat() for _ in range(active)]
    fan_rows = [FanDayModel(account_id, f"{day}#fan{j:07d}") for j, day in enumerate(early)]
    fan_rows += [FanDayModel(account_id, f"{(cutoff - timedelta(days=4)).isoformat()}#fan{j:07d}")
                 for j in range(recent)]
    fan_rows += [FanDayModel(account_id, f"{(cutoff - timedelta(days=1)).isoformat()}#fan{j:07d}")
                 for j in range(revisiting)]
    metrics = metrics_from(followers, DayCounts(posts=posts), FanCounts(active, recent, revisiting), window)
    # The weekly refresh set the status; a few drifted since (they change at this run).
    status = status_for(tier, metrics, config) if rng.random() < 0.95 else rng.choice(["poor", "good", None])
    created = datetime(cutoff.year, cutoff.month, cutoff.day, tzinfo=UTC) - timedelta(days=90 + i % 300)
    account = AccountModel(account_id, owner_id=f"owner-{i}", handle=f"bench{i}", display_name=f"店铺{i}",
                           kind="merchant", category="服饰", tier=tier, tier_status=status,
                           follower_count=followers, created_at=created)
    return account, day_rows, fan_rows


def _moto_host(port: int, accounts: int, cutoff: str, scale: float, seed: int, ready: Any) -> None:
    """A moto server in its own process, seeded straight into its backend."""
    from local.environment import point_at, start_moto

    server, endpoint = start_moto(port)
    point_at(endpoint)
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from local.bootstrap import bootstrap

    bootstrap()
    _scale_thresholds(scale)
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
    rng = random.Random(seed)
    counts = {"accounts": 0, "day_rows": 0, "fan_rows": 0}
    for i in range(accounts):
        account, day_rows, fan_rows = _account_rows(i, date.fromisoformat(cutoff), rng)
        for item in (account, *day_rows, *fan_rows):
            backend.put_item(item.Meta.table_name, item.serialize())
        counts["accounts"] += 1
        counts["day_rows"] += len(day_rows)
        counts["fan_rows"] += len(fan_rows)
    ready.put(counts)
    while True:  # the parent terminates this process
        time.sleep(3600)


def _rss_mb() -> float:
    """This process's resident memory now (after imports: the floor its peak is compared with)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _worker_env(endpoint: str, env: dict[str, str]) -> None:
    from local.environment import point_at

    point_at(endpoint)
    os.environ.update(env)


def _raw_scan_worker(endpoint: str, env: dict[str, str], tasks: list[tuple[str, int, int]], window_start: str,
                     cutoff: str, ready: Any, go: Any, results: Any) -> None:
    """Read the stats rows of the given (table, segment, total) tasks; nothing else."""
    _worker_env(endpoint, env)
    from chalicelib.store import grading as store

    ready.put(_rss_mb())
    go.wait()
    started = time.perf_counter()
    rows = 0
    for table, segment, total in tasks:
        pages = (store.scan_account_days(segment, total, window_start) if table == "days"
                 else store.scan_fan_days(segment, total, window_start, cutoff))
        for page in pages:
            rows += len(page)
    results.put({"rows": rows, "seconds": time.perf_counter() - started,
                 "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def _grading_worker(endpoint: str, env: dict[str, str], index: int, month: str, clock_offset_s: float, scale: float,
                    ready: Any, go: Any, results: Any) -> None:
    """One "Lambda": consume the grading queue with the real handler until the run is done."""
    _worker_env(endpoint, env)
    from chalice.app import SQSEventConfig

    from app import app
    from chalicelib.domain import clock
    from chalicelib.services.grading import start_run
    from chalicelib.store.grading import get_run
    from local.workers import QueueConsumer

    clock.set_now(lambda: datetime.now(UTC) - timedelta(seconds=clock_offset_s))
    _scale_thresholds(scale)
    source = next(s for s in app.event_sources if isinstance(s, SQSEventConfig) and s.name == "grading_consumer")
    consumer = QueueConsumer(app, source, retry_delay_s=1)
    ready.put(_rss_mb())
    go.wait()
    if index == 0:
        start_run(month, clock.now())  # what the monthly schedule does
    shards = 0
    while True:
        got = consumer.poll_once(wait_s=1)
        shards += got
        if not got:
            run = get_run(month)
            if run is not None and run.status == "done":
                break
    results.put({"index": index, "shards": shards,
                 "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


def _next(results: Any, processes: list[Any]) -> Any:
    """The next result, or an error as soon as a worker died without giving one."""
    while True:
        try:
            return results.get(timeout=5)
        except queue.Empty:
            failed = [p.exitcode for p in processes if p.exitcode not in (None, 0)]
            if failed:
                raise RuntimeError(f"a benchmark worker failed (exit codes {failed})") from None


def _run_all(ctx: Any, target: Any, args_for: list[tuple[Any, ...]]) -> tuple[list[dict[str, Any]], float, float]:
    """Start the processes, release them together, wait for their results.

    Returns the results, the wall seconds, and the largest resident memory a worker had once
    its imports were done (before any work).
    """
    ready, go, results = ctx.Queue(), ctx.Event(), ctx.Queue()
    processes = [ctx.Process(target=target, args=(*args, ready, go, results)) for args in args_for]
    for process in processes:
        process.start()
    floor = max(_next(ready, processes) for _ in processes)  # imports done before the clock starts
    started = time.perf_counter()
    go.set()
    collected = [_next(results, processes) for _ in processes]
    wall = time.perf_counter() - started
    for process in processes:
        process.join(timeout=30)
    return collected, wall, floor


def bench_size(accounts: int, workers: int, scale: float, seed: int) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    now = datetime.now(UTC)
    local_today = (now + timedelta(hours=8)).date()
    cutoff = local_today.replace(day=1)
    month = cutoff.strftime("%Y-%m")
    # The workers' clock reads 00:05 on the 1st (Asia/Shanghai) when the run starts, then runs on.
    starts = datetime(cutoff.year, cutoff.month, cutoff.day, tzinfo=UTC) - timedelta(hours=8) + timedelta(minutes=5)
    clock_offset_s = (now - starts).total_seconds()
    window_start = (cutoff - timedelta(days=30)).isoformat()
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    ready = ctx.Queue()
    seeding = time.perf_counter()
    host = ctx.Process(target=_moto_host, args=(port, accounts, cutoff.isoformat(), scale, seed, ready), daemon=True)
    host.start()
    counts = ready.get(timeout=7200)
    seeded_s = time.perf_counter() - seeding
    # Shards of ~50,000 rows and reduce buckets of 5,000 accounts: the same shard size at every scale.
    # moto answers a Scan page in seconds, not milliseconds (it sorts the whole table per call):
    # wait for it rather than time out and resend the same heavy request.
    pynamodb_settings = os.path.join(tempfile.mkdtemp(prefix="bench-grading-"), "pynamodb_settings.py")
    with open(pynamodb_settings, "w") as settings_file:
        settings_file.write("read_timeout_seconds = 1800\n")
    env = {"GRADING_ROWS_PER_SEGMENT": "50000", "GRADING_ACCOUNTS_PER_BUCKET": "5000",
           "POWERTOOLS_LOG_LEVEL": "ERROR", "PYNAMODB_CONFIG": pynamodb_settings}
    from chalicelib.domain.grading import shard_count

    segments = {"days": shard_count(counts["day_rows"], 50_000, 2_000),
                "fans": shard_count(counts["fan_rows"], 50_000, 2_000)}
    tasks = [(table, segment, total) for table, total in segments.items() for segment in range(total)]
    per_worker = [tasks[i::workers] for i in range(workers)]
    try:
        raw, raw_wall, raw_floor = _run_all(ctx, _raw_scan_worker, [(endpoint, env, t, window_start, cutoff.isoformat())
                                                         for t in per_worker])
        graded, _, grading_floor = _run_all(ctx, _grading_worker, [(endpoint, env, i, month, clock_offset_s, scale)
                                                    for i in range(workers)])
        summary = _run_summary(endpoint, month)
    finally:
        host.terminate()
        host.join(timeout=30)
    stats_rows = counts["day_rows"] + counts["fan_rows"]
    grading_s = summary["seconds"]
    return {
        "accounts": accounts, "stats_rows": stats_rows, "seeded_s": seeded_s,
        "raw_s": raw_wall, "raw_rows": sum(r["rows"] for r in raw), "raw_rss_mb": max(r["max_rss_mb"] for r in raw),
        "grading_s": grading_s, "graded": summary["graded"], "accounts_per_s": accounts / grading_s,
        "ratio": grading_s / raw_wall, "grading_rss_mb": max(r["max_rss_mb"] for r in graded),
        "shards": sum(r["shards"] for r in graded), "summary": summary,
        "raw_floor_mb": raw_floor, "grading_floor_mb": grading_floor,
        "grading_rss_each": sorted(round(r["max_rss_mb"]) for r in graded),
    }


def _run_summary(endpoint: str, month: str) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    process = ctx.Process(target=_read_run, args=(endpoint, month, results))
    process.start()
    found = results.get(timeout=600)
    process.join(timeout=30)
    return found


def _read_run(endpoint: str, month: str, results: Any) -> None:
    _worker_env(endpoint, {})
    from chalicelib.store.grading import get_run, shards_of

    run = get_run(month)
    assert run is not None and run.status == "done" and run.finished_at is not None, "the run did not finish"
    map_done = max(s.finished_at for s in shards_of(month) if s.shard_id.startswith("map:"))
    results.put({**run.summary, "seconds": (run.finished_at - run.started_at).total_seconds(),
                 "map_seconds": (map_done - run.started_at).total_seconds()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.bench_grading", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--compare", type=int, default=10_000, help="the smaller size, for memory flatness")
    parser.add_argument("--workers", type=int, default=4, help="worker processes (concurrent Lambdas)")
    parser.add_argument("--scale", type=float, default=200.0, help="divide fan-count thresholds by this")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"grading benchmark: moto in its own process, {args.workers} worker processes, "
          f"fan-count thresholds / {args.scale:g}", flush=True)
    rows = []
    for accounts in sorted({args.compare, args.accounts}):
        result = bench_size(accounts, args.workers, args.scale, args.seed)
        rows.append(result)
        s = result["summary"]
        print(f"\n{accounts:,} accounts, {result['stats_rows']:,} stats rows (seeded in {result['seeded_s']:.0f}s)\n"
              f"  raw parallel scan : {result['raw_rows']:,} rows in {result['raw_s']:.1f}s "
              f"({result['raw_rows'] / result['raw_s']:,.0f} rows/s), peak RSS/worker {result['raw_rss_mb']:.0f} MB\n"
              f"  grading           : {result['graded']:,} graded in {result['grading_s']:.1f}s "
              f"({result['accounts_per_s']:,.0f} accounts/s; map {s['map_seconds']:.0f}s, "
              f"reduce {result['grading_s'] - s['map_seconds']:.0f}s; {result['shards']} shards), "
              f"peak RSS/worker {result['grading_rss_mb']:.0f} MB (after imports "
              f"{result['grading_floor_mb']:.0f} MB; each {result['grading_rss_each']})\n"
              f"  ratio grading/raw : {result['ratio']:.2f}x (target <= 2)\n"
              f"  moves             : {s['promotions']:,} promotions, {s['demotions']:,} demotions, "
              f"{s['kept']:,} kept; before {s['before']} after {s['after']}", flush=True)
    if len(rows) == 2:
        small, large = rows
        growth = large["grading_rss_mb"] / small["grading_rss_mb"] - 1
        print(f"\nmemory: peak RSS per grading worker {small['grading_rss_mb']:.0f} MB at {small['accounts']:,} "
              f"accounts, {large['grading_rss_mb']:.0f} MB at {large['accounts']:,} ({growth:+.0%})", flush=True)
    largest = rows[-1]
    met = largest["ratio"] <= 2
    print(f"\ngrading / raw scan at {largest['accounts']:,} accounts: {largest['ratio']:.2f}x, target <= 2x, "
          f"met: {'yes' if met else 'NO'}", flush=True)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
