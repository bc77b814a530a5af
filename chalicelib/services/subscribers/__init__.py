"""Who reacts to what happened: one table from event type to its subscribers, and :func:`emit`.

A transition happens once (it is conditional); what follows it is a subscriber here.
``emit`` calls the event's subscribers in table order, in the same process; the first
that raises stops the rest and fails the caller (a queue message is then redelivered,
an HTTP call answers 500), so **every subscriber must be idempotent on its own**: the
moderation consumer emits ``PostPublished`` again when a redelivered message finds
its post already published.

Extension point (notifications, realtime pushes, auto 上新 posts...):

1. an event is a frozen dataclass (post events: :mod:`chalicelib.services.post_events`;
   a capability may define its own, e.g. ``FollowStarted``, next to the code that
   emits it, and call ``emit(...)`` there);
2. a subscriber is a function ``(event) -> None`` in a module of this package, named
   for what it does, idempotent (a conditional write, a once-marker, a
   deterministic key);
3. register it: one entry in :data:`SUBSCRIBERS` under the event's class.

A subscriber that is slow or may fail on its own should only send a queue message
(see :mod:`.fan_out`), so the work gets SQS retries without holding up the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.services.post_events import BuyerShowPushed, PostHeld, PostPublished, PostRejected, PostRemoved
from chalicelib.services.subscribers import day_counters, fan_out, feed_cache, fingerprints, notify

Subscriber = Callable[[Any], None]

SUBSCRIBERS: dict[type, tuple[Subscriber, ...]] = {
    PostPublished: (fingerprints.index_published_post, day_counters.count_publication, fan_out.deliver_post,
                    notify.buyer_show_sent, feed_cache.forget_recent_posts),
    PostRejected: (notify.post_rejected,),
    PostHeld: (notify.post_held,),
    PostRemoved: (feed_cache.forget_recent_posts, fan_out.retract_post),
    BuyerShowPushed: (fan_out.deliver_post,),
}


def emit(event: object) -> None:
    """Run every subscriber of ``event`` in order (see the module docstring for the contract)."""
    for subscriber in SUBSCRIBERS.get(type(event), ()):
        subscriber(event)
