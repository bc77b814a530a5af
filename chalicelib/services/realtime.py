"""Realtime push: tickets, the WebSocket handlers' logic, the push worker, resume and long-poll.

Who does what:

- the API issues one-time tickets and serves ``GET /me/events`` (long-poll);
- the WebSocket handlers (``$connect``, ``$default``, ``$disconnect``) record
  connections and subscriptions and answer ``ping`` in their own reply; they never
  call the management API (only the push worker may manage connections);
- the push worker, fed by the ``push`` queue *after* the inbox and notification writes
  it announces, numbers each frame in the user's event log and posts it to the user's
  connections, deleting a connection the gateway says is gone.

``feed.new`` reaches connected followers without a walk of its own: fan-out names the
roster pages (or the users) it wrote as its writes land (``FeedAnnouncer``); the worker
reads those pages and keeps only the followers present. Posts of pulled accounts (no
fan-out) are matched from the connections side: the users present, shard by shard,
checked against the account's follow items (``announce_pulled``).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import timedelta
from functools import partial
from typing import Any, Protocol, assert_never

import boto3
from aws_lambda_powertools import Logger
from chalice.app import WebsocketAPI, WebsocketDisconnectedError

from chalicelib.auth import Principal, verify_token
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.delivery_modes import followers_to_deliver, key_millis, pulled_post_shows
from chalicelib.domain.errors import InvalidInput, Unauthenticated
from chalicelib.domain.messages import (
    ClosePushMessage,
    CountersPushMessage,
    FeedPushMessage,
    NotificationPushMessage,
    PulledFeedPushMessage,
    PushMessage,
    ReplayPushMessage,
    RosterFeedPushMessage,
)
from chalicelib.domain.posts import PUBLISHED
from chalicelib.services import notifications
from chalicelib.services.representations import post_view
from chalicelib.store import queues, roster
from chalicelib.store import realtime as store
from chalicelib.store.accounts import get_account
from chalicelib.store.follows import follows_by
from chalicelib.store.posts import PostModel, get_post

logger = Logger(service="weitao-realtime")
MAX_CONNECTIONS = 5
MAX_REPLAY = 100
MAX_SUBSCRIBE = 20
MAX_WAIT_S = 20
POLL_EVERY_S = 0.25
COUNTERS_EVERY = timedelta(seconds=1)
# Events stay logged this long after a user's last connection or long-poll, so a
# reconnecting app resumes instead of resyncing.
RESUME_GRACE = timedelta(minutes=10)
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="push")


# --- the gateway that reaches connections ----------------------------------------------------------

class Gateway(Protocol):
    def send(self, connection_id: str, text: str) -> bool: ...  # False: the connection is gone

    def close(self, connection_id: str) -> None: ...


class ApiGatewayConnections:
    """API Gateway's management API through Chalice's ``WebsocketAPI`` (configured from the API id)."""

    def __init__(self) -> None:
        self.api = WebsocketAPI()
        self.api.session = boto3.Session(region_name=settings.region)
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if endpoint:  # moto: one endpoint for every API id and stage (configure() would build an https URL)
            self.api._endpoint = endpoint
        else:
            self.api.configure_from_api_id(settings.websocket_api_id, settings.websocket_stage)

    def client(self) -> Any:
        return self.api._get_client()  # tests inject GoneException on it (moto never raises it)

    def send(self, connection_id: str, text: str) -> bool:
        try:
            self.api.send(connection_id, text)
            return True
        except WebsocketDisconnectedError:
            return False

    def close(self, connection_id: str) -> None:
        try:
            self.api.close(connection_id)
        except WebsocketDisconnectedError:
            pass


_gateway: Gateway | None = None


def gateway() -> Gateway:
    global _gateway
    if _gateway is None:
        _gateway = ApiGatewayConnections()
    return _gateway


def use_gateway(value: Gateway | None) -> None:
    """Deliver through ``value`` (the local bridge); ``None`` goes back to API Gateway."""
    global _gateway
    _gateway = value


# --- tickets and the handshake ------------------------------------------------------------------------

def issue_ticket(principal: Principal) -> dict[str, Any]:
    now = clock.now()
    ticket = secrets.token_urlsafe(32)
    expires = store.put_ticket(ticket, principal.user_id, now)
    store.touch_presence(principal.user_id, now, RESUME_GRACE)
    return {"ticket": ticket, "url": settings.websocket_url, "expires_at": clock.rfc3339(expires)}


def handshake_user(query: dict[str, str]) -> str | None:
    """The user a handshake is for, or None (refused with 401).

    A ticket works once and for 60 seconds. Locally (HS256 tokens) ``?token=<JWT>`` is
    accepted too; deployed, tokens never appear in URLs (they would reach access logs).
    """
    ticket = query.get("ticket")
    if ticket:
        return store.redeem_ticket(ticket[:256], clock.now())
    token = query.get("token")
    if token and settings.auth_mode == "hs256":
        try:
            return verify_token(f"Bearer {token}").user_id
        except Unauthenticated:
            return None
    return None


def on_connect(connection_id: str, query: dict[str, str]) -> int:
    """Accept (200) or refuse (401) a handshake; a sixth connection closes the user's oldest."""
    user_id = handshake_user(query)
    if user_id is None:
        return 401
    open_now = store.connect(connection_id, user_id, clock.now(), RESUME_GRACE)
    excess = sorted(open_now.items(), key=lambda c: c[1])[:max(0, len(open_now) - MAX_CONNECTIONS)]
    for old, _ in excess:
        queues.send("push", ClosePushMessage(old).to_json())
    return 200


