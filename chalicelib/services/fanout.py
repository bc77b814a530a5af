"""Walking an account's followers one page per fan-out message.

A message says where the previous page ended (``after``). Pages come from the fan
roster (every follower, packed many to an item: ``store.roster``) or, for a post
limited to fan groups, from the follow items filtered by group. The next page's
message is sent at most once per chunk (``fanout_progress``), so a redelivered
message does not start a second chain of pages.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.clock import epoch_millis
from chalicelib.domain.messages import FanoutMessage
from chalicelib.store import fanout_progress, follows, queues, roster

BATCH = 25  # items per BatchWriteItem


@dataclass(frozen=True)
class FollowerBatch:
    members: list[tuple[str, int]]  # (user_id, followed ms)
    after: dict[str, Any] | None  # where the next message starts if this batch ends it; None: no more
    page: str | None = None  # the roster page holding exactly these members (None: follow items)


def follower_batches(account_id: str, after: dict[str, Any] | None, size: int,
                     groups: Iterable[str] = ()) -> Iterator[FollowerBatch]:
    """One message's followers, read as they are used: one batch per roster page (a few
    per Query) until at least ``size``, or one page of ``size`` follow items of ``groups``.

    Streaming lets the writes of one page overlap the read of the next, and keeps
    memory to about one page whatever the page size.
    """
    groups = tuple(groups)
    if groups:
        items, last = follows.followers_page(account_id, size, (after or {}).get("follows"), groups)
        yield FollowerBatch([(f.user_id, epoch_millis(f.followed_at)) for f in items],
                            {"follows": last} if last else None)
        return
    taken = 0
    for page_key, members in roster.roster_reads(account_id, (after or {}).get("roster"), size):
        taken += len(members)
        batch = FollowerBatch(members, {"roster": page_key} if taken >= size else None, page_key)
        del members  # the caller holds the only reference while the next answer is read
        yield batch
        del batch


def follower_page(account_id: str, after: dict[str, Any] | None, size: int,
                  groups: Iterable[str] = ()) -> FollowerBatch:
    """The batches of :func:`follower_batches` as one (members and where to resume)."""
    members: list[tuple[str, int]] = []
    resume = None
    for batch in follower_batches(account_id, after, size, groups):
        members += batch.members
        resume = batch.after
    return FollowerBatch(members, resume)


def hand_over(message: FanoutMessage, after: dict[str, Any] | None, delivered: int) -> None:
    """Send the message for the next page (if any) unless this chunk already did; record it.

    Sending before recording means a crash in between sends the next page twice,
    never zero times; pages are idempotent, so the copy only costs writes.
    """
    if fanout_progress.next_chunk_sent(message.job_id, message.chunk):
        return
    if after is not None:
        queues.send("fanout", message.next_page(after).to_json())
    fanout_progress.mark_next_chunk_sent(message.job_id, message.chunk, delivered)


class SliceWriter:
    """Writes users in slices of whole 25-item batches, ``writers`` slices at a time.

    A fan-out worker mostly waits on the store, so a page is written by several
    BatchWriteItem calls in flight. Users are buffered across roster pages so that only
    the last batch of a message can be short: as few calls as one writer would make.
    Slices of at most ``slice_size`` bound memory whatever the page size. Used as a
    context manager: leaving it waits for every write and raises the first failure
    (the message is then retried; the writes are idempotent). :attr:`queued` counts the
    users added so far and :meth:`written` how many of them, in order, are written.
    """

    def __init__(self, write: Callable[[list[str]], Any], writers: int, slice_size: int) -> None:
        self.write = write
        self.slice_size = max(BATCH, slice_size // BATCH * BATCH)
        self.writers = writers
        self.pool = ThreadPoolExecutor(writers) if writers > 1 else None
        self.futures: list[Future[Any]] = []
        self.buffer: list[str] = []
        self.queued = 0
        self._submitted = 0
        self._written = 0
        self._slices: deque[tuple[Future[Any] | None, int]] = deque()  # (write, users submitted with it)

    def __enter__(self) -> SliceWriter:
        return self

    def add(self, users: list[str]) -> None:
        """Queue users; full slices start at once. Returns with a writer free, so the
        next page is read while the others write, not on top of all of them."""
        self.buffer += users
        self.queued += len(users)
        while len(self.buffer) >= self.slice_size:
            part, self.buffer = self.buffer[:self.slice_size], self.buffer[self.slice_size:]
            self._write(part)
        self._wait_below(self.writers)

    def written(self) -> int:
        """How many of the users queued so far are written, counted up to the first write not done."""
        while self._slices and _succeeded(self._slices[0][0]):
            self._written = self._slices.popleft()[1]
        return self._written

    def run(self, call: Callable[..., Any], *args: Any) -> Future[Any] | None:
        """Run ``call`` alongside the writes (inline with a single writer: returns None)."""
        if self.pool is None:
            call(*args)
            return None
        # Back-pressure: at most ``writers`` calls in flight, so memory stays bounded
        # however many followers the message covers.
        self._wait_below(self.writers)
        self.futures = [f for f in self.futures if not f.done() or f.exception() is not None]
        future = self.pool.submit(call, *args)
        self.futures.append(future)
        return future

    def _write(self, part: list[str]) -> None:
        self._submitted += len(part)
        self._slices.append((self.run(self.write, part), self._submitted))

    def _wait_below(self, limit: int) -> None:
        pending = [f for f in self.futures if not f.done()]
        while len(pending) >= limit:
            wait(pending, return_when=FIRST_COMPLETED)
            pending = [f for f in pending if not f.done()]

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        try:
            if kind is None and self.buffer:
                self._write(self.buffer)
                self.buffer = []
            for future in self.futures:
                future.result()
        finally:
            if self.pool is not None:
                self.pool.shutdown(wait=True, cancel_futures=True)


def _succeeded(write: Future[Any] | None) -> bool:
    return write is None or (write.done() and write.exception() is None)
