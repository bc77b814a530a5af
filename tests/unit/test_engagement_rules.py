"""Floor-contest winners and poll vote checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.engagement import MAX_WINNERS_ON_POST, check_vote, is_winning_floor, listed_on_post
from chalicelib.domain.errors import InvalidInput

ENDS = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
BEFORE = ENDS - timedelta(seconds=1)


def test_every_nth_floor_wins_before_the_end() -> None:
    # Given a contest where every 10th floor wins, ending at 20:00 Shanghai
    contest = {"every": 10, "ends_at": "2024-06-01T20:00:00+08:00"}

    # When floors 1 to 34 land a second before the end, and floor 10 at the end
    winners = [f for f in range(1, 35) if is_winning_floor(contest, f, BEFORE)]
    tenth_at_the_end = is_winning_floor(contest, 10, ENDS)

    # Then floors 10, 20 and 30 win, and nothing wins at the end
    assert winners == [10, 20, 30]
    assert not tenth_at_the_end


def test_listed_floors_win_before_the_end() -> None:
    # Given a contest where floors 8 and 3 win
    contest = {"winning_floors": [8, 3], "ends_at": "2024-06-01T12:00:00Z"}

    # When floors 1 to 9 land before the end, and floor 3 a day after it
    winners = [f for f in range(1, 10) if is_winning_floor(contest, f, BEFORE)]
    third_after_the_end = is_winning_floor(contest, 3, ENDS + timedelta(days=1))

    # Then only the listed floors win, and only before the end
    assert winners == [3, 8]
    assert not third_after_the_end


def test_the_post_lists_only_the_first_winners() -> None:
    # Given a contest where every 2nd floor wins, and one with listed floors
    every = {"every": 2, "ends_at": "2024-06-01T12:00:00Z"}
    listed = {"winning_floors": [5, 1], "ends_at": "2024-06-01T12:00:00Z"}

    # When the last listed winner, the one after it, and a listed floor are checked
    last_listed = listed_on_post(every, 2 * MAX_WINNERS_ON_POST)
    one_more = listed_on_post(every, 2 * (MAX_WINNERS_ON_POST + 1))
    listed_floor = listed_on_post(listed, 5)

    # Then only the first MAX_WINNERS_ON_POST winners are listed on the post
    assert last_listed
    assert not one_more
    assert listed_floor


def test_a_vote_needs_an_existing_option_and_an_open_poll() -> None:
    # Given a poll with two options
    poll = {"question": "?", "options": ["a", "b"], "closes_at": "2024-06-01T12:00:00Z"}

    # When a vote for the second option arrives before it closes / Then it is accepted
    check_vote(poll, 1, BEFORE)

    # And when a vote names an option that does not exist, or arrives as it closes, Then it is refused on /option
    for option, at in ((2, BEFORE), (-1, BEFORE), (0, ENDS)):
        with pytest.raises(InvalidInput) as refused:
            check_vote(poll, option, at)
        assert refused.value.details[0]["pointer"] == "/option"
