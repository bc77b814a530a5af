"""Auto 上新: listing events in, one system post per account and window out.

- :func:`accept_events` (``POST /ops/products``, operators): validate the batch, refuse
  unknown accounts, queue the listings in chunky SQS messages.
- :func:`record_event` (queue consumer): add a listing to the account's open window,
  opening one when there is none (or it is closed or full). Dedup is the conditional
  put of a per-product mark; the account's switch off drops the event (counted).
- :func:`close_due_windows` (schedule) and :func:`close_window` (queue consumer): the
  window becomes one post, exactly once. The post id is derived from the window, the
  post put is conditional and the window's open → closed transition is conditional:
  a redelivered close, a retried close and two workers closing together all make the
  same single post. The post then takes the path of every post: the moderation queue
  (its hooks, with no strike on a rejection), publication, fan-out (section ``new``,
  hybrid accounts pulled), ``system_posts`` in the stats, and no quota charge.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.auth import Principal
from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.ids import derived_id, new_id
from chalicelib.domain.messages import CloseWindowMessage, ListingEvent, ListingsMessage, NewProductsMessage
from chalicelib.domain.new_products import MAX_EVENTS_PER_CALL, Listing, check_events, gather, message_chunks
from chalicelib.domain.posts import PENDING_REVIEW, QUEUE_MODERATION, section_of
from chalicelib.services.posts import send_to_moderation
from chalicelib.services.strikes import SYSTEM
from chalicelib.store import new_products as store
from chalicelib.store import queues
from chalicelib.store.accounts import accounts_by_ids, find_account
from chalicelib.store.posts import PostModel, queue_time
from chalicelib.validation import validate

logger = Logger(service="weitao-new-products")
MAX_WINDOW_ATTEMPTS = 4
# Windows one schedule tick queues for closing (about 250 end a minute at the seeds' scale).
MAX_CLOSES_PER_TICK = 5000


def accept_events(principal: Principal, body: Any) -> dict[str, int]:
    """Queue a batch of 1–500 listing events; 400 naming every bad item, nothing queued then."""
    principal.require("operator")
    if isinstance(body, dict) and isinstance(body.get("events"), list) and len(body["events"]) > MAX_EVENTS_PER_CALL:
        # Refused before the schema runs over every item of a huge array.
        raise InvalidInput(f"at most {MAX_EVENTS_PER_CALL} listing events per call",
                           details=[{"pointer": "/events", "message": f"has more than {MAX_EVENTS_PER_CALL} items"}])
    events = validate("product_events", body)["events"]
    now = clock.now()
    listings = check_events(events, now)
    known = accounts_by_ids(sorted({listing.account_id for listing in listings}))
    unknown = [{"pointer": f"/events/{i}/account_id", "message": f"no account {listing.account_id}"}
               for i, listing in enumerate(listings) if listing.account_id not in known]
    if unknown:
        raise InvalidInput("listing events name unknown accounts: " + ", ".join(d["pointer"] for d in unknown[:5]),
                           details=unknown)
    batch = new_id(now)
    numbered = [ListingEvent(f"{batch}:{i}", listing) for i, listing in enumerate(listings)]
    queues.send_many("new_products", [ListingsMessage(tuple(chunk)).to_json() for chunk in message_chunks(numbered)])
    return {"accepted": len(listings)}


def handle_message(message: NewProductsMessage) -> dict[str, int]:
    """One queue message: a chunk of listing events, or a window to close."""
    if isinstance(message, CloseWindowMessage):
        return {close_window(message.window_id): 1}
    outcomes: dict[str, int] = {}
    for event in message.events:
        outcome = record_event(event.listing, event.event_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _window_bounds(now: datetime) -> tuple[int, datetime]:
    closes = now + timedelta(seconds=settings.auto_new_window_s)
    return clock.epoch_millis(closes), closes + timedelta(seconds=settings.auto_new_close_grace_s)


def record_event(listing: Listing, event_id: str) -> str:
    """Gather one listing into its account's open window; returns what happened to it.

    Redelivery is harmless: the product's mark carries the event id, so a repeat of
    an applied event is recognised and not counted as a duplicate.
    """
    now = clock.now()
    account = find_account(listing.account_id, consistent=True)
    if account is None:
        logger.warning("listing for a missing account dropped", account_id=listing.account_id)
        return "unknown_account"
    day = clock.local_day(now).isoformat()
    if account.auto_new_products is False:
        store.count_dropped(account.account_id, day, "opted_out")
        logger.info("listing dropped: auto 上新 is off", account_id=account.account_id,
                    product_id=listing.product_id)
        return "opted_out"
    window_id: str | None = account.new_product_window
    for _ in range(MAX_WINDOW_ATTEMPTS):
        outcome = store.record_listing(window_id, listing, event_id, now).outcome if window_id else "window_closed"
        if outcome != "window_closed":
            if outcome == "duplicate":
                store.count_dropped(account.account_id, day, "duplicate")
            return outcome
        # No open window (none yet, past its end, or full): open the next one; if another
        # worker opened one first, join that.
        fresh = new_id(now)
        closes_ms, close_at = _window_bounds(now)
        if store.open_window(account.account_id, fresh, now, closes_ms, close_at, previous=window_id):
            window_id = fresh
        else:
            moved = find_account(account.account_id, consistent=True)
            window_id = moved.new_product_window if moved is not None else None
    raise RuntimeError(f"no open listing window for {account.account_id} after {MAX_WINDOW_ATTEMPTS} tries")


def close_due_windows() -> dict[str, int]:
    """Schedule tick: queue a close for every window whose end (plus the grace) has passed.

    A window's next look is pushed out by the moderation resend delay, so a lost close
    message is sent again, and a slow one is not piled up every minute.
    """
    now = clock.now()
    due = store.due_windows(now, MAX_CLOSES_PER_TICK)
    for window in due:
        store.postpone(window, now + timedelta(seconds=settings.moderation_resend_after_s))
    queues.send_many("new_products", [CloseWindowMessage(w.window_id).to_json() for w in due])
    return {"windows_due": len(due)}


def close_window(window_id: str) -> str:
    """Turn a due window into its one system post (or into nothing); idempotent."""
    window = store.get_window(window_id)
    if window is None:
        return "missing"
    if window.status == store.CLOSED:
        return "already_closed"
    now = clock.now()
    if clock.epoch_millis(now) < window.closes_ms + settings.auto_new_close_grace_s * 1000:
        return "not_due"  # listings may still be joining; the schedule sends it again
    listings = store.window_listings(window)
    account = find_account(window.account_id)
    if not listings or account is None or account.auto_new_products is False:
        store.close(window, None)
        return "closed_without_post"
    closes_at = clock.from_epoch_millis(int(window.closes_ms))
    post_id = derived_id(closes_at, window.window_id)
    post = PostModel(
        post_id, account_id=window.account_id, author_id=SYSTEM, type="new_product", format="nine_grid",
        section=section_of("new_product"), status=PENDING_REVIEW, content=gather(listings).content(),
        system=True, created_at=now, quota_day=None, queue=QUEUE_MODERATION,
        # The scheduler re-sends it to moderation if this close's send is lost.
        queue_at=queue_time(now + timedelta(seconds=settings.moderation_resend_after_s)))
    store.insert_system_post(post)
    if not store.close(window, post_id):
        return "already_closed"  # the close that won sends the post on
    send_to_moderation(post_id)
    logger.info("auto 上新 post made", account_id=window.account_id, post_id=post_id, listings=len(listings))
    return "announced"
