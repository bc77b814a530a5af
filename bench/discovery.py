"""``make bench-discovery``: recall of the account suggestions against a popularity baseline.

A synthetic follow graph with planted communities and noise (20,000 users, 500
accounts by default): accounts belong to communities (20 accounts each, two
communities to a category); a user joins one community (a quarter of them a second
one) and follows 4 to 14 accounts, each of them with probability ``--noise`` picked by
global popularity instead (Zipf) and otherwise within one of their communities (Zipf
inside it). One follow per user (who has two or more) is hidden. Then, in one run:

1. the related-accounts job computes every account's related list and the popular
   lists from the visible graph — the same code as the deployed job
   (:class:`chalicelib.services.suggestion_runs.RelatedComputer`, the rules of
   :mod:`chalicelib.domain.discovery`), reading an in-memory graph that counts the
   store calls the DynamoDB-backed reader would make for each read (one Query per
   follower sample, two when it wraps round; one Query per sampled follower's follows;
   one BatchGetItem per 100 follower counts; one Query for "has it published"; one
   BatchWriteItem per 25 profiles);
2. every user's top 10 suggestions are scored by the same functions as
   ``GET /me/suggestions`` (co-follow through the related lists of their newest 50
   follows, popular in their categories, exclusions), and the popularity-only
   baseline's top 10 (the most-followed accounts they do not follow);
3. recall@10 of the hidden follow is reported for both, with the ratio (target ≥ 3x),
   the job's time in process and its store calls per account (mean, and for the
   largest account, which must cost no more than a small one with a full sample).

The job runs in process, not on moto: on moto every Query scans the whole table (the
follow table here holds about 170,000 items), which would measure moto, not the job.
The store calls are counted per read instead; ``tests/integration/test_discovery.py``
runs the real job through SQS on moto and checks the same counts there.

Exits 1 when the recall target or the store-call bound is missed.
``python -m bench.discovery --quick`` runs a small graph (2,000 users, 250 accounts).
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import math
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field

from chalicelib.domain.discovery import (
    CandidateFacts,
    PopularTally,
    Related,
    discovery_config,
    merge_popular,
    rank_suggestions,
    score_candidates,
)
from chalicelib.services.suggestion_runs import RelatedComputer

RECALL_TARGET = 3.0
TOP_K = 10


@dataclass
class Graph:
    """Users' follows (in follow order, newest last) and accounts' followers (sorted by user id)."""

    follows: dict[str, list[str]]
    followers: dict[str, list[str]]
    category: dict[str, str]
    hidden: dict[str, str]


def zipf_pick(rng: random.Random, items: list[str], weights: list[float]) -> str:
    return rng.choices(items, weights=weights, k=1)[0]


def build_graph(users: int, accounts: int, community_size: int, noise: float, seed: int) -> Graph:
    rng = random.Random(seed)
    account_ids = [f"acct-{i:04d}" for i in range(accounts)]
    communities = [account_ids[i:i + community_size] for i in range(0, accounts, community_size)]
    category = {a: f"类目{index // 2}" for index, members in enumerate(communities) for a in members}
    global_weights = [1 / (rank + 1) ** 0.8 for rank in range(accounts)]
    shuffled_global = account_ids[:]
    rng.shuffle(shuffled_global)
    local_weights = [[1 / (rank + 1) ** 0.7 for rank in range(len(members))] for members in communities]
    follows: dict[str, list[str]] = {}
    hidden: dict[str, str] = {}
    for n in range(users):
        # Random ids, like Cognito subs: the job's sample starts at a hashed point of the id order.
        user = hashlib.sha1(f"user-{n}-{seed}".encode()).hexdigest()[:16]
        mine = [rng.randrange(len(communities))]
        if rng.random() < 0.25:
            mine.append(rng.randrange(len(communities)))
        wanted = rng.randint(4, 14)
        chosen: list[str] = []
        for _ in range(wanted * 3):
            if len(chosen) == wanted:
                break
            if rng.random() < noise:
                pick = zipf_pick(rng, shuffled_global, global_weights)
            else:
                c = rng.choice(mine)
                pick = zipf_pick(rng, communities[c], local_weights[c])
            if pick not in chosen:
                chosen.append(pick)
        if len(chosen) >= 2:
            hidden[user] = chosen.pop(rng.randrange(len(chosen)))
        follows[user] = chosen
    followers: dict[str, list[str]] = {a: [] for a in account_ids}
    for user, accounts_followed in follows.items():
        for account in accounts_followed:
            followers[account].append(user)
    for members in followers.values():
        members.sort()
    return Graph(follows, followers, category, hidden)


@dataclass
class CountedGraph:
    """The job's :class:`FollowGraph` over the in-memory graph, counting the store calls each read costs."""

    graph: Graph
    calls: int = 0
    calls_by_account: Counter[str] = field(default_factory=Counter)
    current: str = ""

    def _count(self, n: int) -> None:
        self.calls += n
        self.calls_by_account[self.current] += n

    def follower_sample(self, account_id: str, start: str, limit: int) -> list[str]:
        members = self.graph.followers.get(account_id, [])
        at = bisect.bisect_left(members, start)
        sample = members[at:at + limit]
        wrapped = len(sample) < limit
        if wrapped:
            sample += members[:min(at, limit - len(sample))]
        self._count(2 if wrapped else 1)
        return sample

    def follows_sample(self, user_id: str, limit: int) -> list[str]:
        self._count(1)
        return self.graph.follows.get(user_id, [])[-limit:][::-1]

    def follower_counts(self, account_ids: list[str]) -> dict[str, int]:
        self._count(math.ceil(len(account_ids) / 100))
        return {a: len(self.graph.followers[a]) for a in account_ids if a in self.graph.followers}


