"""Per-container caches of read-mostly items for the feed, with short TTLs.

A container (a Lambda instance, or the local server) serves many feed pages; the
accounts on them, a fan's follows and pull windows, and a pulled account's recent
posts change rarely, so reading them on every page costs round trips for nothing.
Rules that keep the feed correct:

- only what exists is cached (a follow, an account, a window list, a post list):
  "not found" always comes from a fresh read, so the feed never deletes an inbox
  entry or a pull window because of a stale cache;
- writes in this container invalidate at once (follow, unfollow, fan groups, pull
  windows, account changes, publication and takedown); other containers see the
  change within ``FEED_CACHE_TTL_S`` seconds;
- posts are shared by every fan's page (one post reaches many inboxes), so they are
  cached too, for ``FEED_POST_CACHE_TTL_S`` (shorter: counters and status change).
  A status change (takedown, publication) drops the post here at once; a post taken
  down elsewhere shows here for at most that TTL, and its retraction deletes it from
  every inbox anyway.

``FEED_CACHE_TTL_S=0`` (``FEED_POST_CACHE_TTL_S=0``) turns the caches off.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from chalicelib.config import settings

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """A thread-safe map whose entries expire ``ttl()`` seconds after they were put.

    Bounded to ``max_items`` (the oldest put goes first), so a container's memory
    stays flat however many fans it serves.
    """

    def __init__(self, ttl: Callable[[], float], max_items: int = 20_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_items = max_items
        self.clock = clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()
        self.drops = 0  # bumped by every drop: a read begun before one must not put its old values back

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        """The fresh entries among ``keys`` (missing and expired ones are left out)."""
        return self.get_aging(keys)[0]

    def get_aging(self, keys: Iterable[K]) -> tuple[dict[K, V], list[K]]:
        """The fresh entries among ``keys``, and those of them past half their TTL.

        A reader refreshes the aging ones in the background, so a key read often is
        renewed before it expires and its readers never wait on the store for it.
        """
        now = self.clock()
        half = self.ttl() / 2
        found: dict[K, V] = {}
        aging: list[K] = []
        with self._lock:
            for key in keys:
                held = self._items.get(key)
                if held is None:
                    continue
                if held[0] <= now:
                    del self._items[key]
                    continue
                found[key] = held[1]
                if held[0] - now < half:
                    aging.append(key)
        return found, aging

    def get(self, key: K) -> V | None:
        return self.get_many([key]).get(key)

    def put_many(self, values: dict[K, V], read_after: int | None = None) -> None:
        """Cache ``values``; with ``read_after`` (``drops`` when the read began), only if
        nothing was dropped meanwhile (the values may predate the change that dropped it)."""
        ttl = self.ttl()
        if ttl <= 0:
            return
        expires = self.clock() + ttl
        with self._lock:
            if read_after is not None and read_after != self.drops:
                return
            for key, value in values.items():
                self._items.pop(key, None)
                self._items[key] = (expires, value)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def put(self, key: K, value: V) -> None:
        self.put_many({key: value})

    def drop(self, *keys: K) -> None:
        with self._lock:
            self.drops += 1
            for key in keys:
                self._items.pop(key, None)

    def drop_where(self, predicate: Callable[[K], bool]) -> None:
        with self._lock:
            self.drops += 1
            for key in [k for k in self._items if predicate(k)]:
                del self._items[key]

    def clear(self) -> None:
        with self._lock:
            self.drops += 1
            self._items.clear()


def _ttl() -> float:
    return settings.feed_cache_ttl_s


def _post_ttl() -> float:
    return settings.feed_post_cache_ttl_s


# post_id -> PostModel (as served on feed pages)
POSTS: TtlCache[str, Any] = TtlCache(_post_ttl, max_items=50_000)
# account_id -> AccountModel (names shown on feed entries)
ACCOUNTS: TtlCache[str, Any] = TtlCache(_ttl)
# (account_id, user_id) -> FollowModel (followed_at and fan groups decide what shows)
FOLLOWS: TtlCache[tuple[str, str], Any] = TtlCache(_ttl)
# user_id -> list of PulledAccountModel (the fan's pull windows)
PULL_WINDOWS: TtlCache[str, list[Any]] = TtlCache(_ttl)
# (account_id, section) -> the account's newest published posts, newest first
RECENT_POSTS: TtlCache[tuple[str, str], list[Any]] = TtlCache(_ttl, max_items=2_000)

ALL = (POSTS, ACCOUNTS, FOLLOWS, PULL_WINDOWS, RECENT_POSTS)


def forget_follow(account_id: str, user_id: str) -> None:
    FOLLOWS.drop((account_id, user_id))


def forget_account_posts(account_id: str) -> None:
    """A post of the account was published or taken down: its pulled lists are re-read."""
    RECENT_POSTS.drop_where(lambda key: key[0] == account_id)


def clear_all() -> None:
    for cache in ALL:
        cache.clear()
