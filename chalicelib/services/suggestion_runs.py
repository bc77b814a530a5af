"""The daily related-accounts job: sharded through the suggestions queue like grading.

A run splits the accounts table into parallel-scan segments, one shard (one queue
message) each. A shard, account by account:

1. reads a bounded sample of its followers (``follower_sample``, 1-2 Queries from a
   fixed pseudo-random point of the user-id order, whatever the account's size),
2. reads each sampled follower's newest ``follow_sample`` follows (one Query each; a
   follower already read for another account of the shard is not read again),
3. counts co-follows, looks up the follower counts of the strongest candidates (one
   BatchGetItem), keeps the top ``related_size`` by cosine similarity,
4. checks whether the account has ever published (one Query), and writes its profile
   (batched, 25 a call).

It also keeps its segment's most-followed accounts, overall and per category. When the
last shard commits, the popular lists are merged and stored and the run is ``done``.

Every step is safe to repeat: a committed shard is skipped, the samples are the same
on every run of the same graph (so a rerun writes the same lists), and the summary is
computed from the committed shards only.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from chalicelib.auth import OPERATOR, Principal
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.discovery import (
    DiscoveryConfig,
    PopularTally,
    Related,
    co_follow_counts,
    discovery_config,
    merge_popular,
    related_accounts,
    sample_start,
    strongest_candidates,
)
from chalicelib.domain.errors import found
from chalicelib.domain.grading import shard_count, shard_progress
from chalicelib.domain.messages import SuggestionShardMessage
from chalicelib.domain.tiers import PENALTY_TIER
from chalicelib.observability import logger
from chalicelib.store import discovery as store
from chalicelib.store import queues
from chalicelib.store.grading import account_count

SCAN_PAGE_LIMIT: int | None = None  # tests make it small to cross pages
FOLLOWS_CACHE_USERS = 50_000  # sampled followers' follow lists a shard keeps (≈ 50 ids each)


class FollowGraph(Protocol):
    """What the job reads of the follow graph (the store; the benchmark's in-memory graph)."""

    def follower_sample(self, account_id: str, start: str, limit: int) -> list[str]: ...

    def follows_sample(self, user_id: str, limit: int) -> list[str]: ...

    def follower_counts(self, account_ids: list[str]) -> dict[str, int]: ...


class StoreGraph:
    """The follow graph as DynamoDB holds it (:mod:`chalicelib.store.discovery`)."""

    def follower_sample(self, account_id: str, start: str, limit: int) -> list[str]:
        return store.follower_sample(account_id, start, limit)

    def follows_sample(self, user_id: str, limit: int) -> list[str]:
        return store.follows_sample(user_id, limit)

    def follower_counts(self, account_ids: list[str]) -> dict[str, int]:
        return store.follower_counts(account_ids)


@dataclass
class RelatedComputer:
    """Computes related lists for the accounts of one shard, sharing its bounded caches."""

    graph: FollowGraph
    config: DiscoveryConfig
    threads: int = 1
    follows_cache: OrderedDict[str, list[str]] = field(default_factory=OrderedDict)
    counts_cache: dict[str, int] = field(default_factory=dict)

    def _follows(self, users: list[str]) -> list[list[str]]:
        missing = [u for u in users if u not in self.follows_cache]
        if missing:
            read: Callable[[str], list[str]] = lambda u: self.graph.follows_sample(u, self.config.follow_sample)  # noqa: E731
            if self.threads > 1 and len(missing) > 1:
                with ThreadPoolExecutor(max_workers=min(self.threads, len(missing))) as pool:
                    lists = list(pool.map(read, missing))
            else:
                lists = [read(u) for u in missing]
            for user, follows in zip(missing, lists, strict=True):
                self.follows_cache[user] = follows
        result = []
        for user in users:
            self.follows_cache.move_to_end(user)
            result.append(self.follows_cache[user])
        while len(self.follows_cache) > FOLLOWS_CACHE_USERS:
            self.follows_cache.popitem(last=False)
        return result

    def related(self, account_id: str, followers: int) -> tuple[list[Related], int]:
        """The account's related list and how many followers it was sampled from."""
        if followers < self.config.min_support:
            return [], 0
        sample = self.graph.follower_sample(account_id, sample_start(account_id), self.config.follower_sample)
        if len(sample) < self.config.min_support:
            return [], len(sample)
        counts = co_follow_counts(account_id, self._follows(sample))
        wanted = strongest_candidates(counts, self.config.min_support, 2 * self.config.related_size)
        unknown = [a for a in wanted if a not in self.counts_cache]
        if unknown:
            self.counts_cache.update(self.graph.follower_counts(unknown))
            if len(self.counts_cache) > FOLLOWS_CACHE_USERS:
                self.counts_cache.clear()  # rare: a shard of very many accounts; counts are cheap to read again
                self.counts_cache.update(self.graph.follower_counts(wanted))
        known = {a: self.counts_cache[a] for a in wanted if a in self.counts_cache}
        return related_accounts(account_id, len(sample), followers, {a: counts[a] for a in wanted}, known,
                                self.config), len(sample)


def shard_ids(run: store.SuggestionRunModel) -> list[str]:
    return [f"{segment:04d}" for segment in range(int(run.segments))]


def start_run(run_id: str, now: datetime) -> store.SuggestionRunModel:
    """Start run ``run_id`` or resume it: send its unfinished shards (a done run is returned as it is)."""
    run = store.get_run(run_id)
    if run is None:
        accounts = account_count()
        run = store.SuggestionRunModel(
            run_id, status="running", started_at=now, accounts_estimate=accounts,
            segments=shard_count(accounts, settings.suggestion_accounts_per_shard, settings.suggestion_max_shards))
        if store.create_run(run):
            logger.info("suggestion run started", run_id=run_id, segments=run.segments)
        run = store.get_run(run_id) or run
    if run.status != "done":
        done = store.finished_shards(run_id)
        pending = [shard_id for shard_id in shard_ids(run) if shard_id not in done]
        if pending:
            queues.send_many("suggestions", [SuggestionShardMessage(run_id, s).to_json() for s in pending])
        advance(run_id)
    return store.get_run(run_id) or run


def advance(run_id: str) -> str:
    """Finish the run when every shard has committed: merge and store the popular lists and the summary."""
    run = store.get_run(run_id)
    if run is None or run.status == "done":
        return "done"
    shards = store.finished_shards(run_id)
    if not all(shard_id in shards for shard_id in shard_ids(run)):
        return "running"
    config = discovery_config()
    parts = [shards[shard_id].summary or {} for shard_id in shard_ids(run)]
    popular = merge_popular([p.get("popular", {}) for p in parts], config.popular_size, config.popular_categories)
    store.write_popular(popular, run_id, clock.now())
    summary: dict[str, Any] = {key: sum(int(p.get(key, 0)) for p in parts) for key in
                               ("accounts", "with_related", "related_entries", "sampled_followers", "store_calls")}
    summary["store_calls_per_account"] = round(summary["store_calls"] / max(1, summary["accounts"]), 2)
    summary["popular_lists"] = len(popular)
    if store.finish_run(run_id, summary, clock.now()):
        logger.info("suggestion run done", run_id=run_id, summary=summary)
    return "done"


class CountingGraph(StoreGraph):
    """The store graph, counting its own requests (the shard reports its store calls per account)."""

    def __init__(self) -> None:
        self.calls = 0

    def follower_sample(self, account_id: str, start: str, limit: int) -> list[str]:
        users = super().follower_sample(account_id, start, limit)
        self.calls += 1 if len(users) == limit else 2
        return users

    def follows_sample(self, user_id: str, limit: int) -> list[str]:
        self.calls += 1
        return super().follows_sample(user_id, limit)

    def follower_counts(self, account_ids: list[str]) -> dict[str, int]:
        self.calls += math.ceil(len(account_ids) / 100)
        return super().follower_counts(account_ids)


def run_shard(message: SuggestionShardMessage) -> dict[str, Any]:
    """The suggestions queue's consumer: one scan segment of accounts per message, unless already done."""
    run_id, shard_id = message.run_id, message.shard
    run = found(store.get_run(run_id), f"suggestion run {run_id} not found")
    shard = store.get_shard(run_id, shard_id)
    if shard is not None and shard.finished_at is not None:
        advance(run_id)
        return {"shard": shard_id, "result": "already_done"}
    store.note_attempt(run_id, shard_id)
    config = discovery_config()
    graph = CountingGraph()
    computer = RelatedComputer(graph, config, threads=settings.suggestion_read_threads)
    tally = PopularTally(config.popular_size)
    totals = {"accounts": 0, "with_related": 0, "related_entries": 0, "sampled_followers": 0}
    profiles: list[store.DiscoveryProfileModel] = []
    now = clock.now()
    for page in store.scan_accounts(int(shard_id), int(run.segments), SCAN_PAGE_LIMIT):
        for account_id, category, tier, followers in page:
            related, sampled = computer.related(account_id, followers)
            has_posts = store.has_published(account_id)
            graph.calls += 1
            if has_posts and tier != PENALTY_TIER:
                tally.add(account_id, category, followers)
            profiles.append(store.DiscoveryProfileModel(
                account_id, related=[[r.account_id, r.similarity, r.overlap] for r in related],
                has_posts=has_posts, sampled=sampled, run_id=run_id, computed_at=now))
            totals["accounts"] += 1
            totals["with_related"] += int(bool(related))
            totals["related_entries"] += len(related)
            totals["sampled_followers"] += sampled
            if len(profiles) >= 25:
                graph.calls += store.write_profiles(profiles)
                profiles = []
    if profiles:
        graph.calls += store.write_profiles(profiles)
    summary = {**totals, "store_calls": graph.calls, "popular": tally.to_json(config.popular_categories)}
    committed = store.commit_shard(run_id, shard_id, clock.now(), summary)
    advance(run_id)
    return {"shard": shard_id, "accounts": totals["accounts"], "committed": committed}


# --- entry points ----------------------------------------------------------------------------

def run_view(run: store.SuggestionRunModel) -> dict[str, Any]:
    done = store.finished_shards(run.run_id)
    return {
        "run_id": run.run_id, "status": run.status,
        "started_at": clock.rfc3339(run.started_at), "finished_at": clock.rfc3339(run.finished_at),
        "progress": {**shard_progress({"shards": shard_ids(run)}, done),
                     "accounts_done": sum(int((s.summary or {}).get("accounts", 0)) for s in done.values()),
                     "accounts_estimate": int(run.accounts_estimate)},
        "summary": run.summary,
    }


def manual_run_id(now: datetime) -> str:
    """An operator's run: named by its Asia/Shanghai minute, so a repeated click starts nothing new."""
    return now.astimezone(clock.SHANGHAI).strftime("%Y-%m-%d-%H%M")


def start_by_operator(principal: Principal) -> dict[str, Any]:
    """``POST /ops/suggestions/runs``: the job the daily schedule runs, now."""
    principal.require(OPERATOR)
    now = clock.now()
    return run_view(start_run(manual_run_id(now), now))


def get_run(principal: Principal, run_id: str) -> dict[str, Any]:
    principal.require(OPERATOR)
    return run_view(found(store.get_run(run_id), f"no suggestion run {run_id}"))


def start_daily() -> dict[str, Any]:
    """The daily schedule: one run per Asia/Shanghai day (a retried event resumes the same run)."""
    now = clock.now()
    run = start_run(clock.local_day(now).isoformat(), now)
    return {"run_id": run.run_id, "status": run.status}
