"""What the daily related-accounts job costs at the seeds' scale, from the capacity model's workload.

The job reads, per account, at most ``follower_sample`` followers (one Query, two when the
sample wraps round the user-id order) and, for each of them, one Query of at most
``follow_sample`` follows; then one BatchGetItem of candidate follower counts, one Query
for "has it published", and its share of one BatchWriteItem per 25 profiles. So an
account costs ``min(followers, follower_sample) + ~4`` requests: the 10-million-fan account
costs what any account with 200 followers costs. The follower distribution is the capacity
model's (:func:`infra.capacity.buckets`: Zipf from the largest account to the median).

``python -m infra.discovery_capacity`` prints the figures the README quotes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from chalicelib.domain.discovery import DiscoveryConfig, discovery_config
from infra.capacity import Assumptions, Prices, buckets

FOLLOW_ITEM_KB = 0.15  # a follow item (ids, time, roster page); a Query reads whole items
PROFILE_KB = 2.5  # 50 related entries
READ_UNIT_KB, WRITE_UNIT_KB = 4.0, 1.0
MS_PER_QUERY = 6.0  # a small Query from Lambda in the same region
QUERY_THREADS = 8  # settings.suggestion_read_threads


@dataclass(frozen=True)
class JobCost:
    accounts: float
    follower_queries: float  # sampled followers' follow lists read (without the shard's cache)
    requests: float
    read_units: float
    write_units: float
    usd_per_day: float
    largest_account_requests: float
    median_account_requests: float
    lambda_seconds: float


def account_requests(followers: float, config: DiscoveryConfig) -> float:
    """Store requests for one account: the sample reads, one per sampled follower, counts, has-posts, its write."""
    sampled = min(followers, config.follower_sample)
    if followers < config.min_support:
        return 1 + 1 / 25  # has-posts and the profile write only
    return 1 + sampled + 1 + 1 + 1 / 25


def job_cost(a: Assumptions | None = None, config: DiscoveryConfig | None = None, p: Prices | None = None) -> JobCost:
    a, config, p = a or Assumptions(), config or discovery_config(), p or Prices()
    requests = queries = reads = 0.0
    for bucket in buckets(a):
        sampled = min(bucket.followers, config.follower_sample)
        per_account = account_requests(bucket.followers, config)
        requests += bucket.accounts * per_account
        queries += bucket.accounts * sampled
        # Eventually consistent reads: half a unit per 4 KB, rounded up per request.
        sample_read = 0.5 * max(1, math.ceil(sampled * FOLLOW_ITEM_KB / READ_UNIT_KB))
        follows_read = 0.5 * max(1, math.ceil(config.follow_sample * FOLLOW_ITEM_KB / READ_UNIT_KB))
        reads += bucket.accounts * (sample_read + sampled * follows_read + 0.5 + 0.5)
    accounts = float(sum(b.accounts for b in buckets(a)))
    writes = accounts * math.ceil(PROFILE_KB / WRITE_UNIT_KB)
    usd = reads / 1e6 * p.dynamodb_read_per_million + writes / 1e6 * p.dynamodb_write_per_million
    seconds = requests * MS_PER_QUERY / 1000 / QUERY_THREADS
    return JobCost(accounts, queries, requests, reads, writes, usd, account_requests(a.max_followers, config),
                   account_requests(a.median_followers, config), seconds)


def main() -> int:
    cost = job_cost()
    config = discovery_config()
    print(f"accounts {cost.accounts:,.0f}; samples {config.follower_sample} followers x {config.follow_sample} follows")
    print(f"requests per run {cost.requests / 1e6:,.0f} M ({cost.follower_queries / 1e6:,.0f} M follow-list Queries)")
    print(f"largest account (10M fans) {cost.largest_account_requests:.0f} requests; median account "
          f"{cost.median_account_requests:.0f}")
    print(f"read units {cost.read_units / 1e6:,.0f} M, write units {cost.write_units / 1e6:,.1f} M: "
          f"${cost.usd_per_day:,.0f} a run (on-demand list prices)")
    print(f"Lambda time {cost.lambda_seconds / 3600:,.0f} h a run ({QUERY_THREADS} reads in flight per shard), "
          f"e.g. {cost.lambda_seconds / 3600 / 20:,.1f} h on 20 concurrent shards")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
