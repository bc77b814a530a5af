"""Hybrid fan-out rules that need no storage: when an account switches, what a fan pulls.

An account is in one of four modes:

- ``push``: posts are written to every follower's inbox (fan-out on write);
- ``to_pull``: still pushed, while a job gives every follower a pull window;
- ``pull``: posts are not fanned out; followers' feeds read them at read time;
- ``to_push``: pushed again, while a job closes every follower's window at the end
  of the pull period (posts from then stay pulled, newer ones are in the inboxes).

A post shows for a follower who followed at time ``f`` if it was published at ``f``
or later, or was among the posts backfilled at the follow; pulled and pushed posts
follow the same rule, so switching either way changes no feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.clock import epoch_millis

PUSH, TO_PULL, PULL, TO_PUSH = "push", "to_pull", "pull", "to_push"
# Modes in which new posts are written to inboxes.
PUSHED_MODES = (PUSH, TO_PULL, TO_PUSH)


def next_mode(mode: str, follower_count: int, pull_above: int, push_below: int) -> str | None:
    """The switch an account with ``follower_count`` followers should start, if any.

    Only settled modes switch; a switch in progress finishes first and is re-checked.
    ``push_below`` is capped at ``pull_above + 1`` so one count never calls for both.

    Examples
    --------
    >>> next_mode("push", 101, pull_above=100, push_below=90)
    'to_pull'
    >>> next_mode("pull", 95, pull_above=100, push_below=90) is None
    True
    """
    if mode == PUSH and follower_count > pull_above:
        return TO_PULL
    if mode == PULL and follower_count < min(push_below, pull_above + 1):
        return TO_PUSH
    return None


def key_floor(at: datetime) -> str:
    """The smallest feed key of a post published at ``at`` (ms), as a window bound."""
    return millis_floor(epoch_millis(at))


def millis_floor(millis: int) -> str:
    """The smallest feed key of a post published at ``millis`` (ms since the epoch)."""
    return f"{millis:013d}#"


def pull_period_end(at: datetime) -> str:
    """Exclusive end of a pull period that ends at ``at``: every post published up to
    and including that millisecond stays pulled (overlap with pushes is harmless, the
    merge keeps one copy of a post)."""
    return key_floor(at + timedelta(milliseconds=1))


def key_millis(feed_key: str) -> int:
    """Publication time (ms) at the front of a feed key."""
    return int(feed_key.split("#", 1)[0])


@dataclass(frozen=True)
class PullWindow:
    """Posts of ``account_id`` with feed keys in ``[since, until)`` are pulled for one fan."""

    account_id: str
    since: str
    until: str | None = None

    def upper(self, before: str | None) -> str | None:
        """The tighter of the window's end and the page position ``before``."""
        if self.until is None:
            return before
        return self.until if before is None else min(self.until, before)

    def is_empty_below(self, before: str | None) -> bool:
        upper = self.upper(before)
        return upper is not None and upper <= self.since


def choose_windows(windows: Iterable[PullWindow], before: str | None, cap: int) -> list[PullWindow]:
    """The windows one feed page reads: at most ``cap``, open ones first, then the most recent.

    Windows holding nothing older than ``before`` are skipped. Beyond ``cap`` the
    oldest closed windows are left out, which bounds a page's store calls.
    """
    useful = [w for w in windows if not w.is_empty_below(before)]
    useful.sort(key=lambda w: (w.until is not None, _descending(w.until or ""), w.account_id))
    return useful[:cap]


def _descending(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


def pulled_post_shows(feed_key: str, followed_ms: int, audience: Sequence[str] | None,
                      member_groups: Iterable[str] | None) -> bool:
    """A pulled post shows if published after the follow and the fan is in its audience."""
    if key_millis(feed_key) < followed_ms:
        return False
    return not audience or bool(set(audience) & set(member_groups or ()))


def followers_to_deliver(members: Iterable[tuple[str, int]], published_ms: int) -> list[str]:
    """Fan-out delivers a post to followers who followed at or before its publication;
    later followers got it by backfill or not at all, exactly as a pulled post."""
    return [user for user, followed_ms in members if followed_ms <= published_ms]
