"""Activity tracking: per-account daily counters and which fans were active on which day.

Both feed the owner stats and the monthly grading:

- :class:`AccountDayModel` — one item per (account, Asia/Shanghai day) with counters
  (impressions, reads, likes, ...) and a 24-bucket histogram of fan activity by hour.
- :class:`FanDayModel` — one item per (account, day, fan) that was active with the
  account's content that day. Its key is the whole fact, so recording is an
  idempotent put (batchable, safe to redeliver). "Active fans in 30 days" and the
  7-day revisit rate are a key-range Query over the account's last days.

The request paths do not write these tables directly: they send one message per
request (a feed page, a read, a like) to the activity queue, and the activity
consumer applies it (:func:`apply_activity`).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.store.base import TableMeta

COUNTERS = ("impressions", "reads", "likes", "comments", "votes", "buyer_shows", "new_followers",
            "lost_followers", "posts", "system_posts")
# Kinds of activity that make a follower an "active fan" of the account that day.
FAN_ACTIVITY = {"impressions", "reads", "likes", "comments", "votes", "buyer_shows"}
FAN_DAY_TTL_DAYS = 40


class AccountDayModel(Model):
    """Counters of one account on one Asia/Shanghai day (ADD-updated, exact under concurrency)."""

    class Meta(TableMeta):
        table_name = settings.table("account-days")

    account_id = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)  # YYYY-MM-DD, Asia/Shanghai
    impressions = NumberAttribute(default=0)
    reads = NumberAttribute(default=0)
    likes = NumberAttribute(default=0)
    comments = NumberAttribute(default=0)
    votes = NumberAttribute(default=0)
    buyer_shows = NumberAttribute(default=0)
    new_followers = NumberAttribute(default=0)
    lost_followers = NumberAttribute(default=0)
    posts = NumberAttribute(default=0)  # manual posts published that day (system posts excluded)
    system_posts = NumberAttribute(default=0)


class FanDayModel(Model):
    """One fan active with one account's content on one day (idempotent put)."""

    class Meta(TableMeta):
        table_name = settings.table("fan-days")

    account_id = UnicodeAttribute(hash_key=True)
    day_user = UnicodeAttribute(range_key=True)  # "<YYYY-MM-DD>#<user_id>"
    expires = TTLAttribute(null=True)
