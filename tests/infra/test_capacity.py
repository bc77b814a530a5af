"""The capacity and cost model: its arithmetic, its distribution, and docs/capacity.md kept in step with it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from infra.capacity import (
    Assumptions,
    Code,
    Prices,
    Scenario,
    api_gateway_cost,
    buckets,
    daily_usage,
    fanout_concurrency_needed,
    generated_part,
    monthly_cost,
    posts_per_day,
    report,
)
from tests.infra.conftest import ROOT

PUSH, HYBRID = Scenario("push", hybrid=False), Scenario("hybrid", hybrid=True)


@pytest.fixture(scope="module")
def code() -> Code:
    return Code.load()


def test_the_document_shows_what_the_model_computes_today() -> None:
    # Given docs/capacity.md / When the model is run on the current code and config
    # Then the generated part of the document is what it prints (run `make capacity` after changing either)
    assert generated_part(ROOT / "docs" / "capacity.md") == report()


def test_the_fanout_queue_concurrency_is_what_the_capacity_model_needs_at_the_peak(code: Code) -> None:
    # Given the capacity model's evening peak of fan-out (it was 20 in the code, below even the average)
    needed = fanout_concurrency_needed(Assumptions(), code)
    # Then the fan-out consumer's maximum concurrency is exactly that: enough for the peak, still bounded
    assert code.fanout_concurrency == needed
    assert 20 < needed <= 100


def test_the_follower_distribution_has_the_seeds_shape() -> None:
    # Given the seeds' scale
    a = Assumptions()
    ranks = buckets(a)
    # Then it covers every merchant, tops out at the 10-million-fan account and has the stated median
    assert sum(b.accounts for b in ranks) == pytest.approx(a.merchants)
    assert max(b.followers for b in ranks) == a.max_followers
    below_median = sum(b.accounts for b in ranks if b.followers < a.median_followers)
    assert below_median == pytest.approx(a.merchants / 2, rel=0.01)


def test_hybrid_fan_out_removes_exactly_the_deliveries_of_the_accounts_above_the_threshold(code: Code) -> None:
    # Given the same workload with and without hybrid fan-out
    a = Assumptions()
    push, hybrid = daily_usage(a, code, PUSH), daily_usage(a, code, HYBRID)
    # When the deliveries of accounts above the threshold are counted
    pulled = sum(b.accounts * posts_per_day(a, b) * b.followers for b in buckets(a) if b.followers > code.pull_above)
    # Then hybrid fan-out skips exactly those, and readers pay for pulling them instead
    assert push.deliveries - hybrid.deliveries == pytest.approx(pulled)
    assert hybrid.pulled_per_page > 0 and push.pulled_per_page == 0
    assert hybrid.rru_by_cause["feed reads (inbox, hydration, pulls)"] > push.rru_by_cause[
        "feed reads (inbox, hydration, pulls)"]


def test_reads_scale_with_readers_and_writes_do_not(code: Code) -> None:
    # Given twice the feed readers
    a = Assumptions()
    more = replace(a, feed_readers_per_day=2 * a.feed_readers_per_day)
    base, doubled = daily_usage(a, code, PUSH), daily_usage(more, code, PUSH)
    # Then feed reads double and publishing costs the same
    feed = "feed reads (inbox, hydration, pulls)"
    assert doubled.rru_by_cause[feed] == pytest.approx(2 * base.rru_by_cause[feed])
    publishing = "publishing (create, moderate, publish)"
    assert doubled.wru_by_cause[publishing] == pytest.approx(base.wru_by_cause[publishing])


def test_api_gateway_is_priced_by_its_published_tiers() -> None:
    # Given 1.5 billion requests in a month
    p = Prices()
    # Then the first 333 million, the next 667 million and the rest are priced at their tiers
    assert api_gateway_cost(1.5e9, p) == pytest.approx(333 * 3.50 + 667 * 2.80 + 500 * 2.38)


def test_the_monthly_cost_is_the_daily_usage_at_list_prices(code: Code) -> None:
    # Given a day's usage / When it is priced for a month
    usage = daily_usage(Assumptions(), code, PUSH)
    cost = monthly_cost(usage, Prices())
    # Then DynamoDB writes cost 30.4 days of write units at $0.625 a million
    assert cost["DynamoDB writes"] == pytest.approx(usage.wru * 30.4 / 1e6 * 0.625)
    assert all(value >= 0 for value in cost.values())
