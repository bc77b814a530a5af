"""Floor-contest winners and poll vote checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.engagement import MAX_WINNERS_ON_POST, check_vote, is_winning_floor, listed_on_post
from chalicelib.domain.errors import InvalidInput

ENDS = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
BEFORE = ENDS - timedelta(seconds=1)


def test_every_nth_floor_wins_before_the_end() -> None:
    contest = {"every": 10, "ends_at": "2024-06-01T20:00:00+08:00"}
    assert [f for f in range(1, 35) if is_winning_floor(contest, f, BEFORE)] == [10, 20, 30]
    assert not is_winning_floor(contest, 10, ENDS)


def test_listed_floors_win_before_the_end() -> None:
    contest = {"winning_floors": [8, 3], "ends_at": "2024-06-01T12:00:00Z"}
    assert [f for f in range(1, 10) if is_winning_floor(contest, f, BEFORE)] == [3, 8]
    assert not is_winning_floor(contest, 3, ENDS + timedelta(days=1))


def test_the_post_lists_only_the_first_winners() -> None:
    every = {"every": 2, "ends_at": "2024-06-01T12:00:00Z"}
    assert listed_on_post(every, 2 * MAX_WINNERS_ON_POST)
    assert not listed_on_post(every, 2 * (MAX_WINNERS_ON_POST + 1))
    assert listed_on_post({"winning_floors": [5, 1], "ends_at": "2024-06-01T12:00:00Z"}, 5)


def test_a_vote_needs_an_existing_option_and_an_open_poll() -> None:
    poll = {"question": "?", "options": ["a", "b"], "closes_at": "2024-06-01T12:00:00Z"}
    check_vote(poll, 1, BEFORE)
    for option, at in ((2, BEFORE), (-1, BEFORE), (0, ENDS)):
        with pytest.raises(InvalidInput) as refused:
            check_vote(poll, option, at)
        assert refused.value.details[0]["pointer"] == "/option"
