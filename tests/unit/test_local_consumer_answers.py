"""The local runtime reads a consumer's answer as Lambda does: per record only where the queue says so."""

from __future__ import annotations

import pytest

from chalicelib.store import queues
from chalicelib.store.queues import QueueSpec
from local.workers import failed_records

ANSWER = {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m3"}]}


@pytest.fixture
def two_queues(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(queues.QUEUES, "reporting", QueueSpec("q-reporting", 30, 10, reports_partial_failures=True))
    monkeypatch.setitem(queues.QUEUES, "silent", QueueSpec("q-silent", 30, 10))


def test_failed_records_count_only_where_the_event_source_reports_them(two_queues: None) -> None:
    # Given one queue whose event source reports partial failures and one whose does not
    # When both consumers answer that m1 and m3 failed
    reported, ignored = failed_records("q-reporting", ANSWER), failed_records("q-silent", ANSWER)

    # Then the first retries m1 and m3 only, and the second's answer is ignored (the batch succeeded)
    assert (reported, ignored) == ({"m1", "m3"}, set())


def test_a_handler_that_answers_nothing_failed_nothing(two_queues: None) -> None:
    # Given a reporting queue
    # When its handler returns None or an empty answer
    answers = [failed_records("q-reporting", None), failed_records("q-reporting", {})]

    # Then no record is retried
    assert answers == [set(), set()]
