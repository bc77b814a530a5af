"""Activity tracking: what requests report, and the consumer that writes it down.

Request paths call one ``record_*`` function, which sends ONE message to the
``activity`` queue (a feed page, a read, a like...): no table write on the request
path. The activity consumer (:func:`apply_batch`) applies each message's counters
exactly once (a marker per message in the same transaction as its counter updates,
so a redelivered batch adds nothing twice), the fan-day facts in batches. Tracking never fails a request: a
send that fails is logged and the request goes on.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.activity import ActivityMessage, activity_units, fan_candidates, plan_activity
from chalicelib.domain.ids import new_id
from chalicelib.domain.posts import PUBLISHED
from chalicelib.observability import logger
from chalicelib.store import activity as store
from chalicelib.store import follows, queues
from chalicelib.store.posts import PostModel


def record(user_id: str | None, accounts: dict[str, dict[str, int]],
           posts: dict[str, dict[str, int]] | None = None, at: datetime | None = None) -> None:
    """Send one activity message (best effort: a failed send is logged, never raised)."""
    if not accounts and not posts:
        return
    now = clock.now()
    message = ActivityMessage(at=at or now, user_id=user_id, accounts=accounts, posts=posts or {},
                              message_id=new_id(now))
    try:
        queues.send("activity", message.to_json())
    except Exception:
        logger.exception("activity not recorded", user_id=user_id, accounts=sorted(accounts))


def record_impressions(user_id: str, items: Iterable[dict[str, Any]], at: datetime | None = None) -> None:
    """A feed page was shown (at ``at``, when sent later): one impression per post, per account, one message."""
    per_account = Counter(item["account_id"] for item in items if item.get("account_id"))
    record(user_id, {account_id: {"impressions": n} for account_id, n in per_account.items()}, at=at)


def record_read(user_id: str, post: PostModel) -> None:
    """A published post was opened: a read for its account's day and for the post."""
    if post.status == PUBLISHED:
        record(user_id, {post.account_id: {"reads": 1}}, {post.post_id: {"reads": 1}})


def record_engagement(user_id: str, account_id: str, counter: str) -> None:
    """A like, comment, vote or buyer show (``counter``) for the account's day."""
    record(user_id, {account_id: {counter: 1}})


def record_follow_change(user_id: str, account_id: str, followed: bool) -> None:
    record(user_id, {account_id: {"new_followers" if followed else "lost_followers": 1}})


def apply_batch(records: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Apply a batch of activity messages, ``(SQS message id, body)`` pairs (the queue consumer).

    A malformed message is logged and dropped: it can never succeed. Who counts as a
    fan is decided here, with one BatchGetItem of the follows involved. A message's
    own id names its effect (the SQS id serves for a body sent without one).
    """
    messages = []
    dropped = 0
    for sqs_id, body in records:
        try:
            message = ActivityMessage.from_json(json.loads(body))
        except (ValueError, TypeError) as error:
            dropped += 1
            logger.warning("dropping malformed activity message", reason=str(error)[:200])
            continue
        messages.append(message if message.message_id else dataclasses.replace(message, message_id=sqs_id))
    fans = store.followers_among(fan_candidates(messages))
    fan_days = plan_activity(messages, fans).fan_days
    written = store.apply_units(activity_units(messages, fans), fan_days)
    moved = follows.record_active_days(fan_days)
    return {"messages": len(messages), "dropped": dropped, **written, "fans_moved": moved}
