"""Home-feed rules that need no storage: what an entry may show."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from chalicelib.domain.posts import PUBLISHED


@dataclass(frozen=True)
class FeedEntry:
    """A candidate for the feed: pushed to the inbox or pulled at read time."""

    feed_key: str
    post_id: str
    account_id: str
    pulled: bool = False  # read from the account's posts at read time, not from the inbox


def shows_in_feed(status: str | None, account_followed: bool) -> bool:
    """Only published posts of accounts the reader still follows are shown."""
    return status == PUBLISHED and account_followed


@dataclass
class FeedSource:
    """One newest-first source of a feed page, read in slices below a feed key.

    ``fetch(before, n)`` returns at most ``n`` entries with keys below ``before``
    (one store call); a short answer means the source has nothing older.
    """

    fetch: Callable[[str | None, int], list[FeedEntry]]
    before: str | None
    buffer: deque[FeedEntry] = field(default_factory=deque)
    exhausted: bool = False

    @property
    def needs_refill(self) -> bool:
        return not self.buffer and not self.exhausted

    @property
    def done(self) -> bool:
        return not self.buffer and self.exhausted

    def refill(self, want: int) -> None:
        entries = self.fetch(self.before, want)
        self.buffer.extend(entries)
        self.exhausted = len(entries) < want
        if entries:
            self.before = entries[-1].feed_key


def take_newest(sources: Sequence[FeedSource], limit: int, seen: set[str]) -> list[FeedEntry]:
    """Take up to ``limit`` entries newest first across ``sources``, as far as it is safe.

    It stops before passing the last key read from a source that may hold more (that
    source could have an entry between), so merged pages never skip an entry. A post
    already in ``seen`` (pushed and pulled both) is taken once; on equal keys the
    earlier source wins, so list the inbox first.
    """
    taken: list[FeedEntry] = []
    while len(taken) < limit:
        if any(s.needs_refill for s in sources):
            break
        live = [s for s in sources if s.buffer]
        if not live:
            break
        entry = max(live, key=lambda s: s.buffer[0].feed_key).buffer.popleft()
        if entry.post_id in seen:
            continue
        seen.add(entry.post_id)
        taken.append(entry)
    return taken


def window_from_recent(newest_keys: Sequence[str], complete: bool, since: str, upper: str | None,
                       want: int) -> list[int] | None:
    """Which of an account's newest posts (their feed keys, newest first) answer a pull
    of ``since <= key < upper``, or None when the list may miss some (read the store).

    ``complete``: the list holds every post the account has. Posts missing from the
    list are older than its last one, so the list answers when it is complete, when it
    holds ``want`` keys of the window, or when its last key is already below ``since``.
    """
    hits = [i for i, key in enumerate(newest_keys) if since <= key and (upper is None or key < upper)]
    if len(hits) >= want or complete or (newest_keys and newest_keys[-1] < since):
        return hits[:want]
    return None