def on_disconnect(connection_id: str) -> None:
    user_id = store.disconnect(connection_id)
    if user_id:
        store.touch_presence(user_id, clock.now(), RESUME_GRACE)


def on_message(connection_id: str, body: str) -> dict[str, Any] | None:
    """Handle one client frame; returns the reply frame, if any (sent back on the same route)."""
    try:
        message = json.loads(body)
    except ValueError:
        return {"type": "error", "message": "frames are JSON objects"}
    if not isinstance(message, dict):
        return {"type": "error", "message": "frames are JSON objects"}
    action = message.get("action")
    now = clock.now()
    connection = store.get_connection(connection_id, now)
    if connection is None:
        return {"type": "error", "message": "unknown connection; reconnect"}
    if action == "ping":
        store.touch_presence(connection.user_id, now, RESUME_GRACE)
        return {"type": "pong"}
    if action == "resume":
        since = _event_id(message.get("since"))
        if since is None:
            return {"type": "error", "message": "resume needs since: an event_id"}
        queues.send("push", ReplayPushMessage(connection_id, connection.user_id, since).to_json())
        return None
    if action in ("subscribe", "unsubscribe"):
        post_ids = message.get("post_ids")
        if (not isinstance(post_ids, list) or not 1 <= len(post_ids) <= MAX_SUBSCRIBE
                or not all(isinstance(p, str) and 0 < len(p) <= 64 for p in post_ids)):
            return {"type": "error", "message": f"post_ids: 1 to {MAX_SUBSCRIBE} post ids"}
        if action == "subscribe":
            store.subscribe(connection, list(dict.fromkeys(post_ids)), now)
        else:
            store.unsubscribe(connection, post_ids)
        return None
    return {"type": "error", "message": "action must be ping, resume, subscribe or unsubscribe"}


