"""Engagement rules that need no storage: floor-contest winners and poll votes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.errors import InvalidInput

# The post lists at most this many winners (an "every Nth floor" contest can have more;
# each winning comment is marked ``winner`` either way). Keeps the post item small.
MAX_WINNERS_ON_POST = 100


def is_winning_floor(contest: dict[str, Any], floor: int, at: datetime) -> bool:
    """Whether a comment landing on ``floor`` at ``at`` wins the contest.

    A floor wins when it is one of ``winning_floors`` (or a multiple of ``every``) and
    the comment arrived before ``ends_at``.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> contest = {"every": 10, "ends_at": "2030-01-01T00:00:00+08:00"}
    >>> is_winning_floor(contest, 20, datetime(2029, 1, 1, tzinfo=UTC))
    True
    >>> is_winning_floor(contest, 21, datetime(2029, 1, 1, tzinfo=UTC))
    False
    """
    if at >= clock.parse_rfc3339(contest["ends_at"]):
        return False
    if "winning_floors" in contest:
        return floor in contest["winning_floors"]
    every = int(contest.get("every") or 0)
    return every > 0 and floor % every == 0


def listed_on_post(contest: dict[str, Any], floor: int) -> bool:
    """Whether a winning ``floor`` is among the first :data:`MAX_WINNERS_ON_POST` listed on the post."""
    if "winning_floors" in contest:
        return sorted(contest["winning_floors"]).index(floor) < MAX_WINNERS_ON_POST
    return floor // int(contest["every"]) <= MAX_WINNERS_ON_POST


def check_vote(poll: dict[str, Any], option: int, at: datetime) -> None:
    """Refuse a vote for an option the poll does not have, or after the poll closed.

    Raises
    ------
    InvalidInput
        Naming ``/option`` with the reason.
    """
    options = poll["options"]
    if not 0 <= option < len(options):
        raise InvalidInput(f"option must be an index from 0 to {len(options) - 1}",
                           details=[{"pointer": "/option", "message": f"this poll has {len(options)} options"}])
    closes_at = clock.parse_rfc3339(poll["closes_at"])
    if at >= closes_at:
        raise InvalidInput(f"the poll closed at {clock.rfc3339(closes_at)}",
                           details=[{"pointer": "/option", "message": "the poll is closed"}])
