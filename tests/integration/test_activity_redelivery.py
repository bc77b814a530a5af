"""Exactly-once day counters: a batch redelivered after a partial write counts nothing twice."""

from __future__ import annotations

from datetime import datetime

import boto3
import pytest
from chalice.local import LambdaContext

from app import app
from chalicelib.config import settings
from chalicelib.domain import activity as rules
from chalicelib.domain import clock
from chalicelib.store import activity as store
from chalicelib.store.activity import AccountDayModel, AccountHourModel, FanDayModel
from chalicelib.store.posts import PostModel
from local.workers import sqs_event
from tests.flows import article, follow_all, new_account, publish

NOON = datetime(2024, 5, 1, 12, 0, tzinfo=clock.SHANGHAI)
FANS = ["f1", "f2", "f3"]


class Crash(Exception):
    """The consumer dies between two of its transactions."""


def _take_activity_messages() -> list[dict]:
    sqs = boto3.client("sqs", region_name=settings.region)
    url = sqs.get_queue_url(QueueName=settings.queue("activity"))["QueueUrl"]
    messages: list[dict] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return messages
        messages += got
        sqs.delete_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                                                        for i, m in enumerate(got)])


def _deliver(messages: list[dict]) -> dict:
    """The batch as Lambda's SQS event source hands it to the activity consumer."""
    context = LambdaContext("activity_consumer", memory_size=512, max_runtime_ms=60_000)
    return app.handler_map["activity_consumer"](sqs_event(messages, "arn:aws:sqs:ap-southeast-1:1:activity"), context)


def _inputs(account_id: str, post_id: str) -> dict:
    day = AccountDayModel.get(account_id, "2024-05-01")
    return {"reads": int(day.reads), "likes": int(day.likes), "impressions": int(day.impressions),
            "hours": sum(int(h.active) for h in AccountHourModel.query(account_id)),
            "fan_days": FanDayModel.count(account_id), "post_reads": int(PostModel.get(post_id).reads)}


def test_a_batch_redelivered_after_a_partial_write_counts_each_message_once(api, run_workers, monkeypatch) -> None:
    # Given a shop's published post, three fans who each read it, like it and open their feed
    clock.set_now(lambda: NOON)
    account_id = new_account(api, "m1")["account_id"]
    follow_all(api, account_id, FANS)
    post_id = publish(api, "m1", account_id, article())["post_id"]
    run_workers()
    before = _inputs(account_id, post_id)
    for fan in FANS:
        assert api.as_user(fan).get(f"/posts/{post_id}").status == 200
        assert api.as_user(fan).put(f"/posts/{post_id}/likes/me").status == 200
        assert api.as_user(fan).get("/me/feed").status == 200
    messages = _take_activity_messages()
    assert len(messages) == 9
    # And a consumer that packs one message per transaction and dies after its fourth transaction
    monkeypatch.setattr(rules, "MAX_TRANSACTION_ACTIONS", 2)
    real_group, calls = store._apply_group, []

    def dies_after_four(group):
        if len(calls) == 4:
            raise Crash
        calls.append(group)
        return real_group(group)

    monkeypatch.setattr(store, "_apply_group", dies_after_four)
    with pytest.raises(Crash):
        _deliver(messages)
    partial = _inputs(account_id, post_id)
    assert partial != before  # part of the batch was written
    # When SQS redelivers the whole batch, twice (and the consumer lives)
    monkeypatch.setattr(store, "_apply_group", real_group)
    applied, real_apply = [], store.apply_units

    def recording(*args):
        applied.append(real_apply(*args))
        return applied[-1]

    monkeypatch.setattr(store, "apply_units", recording)
    _deliver(messages)
    _deliver(list(reversed(messages)))
    first, second = applied
    # Then every counter counts each request exactly once: the stats and grading inputs do not drift
    assert _inputs(account_id, post_id) == {
        "reads": before["reads"] + 3, "likes": before["likes"] + 3, "impressions": before["impressions"] + 3,
        "hours": before["hours"] + 9, "fan_days": 3, "post_reads": 3}
    assert first["already_applied"] == 4 and second["units"] == 0 and second["already_applied"] == 9
    # And the owner's stats show the same
    today = api.as_user("m1").get(f"/accounts/{account_id}/stats").json["today"]
    assert (today["reads"], today["likes"]) == (before["reads"] + 3, before["likes"] + 3)
