"""Home-feed rules that need no storage: merging sources and what an entry may show."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FeedEntry:
    """A candidate for the feed: pushed to the inbox or pulled at read time."""

    feed_key: str
    post_id: str
    account_id: str


def merge_newest(sources: Iterable[Sequence[FeedEntry]], limit: int) -> list[FeedEntry]:
    """Merge newest-first sources into one newest-first list of at most ``limit`` entries.

    A post present in several sources (pushed and pulled) appears once.
    """
    merged: list[FeedEntry] = []
    seen: set[str] = set()
    for entry in heapq.merge(*sources, key=lambda e: e.feed_key, reverse=True):
        if entry.post_id in seen:
            continue
        seen.add(entry.post_id)
        merged.append(entry)
        if len(merged) == limit:
            break
    return merged


def shows_in_feed(status: str | None, account_followed: bool) -> bool:
    """Only published posts of accounts the reader still follows are shown."""
    return status == "published" and account_followed
