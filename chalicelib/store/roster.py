"""The fan roster: an account's followers packed many to an item, the fan-out's reading list.

Fan-out reads every follower of an account once per post. Reading them as one follow
item each costs a Query returning thousands of items per page; the roster keeps the
same followers as string sets of ``<followed ms>|<user id>`` in pages of at most
about :data:`PAGE_MEMBERS`, so up to a thousand followers are one small read. It is kept exact by
``store.follows``: the follow item, the counter and the roster entry move in one
transaction.

Page keys are ``<level>#<bucket>``: a follower lands in bucket ``crc32(user) % 2**level``,
the level chosen from the follower count at follow time, so pages split as the account
grows without ever moving a member (unfollow finds the page on the follow item).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator
from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.domain.clock import epoch_millis
from chalicelib.store.base import TableMeta
from chalicelib.store.batch import batch_get, key_of

PAGE_MEMBERS = 1000  # pages hold about 500 to 1,000 followers (~50 KB, far below the 400 KB item cap)
MAX_LEVEL = 20  # 2**20 buckets: ~1 billion followers at PAGE_MEMBERS each
ANSWER_MEMBERS = 2 * PAGE_MEMBERS  # followers one roster Query asks for (~100 KB answers)


class FanRosterModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("fan-roster")

    account_id = UnicodeAttribute(hash_key=True)
    page = UnicodeAttribute(range_key=True)  # "<level:02d>#<bucket:07d>"
    members = UnicodeSetAttribute(null=True)  # "<followed ms:013d>|<user_id>"; absent when empty


def roster_page(user_id: str, follower_count: int) -> str:
    """The page a new follower joins when the account has ``follower_count`` followers.

    Level ``k`` is used while the account has between ``PAGE_MEMBERS * 2**(k-1)`` and
    ``PAGE_MEMBERS * 2**k`` followers, spreading that many joins over ``2**k`` pages
    (about ``PAGE_MEMBERS / 2`` each), so no page grows much past :data:`PAGE_MEMBERS`.

    Examples
    --------
    >>> roster_page("fan-1", 10)
    '00#0000000'
    """
    level = 0 if follower_count < PAGE_MEMBERS else int(math.log2(follower_count / PAGE_MEMBERS)) + 1
    level = min(level, MAX_LEVEL)
    return f"{level:02d}#{zlib.crc32(user_id.encode()) % (1 << level):07d}"


def member(user_id: str, followed_at: datetime) -> str:
    """A roster entry: follow time (ms, fixed width) and user id."""
    return f"{epoch_millis(followed_at):013d}|{user_id}"


def parse_member(entry: str) -> tuple[str, int]:
    """``(user_id, followed_ms)`` of a roster entry."""
    millis, _, user_id = entry.partition("|")
    return user_id, int(millis)


def roster_reads(account_id: str, after_page: str | None, want: int
                 ) -> Iterator[tuple[str, list[tuple[str, int]]]]:
    """Followers after roster page ``after_page``, until at least ``want``.

    Yields ``(page_key, [(user_id, followed_ms), ...])`` per page, parsed one at a time.
    Each Query asks for as many pages as should hold about :data:`ANSWER_MEMBERS`
    followers (judged from the pages read so far), so small pages do not cost a request
    each and no answer is much bigger than two full pages. Reads are strongly consistent: a follow that
    committed before is always seen. Members never move between pages, so resuming
    after a page key neither skips nor repeats a follower who stayed.
    """
    condition = FanRosterModel.page > after_page if after_page else None
    position = None
    taken = pages = 0
    while taken < want:
        per_page = max(taken / pages if pages else PAGE_MEMBERS, 1)
        ask = max(1, min(math.ceil((want - taken) / per_page), int(ANSWER_MEMBERS // per_page)))
        results = FanRosterModel.query(account_id, condition, consistent_read=True, limit=ask,
                                       last_evaluated_key=position)
        answered = 0
        for page in results:
            members = [parse_member(entry) for entry in page.members or ()]
            key = page.page
            del page
            answered += 1
            taken += len(members)
            yield key, members  # page by page: one page's members parsed at a time
            del members
        if not answered:
            return
        pages += answered
        position = results.last_evaluated_key
        del results  # hold one answer at a time
        if position is None:
            return


def members_of(account_id: str, pages: list[str]) -> list[tuple[str, int]]:
    """The followers ``(user_id, followed_ms)`` in some of an account's roster pages."""
    items = batch_get(FanRosterModel, [key_of(FanRosterModel, account_id, page) for page in pages], consistent=True)
    return [parse_member(entry) for item in items for entry in item.members or ()]
