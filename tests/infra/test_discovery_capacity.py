"""The related-accounts job's cost grows with the samples and the accounts, not with the largest account."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.discovery import discovery_config
from infra.capacity import Assumptions
from infra.discovery_capacity import account_requests, job_cost


def test_the_largest_account_costs_what_a_full_sample_costs() -> None:
    config = discovery_config()
    assert account_requests(10_000_000, config) == account_requests(config.follower_sample, config)
    assert account_requests(50, config) < account_requests(10_000_000, config)


def test_a_run_scales_with_the_samples_and_the_accounts_not_the_largest_account() -> None:
    base = Assumptions()
    cost = job_cost(base)
    assert cost.largest_account_requests <= discovery_config().follower_sample + 4
    # Ten times the largest account (the same median) barely moves the run
    assert job_cost(replace(base, max_followers=100_000_000)).requests < 1.2 * cost.requests
    # Halving the follower sample about halves the follow-list Queries of the large accounts
    halved = job_cost(base, replace(discovery_config(), follower_sample=100))
    assert halved.follower_queries < cost.follower_queries
    # Twice the accounts, about twice the run
    assert 1.8 < job_cost(replace(base, merchants=6_000_000)).requests / cost.requests < 2.2
