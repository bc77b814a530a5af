"""Which chunks of a post's fan-out have handed over to the next one, and announced their page.

A chunk sends the message for the next follower page once; a redelivered copy of a
chunk finds the marker and does not start a second chain of pages, nor push its
page's ``feed.new`` frames a second time.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from chalicelib.config import settings
from chalicelib.store.base import TableMeta


class FanoutProgressModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("fanout-progress")

    job_id = UnicodeAttribute(hash_key=True)  # "<op>#<post_id>#<generation>"
    chunk = NumberAttribute(range_key=True)
    delivered = NumberAttribute(default=0)
    announced = BooleanAttribute(null=True)  # the page's feed.new went to the push queue


def next_chunk_sent(job_id: str, chunk: int) -> bool:
    try:
        FanoutProgressModel.get(job_id, chunk, consistent_read=True)
        return True
    except DoesNotExist:
        return False


def mark_next_chunk_sent(job_id: str, chunk: int, delivered: int) -> None:
    FanoutProgressModel(job_id, chunk, delivered=delivered).save()


def was_announced(job_id: str, chunk: int) -> bool:
    try:
        return bool(FanoutProgressModel.get(job_id, chunk, consistent_read=True).announced)
    except DoesNotExist:
        return False


def mark_announced(job_id: str, chunk: int) -> None:
    """Set after the hand-over's marker (whose ``save`` would drop it), never before."""
    FanoutProgressModel(job_id, chunk).update(actions=[FanoutProgressModel.announced.set(True)])


# Chunk number of the marker a post's fan-out leaves when it found the account pulled
# (nothing was pushed, so its takedown has no inbox entries to retract).
PULLED_MARKER = -1


def mark_pulled(post_id: str) -> None:
    FanoutProgressModel(f"put#{post_id}", PULLED_MARKER).save()


def was_pulled(post_id: str) -> bool:
    return next_chunk_sent(f"put#{post_id}", PULLED_MARKER)
