"""Faults: nothing lost, nothing doubled.

A 10,000-follower fan-out while the store throttles 20% of requests, fails 5% after
applying them, leaves 20% of batch writes partly unprocessed, workers crash mid-record,
deletes of consumed messages get lost and sends are duplicated. Afterwards every
follower's inbox holds the post exactly once, the counters are exact and every queue
and dead-letter queue is empty. (``make bench`` runs the same with 100,000 followers.)
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import boto3
from chalice import Chalice

from app import app
from chalicelib.config import settings
from chalicelib.store import queues
from chalicelib.store.accounts import AccountModel
from chalicelib.store.inbox import InboxModel
from local.faults import ChaosDrain, FaultInjector, FaultRates, delivered_total
from local.seed import add_followers
from tests.flows import new_account, nine_grid, publish, queue_depths

FOLLOWERS = 10_000
RATES = FaultRates(throttle=0.20, ambiguous=0.05, unprocessed=0.20, duplicate=0.10, lost_delete=0.10, crash=0.15)


def inbox_items() -> list[tuple[str, str]]:
    """(user_id, post_id) of every inbox item: a Scan projecting just those (moto is slow
    to return whole items)."""
    client = boto3.client("dynamodb", region_name=settings.region)
    found, start = [], {}
    while True:
        page = client.scan(TableName=InboxModel.Meta.table_name, ProjectionExpression="user_id, post_id", **start)
        found += [(item["user_id"]["S"], item["post_id"]["S"]) for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return found
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def test_a_10000_follower_fan_out_under_faults_loses_and_doubles_nothing(api, monkeypatch) -> None:
    # Given an account with 10,000 followers, fanned out in pages of 500 (inbox trims
    # off: on moto each trim Query reads the whole table, which is not what is tested;
    # backoff sleeps shortened, their count and order unchanged)
    monkeypatch.setattr(settings, "fanout_page_size", 500)
    monkeypatch.setattr(settings, "inbox_trim_sample", 10**9)
    monkeypatch.setattr(settings, "batch_base_delay_s", 0.002)
    monkeypatch.setattr(settings, "fanout_writers", 1)  # one writer: the seeded faults replay exactly
    account_id = new_account(api, "owner")["account_id"]
    users = [f"fan{i:05d}" for i in range(FOLLOWERS)]
    add_followers(account_id, users, datetime.now(UTC))
    # And a fan-out worker whose store and queue calls meet every fault
    injector = FaultInjector(RATES, seed=2024).attach()
    driver = ChaosDrain(app, injector, faulty_handlers=("fanout_consumer",))
    try:
        # When a post is published and the queues are drained through the faults
        post_id = publish(api, "owner", account_id, nine_grid())["post_id"]
        driver.drain()
    finally:
        injector.detach()

    # Then every follower's inbox holds the post exactly once, and nobody else's does
    entries = Counter(inbox_items())
    assert sorted(entries) == [(user, post_id) for user in users]
    assert set(entries.values()) == {1}
    # And the counters are exact: followers, and entries delivered summed over the pages
    assert AccountModel.get(account_id, consistent_read=True).follower_count == FOLLOWERS
    assert delivered_total(f"put#{post_id}") == FOLLOWERS
    # And every queue and dead-letter queue is empty
    assert set(queue_depths().values()) == {0}
    # And every kind of fault really happened
    for fault in ("throttle", "ambiguous", "unprocessed", "duplicate", "lost_delete", "crash"):
        assert injector.injected[fault] > 0, (fault, injector.injected)
    assert driver.crashes == injector.injected["crash"]


def test_a_crashed_worker_s_other_threads_get_nothing_out(stack: None) -> None:
    # Given a consumer with a thread of its own that sends once the handler has made its call
    # (as the fan-out's writers and feed.new announcer work beside the handler)
    consumer_app = Chalice("crash-with-threads")

    @consumer_app.on_sqs_message(queue=queues.QUEUES["push"].name, name="threaded_consumer")
    def threaded_consumer(event: Any) -> None:
        handler_called = threading.Event()
        with ThreadPoolExecutor(1) as pool:
            pool.submit(lambda: handler_called.wait(5) and queues.send("activity", {"sent": "by a thread"}))
            try:
                queues.send("activity", {"sent": "by the handler"})
            finally:
                handler_called.set()

    queues.send("push", {"job": "one"})
    # And a worker that dies at its handler's first call
    injector = FaultInjector(FaultRates(crash=1.0, crash_within=1)).attach()
    driver = ChaosDrain(consumer_app, injector)
    try:
        # When the worker takes the batch
        received = driver.poll_one("threaded_consumer")
    finally:
        injector.detach()

    # Then the worker crashed, its message comes back, and its thread sent nothing
    assert received == 1
    assert driver.crashes == injector.injected["crash"] == 1
    assert driver.handled == []
    assert queue_depths()[queues.QUEUES["push"].name] == 1
    sqs = boto3.client("sqs", region_name=settings.region)
    sent = sqs.receive_message(QueueUrl=queues.queue_url(queues.QUEUES["activity"].name), MaxNumberOfMessages=10)
    assert {"sent": "by a thread"} not in [json.loads(m["Body"]) for m in sent.get("Messages", [])]