def run_job(graph: Graph) -> tuple[dict[str, list[Related]], dict[str, list], CountedGraph, float]:
    """The related-accounts job over every account, as one shard would run it; returns lists, popular, counts."""
    config = discovery_config()
    counted = CountedGraph(graph)
    computer = RelatedComputer(counted, config)
    tally = PopularTally(config.popular_size)
    related: dict[str, list[Related]] = {}
    started = time.perf_counter()
    for account_id, members in graph.followers.items():
        counted.current = account_id
        related[account_id], _ = computer.related(account_id, len(members))
        counted._count(1)  # has it published?
        tally.add(account_id, graph.category[account_id], len(members))
    counted.calls += math.ceil(len(graph.followers) / 25)  # profile writes, 25 a BatchWriteItem
    popular = merge_popular([tally.to_json(config.popular_categories)], config.popular_size, config.popular_categories)
    return related, popular, counted, time.perf_counter() - started


def evaluate(graph: Graph, related: dict[str, list[Related]], popular: dict[str, list]) -> tuple[float, float, int]:
    """recall@10 of the hidden follow: (suggestions, popularity baseline, users evaluated)."""
    from datetime import UTC, datetime

    config = discovery_config()
    now = datetime(2026, 12, 1, tzinfo=UTC)
    by_popularity = sorted(graph.followers, key=lambda a: (-len(graph.followers[a]), a))
    facts = {a: CandidateFacts(a, f"owner-{a}", "W2", True) for a in graph.followers}
    hits = baseline_hits = 0
    for user, hidden in graph.hidden.items():
        followed = graph.follows[user]
        sample = followed[-config.user_follow_sample:][::-1]
        categories = [c for c, _ in Counter(graph.category[a] for a in sample).most_common(3)]
        candidates = score_candidates(sample, {a: related[a] for a in sample}, [], popular, categories, now, config)
        top = rank_suggestions(candidates, facts, user, set(followed), {}, now, TOP_K, config)
        hits += hidden in {s.account_id for s in top}
        followed_set = set(followed)
        baseline = [a for a in by_popularity if a not in followed_set][:TOP_K]
        baseline_hits += hidden in baseline
    evaluated = len(graph.hidden)
    return hits / evaluated, baseline_hits / evaluated, evaluated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--community-size", type=int, default=20)
    parser.add_argument("--noise", type=float, default=0.2, help="share of follows picked by global popularity")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="2,000 users and 250 accounts")
    args = parser.parse_args(argv)
    if args.quick:
        args.users, args.accounts = 2_000, 250
    config = discovery_config()
    graph = build_graph(args.users, args.accounts, args.community_size, args.noise, args.seed)
    edges = sum(len(f) for f in graph.follows.values())
    print(f"graph: {args.users:,} users, {args.accounts:,} accounts in communities of {args.community_size}, "
          f"{edges:,} visible follows, {len(graph.hidden):,} hidden (one per user), noise {args.noise:.0%}")
    related, popular, counted, seconds = run_job(graph)
    recall, baseline, evaluated = evaluate(graph, related, popular)
    largest = max(graph.followers, key=lambda a: len(graph.followers[a]))
    per_account = counted.calls / args.accounts
    bound = config.follower_sample + 5  # sample reads (≤2) + one per sampled follower + counts + has-posts
    worst = max(counted.calls_by_account.values())
    ratio = recall / baseline if baseline else math.inf
    print(f"job (in process, samples: {config.follower_sample} followers x {config.follow_sample} follows, "
          f"min support {config.min_support}): {seconds:.2f} s, {counted.calls:,} store calls, "
          f"{per_account:.1f} per account; largest account ({len(graph.followers[largest]):,} followers): "
          f"{counted.calls_by_account[largest]} calls; most for any account {worst} (bound {bound})")
    print(f"recall@{TOP_K} of the hidden follow over {evaluated:,} users: suggestions {recall:.3f}, "
          f"popularity baseline {baseline:.3f}, ratio {ratio:.2f}x (target >= {RECALL_TARGET:.0f}x)")
    ok = ratio >= RECALL_TARGET and worst <= bound
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
