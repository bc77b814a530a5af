"""Bulk followers for tests and benchmarks, kept the way ``store.follows.follow`` keeps them.

Following through the API is one transaction per fan; a 100,000-fan account is built
here with batched writes instead: the follow items, their fan roster pages and the
follower counter, as if the fans had followed one after another at ``at``. Only for
users who do not follow the account yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from chalicelib.store.accounts import AccountModel
from chalicelib.store.batch import batch_write
from chalicelib.store.follows import FollowModel
from chalicelib.store.roster import FanRosterModel, member, roster_page


def add_followers(account_id: str, user_ids: Sequence[str], at: datetime) -> None:
    """Make ``user_ids`` follow ``account_id`` (new followers only), counter included."""
    start = int(AccountModel.get(account_id, consistent_read=True).follower_count)
    pages: dict[str, set[str]] = defaultdict(set)
    items = []
    for offset, user_id in enumerate(user_ids):
        page = roster_page(user_id, start + offset)
        pages[page].add(member(user_id, at))
        items.append(FollowModel(account_id, user_id, followed_at=at, roster_page=page))
    batch_write(FollowModel, items)
    for page, members in pages.items():
        FanRosterModel(account_id, page).update(actions=[FanRosterModel.members.add(members)])
    AccountModel(account_id).update(actions=[AccountModel.follower_count.add(len(user_ids))])
