"""Delivery invariant: every follower's inbox holds each post exactly once, whatever SQS does.

2,000 followers; every fan-out message is delivered twice (SQS is at-least-once) and
one chunk fails once half-way through its writes. Afterwards each inbox holds the
post exactly once and the dead-letter queues are empty.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import boto3

from chalicelib.config import settings
from chalicelib.store import inbox, queues
from chalicelib.store.inbox import InboxModel
from local.seed import add_followers
from tests.flows import new_account, nine_grid, publish, queue_depths

FOLLOWERS = 2_000


def given_followers(account_id: str, count: int) -> list[str]:
    users = [f"fan{i:05d}" for i in range(count)]
    add_followers(account_id, users, datetime.now(UTC))  # follow items, fan roster and counter
    return users


def test_duplicated_and_failing_fan_out_delivers_exactly_once(api, run_workers, monkeypatch, sent_twice) -> None:
    # Given an account with 2,000 followers and fan-out pages of 250 (8 chunks)
    monkeypatch.setattr(settings, "fanout_page_size", 250)
    account = new_account(api, "owner")
    users = given_followers(account["account_id"], FOLLOWERS)

    # And every fan-out message is sent twice
    sent_twice("fanout")

    # And the fourth chunk written fails once after half of its entries are stored
    real_write = inbox.write_fanout
    calls = Counter()

    def write_then_fail_once(users: list[str], *entry: str) -> int:
        calls["writes"] += 1
        if calls["writes"] == 4:
            real_write(users[: len(users) // 2], *entry)
            raise ConnectionError("worker lost its connection mid-chunk")
        return real_write(users, *entry)

    monkeypatch.setattr(inbox, "write_fanout", write_then_fail_once)

    # When a post is published and every queue drained
    post = publish(api, "owner", account["account_id"], nine_grid())
    run_workers()

    # Then every follower's inbox holds the post exactly once
    entries = [e for e in InboxModel.scan() if e.post_id == post["post_id"]]
    per_user = Counter(e.user_id for e in entries)
    assert sorted(per_user) == sorted(users)
    assert set(per_user.values()) == {1}
    assert calls["writes"] > 2 * (FOLLOWERS // 250)  # duplicates and the retry really happened
    # And nothing is left in any queue or dead-letter queue
    assert set(queue_depths().values()) == {0}


def test_a_poison_message_ends_in_the_dead_letter_queue(api, run_workers) -> None:
    # Given a fan-out message no handler can process
    sqs = boto3.client("sqs", region_name=settings.region)
    spec = queues.QUEUES["fanout"]
    sqs.send_message(QueueUrl=queues.queue_url(spec.name), MessageBody="{not json")
    # When the workers retry it as often as the redrive policy allows
    run_workers()
    # Then it has moved to the DLQ and the queue itself is empty
    depths = queue_depths()
    assert depths[spec.name] == 0 and depths[spec.dlq_name] == 1
