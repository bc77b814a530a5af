"""Cutting activity messages into exactly-once units that fit DynamoDB transactions."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain import clock
from chalicelib.domain.activity import (
    MAX_TRANSACTION_ACTIONS,
    ActivityMessage,
    activity_units,
    merge_writes,
    transaction_groups,
)

AT = datetime(2024, 5, 1, 20, 0, tzinfo=clock.SHANGHAI)


def _page(message_id: str, accounts: int) -> ActivityMessage:
    return ActivityMessage(AT, "fan", {f"a{i:03d}": {"impressions": 1} for i in range(accounts)},
                           message_id=message_id)


def test_a_big_message_is_cut_the_same_way_on_every_delivery() -> None:
    # Given a feed page touching 150 accounts the fan follows (a day and an hour write each: 300 writes)
    message = _page("m1", 150)
    fans = {(f"a{i:03d}", "fan") for i in range(150)}
    # When it is cut into units, twice (two deliveries)
    first, again = activity_units([message], fans), activity_units([message], fans)
    # Then each unit fits one transaction with its marker, and the cut is identical
    assert [u.unit_id for u in first] == ["m1#0", "m1#1", "m1#2", "m1#3"]
    assert all(len(u.writes) + 1 <= MAX_TRANSACTION_ACTIONS for u in first)
    assert first == again
    assert sum(len(u.writes) for u in first) == 300


def test_groups_never_exceed_a_transaction_and_merge_shared_items() -> None:
    # Given sixty small feed pages touching the same three accounts, and one big page of 120
    messages = [_page(f"m{n}", 3) for n in range(60)] + [_page("big", 120)]
    fans = {(f"a{i:03d}", "fan") for i in range(120)}
    units = activity_units(messages, fans)

    # When the units are grouped into transactions
    groups = transaction_groups(units)

    # Then every unit is in one group, in order, and no group's markers and merged writes exceed a transaction
    assert [u.unit_id for g in groups for u in g] == [u.unit_id for u in units]
    assert all(len(g) + len(merge_writes(g)) <= MAX_TRANSACTION_ACTIONS for g in groups)
    # And sixty small pages share six items: merged, they need far fewer transactions than messages
    assert len(groups) <= 6
    assert merge_writes(units)[("day", "a000", "2024-05-01")] == {"impressions": 61}


def test_a_message_seen_twice_in_a_batch_counts_once() -> None:
    # Given a batch holding the same message twice (a redelivery)
    batch = [_page("same", 2), _page("same", 2)]

    # When it is cut into units
    units = activity_units(batch, set())

    # Then there is one unit for it
    assert [u.unit_id for u in units] == ["same#0"]
