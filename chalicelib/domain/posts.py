"""Post rules that need no storage: feed sections, feed keys, the checks a schema cannot express."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.clock import epoch_millis
from chalicelib.domain.errors import InvalidInput

# The post lifecycle (transitions: chalicelib/store/posts.py):
# scheduled → pending_review → published | rejected; published → removed (also any other non-final status).
SCHEDULED, PENDING_REVIEW, PUBLISHED = "scheduled", "pending_review", "published"
REJECTED, REMOVED = "rejected", "removed"
FINAL_STATUSES = (REMOVED, REJECTED)
# Work queues a post waits in (the ``work_queue`` index): due scheduled posts, moderation
# messages to re-send when stalled, and the moderators' review queue.
QUEUE_SCHEDULED, QUEUE_MODERATION, QUEUE_REVIEW = "scheduled", "moderation", "review"

SECTIONS = ("all", "new", "video")
_SECTION_OF_TYPE = {"new_product": "new", "video": "video", "live": "video"}
MAX_SCHEDULE_AHEAD = timedelta(days=30)
# Fields the client may send; everything else on a post is the platform's.
CONTENT_FIELDS = ("type", "format", "title", "text", "images", "cover", "video", "products", "poll",
                  "contest", "coupon", "live", "topics")


def section_of(post_type: str) -> str:
    """The home-feed section a post type belongs to besides ``all``."""
    return _SECTION_OF_TYPE.get(post_type, "other")


def feed_key(published_at: datetime, post_id: str) -> str:
    """Sort key of a post in every feed: publication time, then id (stable for retries)."""
    return f"{epoch_millis(published_at):013d}#{post_id}"


def section_feed_key(section: str, key: str) -> str:
    """Sort key of a post in its section's index: ``<section>#<feed_key>``."""
    return f"{section}#{key}"


def recent_bucket_key(day: date, shard: int) -> str:
    """A key of the hot list's candidate index: ``<Asia/Shanghai day>#<shard>``."""
    return f"{day.isoformat()}#{shard}"


def recent_bucket(published_at: datetime, post_id: str, shards: int) -> str:
    """The bucket a published post is filed under: its Asia/Shanghai day and a shard of its id.

    Shards spread one day's publications over several index partitions.
    """
    return recent_bucket_key(clock.local_day(published_at), zlib.crc32(post_id.encode()) % shards)


@dataclass(frozen=True)
class FeedKeys:
    """Where a post delivered to followers sits: every feed, its section's, the hot list's day bucket."""

    feed_key: str
    section_feed_key: str
    recent_bucket: str


def feed_keys_of(post_id: str, section: str, at: datetime, bucket_shards: int) -> FeedKeys:
    """The keys a post gets when it reaches followers at ``at`` (publication, or a featured buyer show's push)."""
    key = feed_key(at, post_id)
    return FeedKeys(key, section_feed_key(section, key), recent_bucket(at, post_id, bucket_shards))


def check_post_rules(body: dict[str, Any], at: datetime) -> datetime | None:
    """Rules across fields that JSON Schema cannot state; returns the parsed ``publish_at``.

    Raises :class:`InvalidInput` naming every offending field.
    """
    details = []

    def when(pointer: str, text: str) -> datetime | None:
        try:
            return clock.parse_rfc3339(text)
        except ValueError:
            details.append({"pointer": pointer, "message": "is not an RFC 3339 timestamp with an offset"})
            return None

    publish_at = when("/publish_at", body["publish_at"]) if "publish_at" in body else None
    if publish_at and publish_at > at + MAX_SCHEDULE_AHEAD:
        details.append({"pointer": "/publish_at", "message": "may be at most 30 days ahead"})
    starts = publish_at if publish_at and publish_at > at else at
    for pointer, value in (("/poll/closes_at", body.get("poll", {}).get("closes_at")),
                           ("/contest/ends_at", body.get("contest", {}).get("ends_at")),
                           ("/coupon/expires_at", body.get("coupon", {}).get("expires_at"))):
        if value is not None:
            moment = when(pointer, value)
            if moment and moment <= starts:
                details.append({"pointer": pointer, "message": "must be after the post is published"})
    coupon = body.get("coupon")
    if coupon and coupon["threshold"] and coupon["amount"] >= coupon["threshold"]:
        details.append({"pointer": "/coupon/amount", "message": "must be below the threshold (or set threshold 0)"})
    if details:
        raise InvalidInput("post breaks a publishing rule: " + ", ".join(d["pointer"] for d in details),
                           details=details)
    return publish_at
