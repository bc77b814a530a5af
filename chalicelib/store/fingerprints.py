"""The fingerprint index of published posts: LSH band keys and exact-text keys → posts.

One item per (key, post): the hash key is the fingerprint key, the range key is
``<publication ms>#<post id>``, so a lookup is one Query per key reading only the
newest ``per_key_limit`` entries inside the lookback window; items expire by TTL
after the window. Writing the same post twice overwrites the same items.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pynamodb.attributes import TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.domain.clock import epoch_millis, from_epoch_millis
from chalicelib.domain.delivery_modes import key_millis
from chalicelib.domain.moderation.fingerprint import FingerprintHit
from chalicelib.domain.posts import feed_key
from chalicelib.store.base import TableMeta
from chalicelib.store.batch import batch_write


class FingerprintModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("fingerprints")

    index_key = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # "<publication ms, 13 digits>#<post id>"
    post_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    expires_at = TTLAttribute()


def index_post(keys: Sequence[str], post_id: str, account_id: str, at: datetime, keep: timedelta) -> int:
    """Index a post under ``keys`` (idempotent); returns the BatchWriteItem calls made.

    Parameters
    ----------
    keys : sequence of str
        The post's fingerprint keys (band keys and its exact-text key).
    at : datetime
        Publication time: the entries sort and expire by it.
    keep : timedelta
        How long the entries live (DynamoDB TTL).
    """
    entry = feed_key(at, post_id)
    items = [FingerprintModel(key, entry, post_id=post_id, account_id=account_id, expires_at=at + keep)
             for key in dict.fromkeys(keys)]
    return batch_write(FingerprintModel, items)


def find(keys: Sequence[str], since: datetime, per_key_limit: int) -> list[FingerprintHit]:
    """Posts indexed under any of ``keys`` since ``since``, newest first per key.

    One Query per key, each reading at most ``per_key_limit`` items: the cost is
    bounded by the number of keys, not by the number of posts. A post found under
    several keys appears once per key (callers count shared keys).
    """
    cutoff = f"{epoch_millis(since):013d}"
    hits = []
    for key in dict.fromkeys(keys):
        for item in FingerprintModel.query(key, FingerprintModel.entry_key > cutoff, scan_index_forward=False,
                                           limit=per_key_limit):
            at = from_epoch_millis(key_millis(item.entry_key))  # the entry key is the post's feed key
            hits.append(FingerprintHit(item.post_id, item.account_id, at))
    return hits