def _event_id(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 15:
        value = int(raw)
    else:
        return None
    return value if 0 <= value < 10**15 else None


# --- resume and long-poll ---------------------------------------------------------------------------

def missed(user_id: str, since: int) -> list[dict[str, Any]] | None:
    """The events after ``since`` in order, or None when they cannot all be given (resync)."""
    presence = store.presence_of(user_id)
    if presence is None or since + 1 < int(presence.log_from or 0):
        return None  # events were not logged while the user was away
    events = store.events_after(user_id, since, MAX_REPLAY + 1, clock.now())
    if len(events) > MAX_REPLAY or (events and events[0]["event_id"] != since + 1):
        return None  # too many, or the oldest have expired
    if since > store.current_sequence(user_id):
        return None  # an id this user never had
    return events


def long_poll(principal: Principal, since_raw: str | None, wait_raw: str | None,
              sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """``GET /me/events``: the events after ``since`` (waiting up to ``wait`` seconds for the first)."""
    wait = 0
    if wait_raw is not None:
        if not (wait_raw.isascii() and wait_raw.isdigit() and int(wait_raw) <= MAX_WAIT_S):
            raise InvalidInput(f"wait must be an integer from 0 to {MAX_WAIT_S}",
                               details=[{"pointer": "/wait", "message": f"0 to {MAX_WAIT_S} seconds"}])
        wait = int(wait_raw)
    user_id = principal.user_id
    store.touch_presence(user_id, clock.now(), RESUME_GRACE)
    if since_raw is None:
        since = store.current_sequence(user_id)
    else:
        parsed = _event_id(since_raw)
        if parsed is None:
            raise InvalidInput("since must be an event_id", details=[{"pointer": "/since",
                                                                      "message": "an event_id (integer)"}])
        since = parsed
    deadline = time.monotonic() + min(wait, settings.long_poll_cap_s)
    while True:
        events = missed(user_id, since)
        if events is None:
            last = store.current_sequence(user_id)
            return {"events": [{"type": "resync", "event_id": last}], "last_event_id": last, "resync": True}
        if events or time.monotonic() >= deadline:
            return {"events": events, "last_event_id": events[-1]["event_id"] if events else since, "resync": False}
        sleep(min(POLL_EVERY_S, max(0.0, deadline - time.monotonic())))


# --- announcements (event sites: one line each, never failing the caller) -----------------------------

class FeedAnnouncer:
    """Fan-out's ``feed.new`` announcements of one page, sent as its inbox writes land.

    The page tells it each batch of followers it queued for writing (a roster page, or
    follow items' users) and, as writes finish, how many of the queued users are written
    in order. A written batch is announced by naming its roster page (the push worker
    reads the page again), so a message stays a few bytes whatever the followers; users
    of follow items are named one by one. The first written batch goes out at once (the
    first followers hear without waiting for a full message); after that every
    :data:`PER_MESSAGE` users are one message (small enough for one push job to finish
    soon, few enough to keep a 100,000-follower fan-out to about 50 sends); the rest go
    on :meth:`flush`. Sends run on one thread of their own, in order, so the page goes
    on reading and writing instead of waiting on the queue; :meth:`flush` returns once
    every send of the page is done. Used from the page's own thread only.
    """

    PER_MESSAGE = 2000  # users; also the most a FeedPushMessage names
    PAGES_PER_MESSAGE = 100  # the most a RosterFeedPushMessage names

    def __init__(self, post_id: str) -> None:
        self.post_id = post_id
        self.batches: deque[tuple[int, str | None, list[str]]] = deque()  # (queued through, page, users)
        self.counted = 0  # users of the batches taken into the ready ones
        self.ready_users = 0
        self.ready_pages: list[str] = []
        self.ready_named: list[str] = []
        self.sent = False
        self.sends: list[Future[None]] = []

    def queued(self, through: int, page: str | None, users: list[str]) -> None:
        """A batch of ``users`` was queued for writing, the writer's first ``through`` users
        counting it; ``page``: the roster page holding exactly them (None: name the users)."""
        if users:
            self.batches.append((through, page, [] if page else users))

    def written(self, through: int) -> None:
        """The writer's first ``through`` users are written: announce what that completes."""
        while self.batches and self.batches[0][0] <= through:
            end, page, users = self.batches.popleft()
            self.ready_users += end - self.counted
            self.counted = end
            if page is None:
                self.ready_named += users
            else:
                self.ready_pages.append(page)
        if self.ready_users and (not self.sent or self.ready_users >= self.PER_MESSAGE):
            self._send_ready()

    def flush(self) -> None:
        """Every write of the page is done: announce the rest, and wait for the sends."""
        if self.batches:
            self.written(self.batches[-1][0])
        if self.ready_users:
            self._send_ready()
        sends, self.sends = self.sends, []
        wait(sends)

    def _send_ready(self) -> None:  # one thread sends, in order: the first written batch leaves first
        messages: list[PushMessage] = [
            RosterFeedPushMessage(self.post_id, tuple(self.ready_pages[i:i + self.PAGES_PER_MESSAGE]))
            for i in range(0, len(self.ready_pages), self.PAGES_PER_MESSAGE)]
        messages += [FeedPushMessage(self.post_id, tuple(self.ready_named[i:i + self.PER_MESSAGE]))
                     for i in range(0, len(self.ready_named), self.PER_MESSAGE)]
        self.ready_users, self.ready_pages, self.ready_named, self.sent = 0, [], [], True
        self.sends = [s for s in self.sends if not s.done()]
        self.sends += [_ANNOUNCING.submit(_send, message) for message in messages]


# The fan-out's announcement sends (one thread: a page's messages leave in order).
_ANNOUNCING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-announce")


def announce_pulled(post_id: str) -> None:
    """A post of a pulled account was published: push ``feed.new`` to its connected followers."""
    _send(PulledFeedPushMessage(post_id))


def post_changed(post_id: str) -> None:
    """A post's counters changed: one ``post.counters`` push per post per second at most."""
    try:
        now = clock.now()
        if not store.counter_push_pending(post_id, now) and store.claim_counter_push(post_id, now, COUNTERS_EVERY):
            queues.send_later("push", CountersPushMessage(post_id).to_json(), int(COUNTERS_EVERY.total_seconds()))
    except Exception:
        logger.exception("counters push not scheduled", post_id=post_id)  # the next change schedules one


def _send(message: PushMessage) -> None:
    try:
        queues.send("push", message.to_json())
    except Exception:
        # Pushes are a live view; what they announce is already stored and read over REST.
        logger.exception("push not enqueued", kind=message.kind)


# --- the push worker -----------------------------------------------------------------------------------

def handle_push(message: PushMessage) -> int:
    """Run one push job (the ``push`` queue's consumer); returns the frames delivered."""
    if isinstance(message, FeedPushMessage):
        return _push_feed(lambda: feed_item(get_post(message.post_id, consistent=True)), list(message.users))
    if isinstance(message, RosterFeedPushMessage):
        return _push_roster(message.post_id, list(message.pages))
    if isinstance(message, PulledFeedPushMessage):
        return _push_pulled(message.post_id)
    if isinstance(message, NotificationPushMessage):
        return _push_notification(message.user_id, message.notification_id)
    if isinstance(message, CountersPushMessage):
        return _push_counters(message.post_id)
    if isinstance(message, ReplayPushMessage):
        return _replay(message.connection_id, message.user_id, message.since)
    if isinstance(message, ClosePushMessage):
        gateway().close(message.connection_id)
        store.disconnect(message.connection_id)
        return 0
    assert_never(message)


def feed_item(post: PostModel) -> dict[str, Any] | None:
    """The post as ``GET /me/feed`` shows it (handle and display name included); None unless published."""
    if post.status != PUBLISHED:
        return None
    account = get_account(post.account_id)
    return {**post_view(post), "handle": account.handle, "display_name": account.display_name}


def _push_feed(item_of: Callable[[], dict[str, Any] | None], user_ids: list[str]) -> int:
    # The item and the presence of each 100 users are read at once, not one after another.
    item_read = _POOL.submit(item_of)
    now = clock.now()
    present: dict[str, store.PresenceModel] = {}
    for found in _POOL.map(lambda part: store.present(part, now),
                           [user_ids[i:i + 100] for i in range(0, len(user_ids), 100)]):
        present.update(found)
    item = item_read.result()
    if not present or item is None:
        return 0
    return _deliver_each({u: [{"type": "feed.new", "item": item}] for u in present}, present)


def _push_roster(post_id: str, pages: list[str]) -> int:
    post = get_post(post_id, consistent=True)
    if post.status != PUBLISHED or not post.feed_key:
        return 0
    # The fan-out's own rule on the pages' members as they are now (an unfollow since drops out).
    members = roster.members_of(post.account_id, pages)
    return _push_feed(partial(feed_item, post), followers_to_deliver(members, key_millis(post.feed_key)))


def _push_pulled(post_id: str) -> int:
    post = get_post(post_id, consistent=True)
    if post.status != PUBLISHED or not post.feed_key:
        return 0
    item = feed_item(post)
    delivered = 0
    now = clock.now()
    for page in store.present_users(now):
        follows = follows_by(post.account_id, page)
        fans = [f.user_id for f in follows if pulled_post_shows(
            post.feed_key, clock.epoch_millis(f.followed_at), [str(g) for g in post.audience_groups or ()],
            f.groups)]
        present = store.present(fans, now) if fans else {}
        if present and item is not None:
            delivered += _deliver_each({u: [{"type": "feed.new", "item": item}] for u in present}, present)
    return delivered


def _push_notification(user_id: str, notification_id: str) -> int:
    present = store.present([user_id], clock.now())
    if not present:
        return 0
    frame = notifications.notification_frame(user_id, notification_id)
    return _deliver_each({user_id: [frame]}, present) if frame is not None else 0


def _push_counters(post_id: str) -> int:
    store.release_counter_push(post_id)  # first: a change from now on schedules the next push
    now = clock.now()
    subscriptions = store.subscribers(post_id, now)
    if not subscriptions:
        return 0
    post = get_post(post_id, consistent=True)
    frame = {"type": "post.counters", "post_id": post_id, "likes": int(post.likes), "comments": int(post.comments),
             "votes": sum(int(n) for n in post.votes or [])}  # type: ignore[call-overload]
    by_user: dict[str, list[str]] = {}
    for s in subscriptions:
        by_user.setdefault(s.user_id, []).append(s.connection_id)
    # Only the subscribed connections get it, but it is numbered in the user's log like every frame.
    return _deliver({user_id: [frame] for user_id in by_user}, by_user)


def _replay(connection_id: str, user_id: str, since: int) -> int:
    events = missed(user_id, since)
    frames = events if events is not None else [{"type": "resync", "event_id": store.current_sequence(user_id)}]
    sent = 0
    for frame in frames:
        if not _send_to(connection_id, user_id, json.dumps(frame, ensure_ascii=False, separators=(",", ":"))):
            break
        sent += 1
    return sent


def _deliver_each(frames: dict[str, list[dict[str, Any]]], present: dict[str, store.PresenceModel]) -> int:
    return _deliver(frames, {user_id: list(store.connections_of(present[user_id])) for user_id in frames})


def _deliver(frames: dict[str, list[dict[str, Any]]], connections: dict[str, list[str]]) -> int:
    """Number each user's frames, log them all (batched across users), then post them to
    each user's connections: a frame is in the log before any connection gets it."""
    users = list(frames)
    numbered = store.number_all(frames)
    store.log(numbered, clock.now())

    def send(user_id: str) -> int:
        sent = 0
        for connection_id in connections.get(user_id, ()):
            for frame in numbered[user_id]:
                if not _send_to(connection_id, user_id, json.dumps(frame, ensure_ascii=False, separators=(",", ":"))):
                    break
                sent += 1
        return sent

    return sum(_POOL.map(send, users))


def _send_to(connection_id: str, user_id: str, text: str) -> bool:
    if gateway().send(connection_id, text):
        return True
    logger.info("connection gone", connection_id=connection_id, user_id=user_id)
    store.disconnect(connection_id)
    return False

