"""Auto 上新 storage: listing windows, their listings, per-product marks, counts of dropped events.

Each listing event costs O(1) writes whatever the window holds: one transaction of a
conditional put of the product's mark, a put of the listing under its window and an
``ADD`` on the window's count. No list grows inside an item, so a window of hundreds
of products stays far from DynamoDB's 400 KB item limit; closing a window reads its
listings with one strongly consistent Query (paged).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain.clock import epoch_millis
from chalicelib.domain.new_products import MAX_LISTINGS_PER_WINDOW, REANNOUNCE_AFTER, Listing
from chalicelib.store.accounts import AccountModel
from chalicelib.store.activity import add_day_counters, day_item
from chalicelib.store.base import GlobalIndex, TableMeta, applied, transaction_failures
from chalicelib.store.posts import PostModel, queue_time

OPEN, CLOSED = "open", "closed"


class DueWindowIndex(GlobalIndex["ListingWindowModel"]):
    """Sparse: open windows by the time the schedule should close them."""

    queue = UnicodeAttribute(hash_key=True)  # always "open" while the window is open
    queue_at = UnicodeAttribute(range_key=True)


class ListingWindowModel(Model):
    """One account's gathering window: open for ``AUTO_NEW_WINDOW_S`` from its first listing."""

    class Meta(TableMeta):
        table_name = settings.table("listing-windows")

    window_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    status = UnicodeAttribute()
    opened_at = UTCDateTimeAttribute()
    closes_ms = NumberAttribute()  # epoch ms; listings join only before it
    listings = NumberAttribute(default=0)
    post_id = UnicodeAttribute(null=True)
    queue = UnicodeAttribute(null=True)
    queue_at = UnicodeAttribute(null=True)
    due = DueWindowIndex()


class WindowListingModel(Model):
    """A product listed in a window (what the window's post is built from)."""

    class Meta(TableMeta):
        table_name = settings.table("window-listings")

    window_id = UnicodeAttribute(hash_key=True)
    product_id = UnicodeAttribute(range_key=True)
    title = UnicodeAttribute()
    image = UnicodeAttribute()
    price = NumberAttribute()
    listed_at = UTCDateTimeAttribute()


class ProductMarkModel(Model):
    """``<account>#<product>``: the product was gathered into a window in the last 30 days.

    The conditional put of this item is the dedup: a second report of the product, in
    the same window or within 30 days, finds it. DynamoDB's TTL removes it later; the
    condition also accepts an expired mark TTL has not removed yet.
    """

    class Meta(TableMeta):
        table_name = settings.table("product-marks")

    mark_id = UnicodeAttribute(hash_key=True)
    window_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    expires_at = TTLAttribute()


def mark_id(account_id: str, product_id: str) -> str:
    return f"{account_id}#{product_id}"


def get_window(window_id: str) -> ListingWindowModel | None:
    try:
        return ListingWindowModel.get(window_id, consistent_read=True)
    except ListingWindowModel.DoesNotExist:
        return None


def open_window(account_id: str, window_id: str, now: datetime, closes_ms: int, close_at: datetime,
                previous: str | None) -> bool:
    """Create a window and point the account at it, unless another worker moved the pointer first.

    The window is written before the pointer: a worker that loses the race leaves an
    empty window, which the schedule closes without a post.
    """
    ListingWindowModel(window_id, account_id=account_id, status=OPEN, opened_at=now, closes_ms=closes_ms,
                       listings=0, queue=OPEN, queue_at=queue_time(close_at)).save(
        condition=ListingWindowModel.window_id.does_not_exist())
    pointer = AccountModel.new_product_window
    return applied(lambda: AccountModel(account_id).update(
        actions=[pointer.set(window_id)],
        condition=AccountModel.account_id.exists() & (
            pointer.does_not_exist() if previous is None else pointer == previous)))


@dataclass(frozen=True)
class Recorded:
    outcome: str  # "added", "duplicate", "redelivered" or "window_closed"


def record_listing(window_id: str, listing: Listing, event_id: str, now: datetime) -> Recorded:
    """Add a listing to an open window, once per product per 30 days, in one transaction."""
    now_ms = epoch_millis(now)
    mark = ProductMarkModel(mark_id(listing.account_id, listing.product_id), window_id=window_id, event_id=event_id,
                            expires_at=now + REANNOUNCE_AFTER)
    item = WindowListingModel(window_id, listing.product_id, title=listing.title, image=listing.image,
                              price=listing.price, listed_at=listing.listed_at)
    window = ListingWindowModel(window_id)

    def write(tx: TransactWrite) -> None:
        tx.save(mark, condition=ProductMarkModel.mark_id.does_not_exist() | (ProductMarkModel.expires_at < now))
        tx.save(item)
        tx.update(window, actions=[ListingWindowModel.listings.add(1)],
                  condition=(ListingWindowModel.status == OPEN) & (ListingWindowModel.closes_ms > now_ms)
                  & (ListingWindowModel.listings < MAX_LISTINGS_PER_WINDOW))

    failed = transaction_failures(ListingWindowModel, write)  # puts, then updates: [mark, listing, window]
    if not failed:
        return Recorded("added")
    if failed[0]:
        earlier = ProductMarkModel.get(mark.mark_id, consistent_read=True)
        return Recorded("redelivered" if earlier.event_id == event_id else "duplicate")
    return Recorded("window_closed")  # the listing itself has no condition: the window's failed


DROPPED = {"duplicate": "listings_duplicate", "opted_out": "listings_opted_out"}


def count_dropped(account_id: str, day: str, reason: str) -> None:
    """Count one dropped listing event on the account's day (at least once: a redelivered drop counts again)."""
    add_day_counters(account_id, day, {DROPPED[reason]: 1})


def dropped(account_id: str, day: str) -> dict[str, int]:
    """Listing events dropped on the account's day, by reason."""
    item = day_item(account_id, day)
    return {reason: int(getattr(item, name) or 0) if item else 0 for reason, name in DROPPED.items()}


def window_listings(window: ListingWindowModel) -> list[Listing]:
    """Every listing of a window (strongly consistent, paged by PynamoDB)."""
    return [Listing(account_id=window.account_id, product_id=i.product_id, title=i.title, image=i.image,
                    price=float(i.price), listed_at=i.listed_at)
            for i in WindowListingModel.query(window.window_id, consistent_read=True)]


def due_windows(until: datetime, limit: int) -> list[ListingWindowModel]:
    """Up to ``limit`` open windows whose close time (plus the grace) has come, oldest first (pages of 100)."""
    return list(ListingWindowModel.due.query(OPEN, ListingWindowModel.queue_at <= queue_time(until), limit=limit,
                                             page_size=100))


def postpone(window: ListingWindowModel, until: datetime) -> None:
    """Push the schedule's next look at a window out (its close message is on its way)."""
    # False when it closed meanwhile: nothing left to postpone.
    applied(lambda: window.update(actions=[ListingWindowModel.queue_at.set(queue_time(until))],
                                  condition=ListingWindowModel.status == OPEN))


def insert_system_post(post: PostModel) -> bool:
    """Write the window's post; False when it exists already (a retried or concurrent close)."""
    return applied(lambda: post.save(condition=PostModel.post_id.does_not_exist()))


def close(window: ListingWindowModel, post_id: str | None) -> bool:
    """Mark the window closed (with its post); False if another close got there first."""
    actions: list[Action] = [ListingWindowModel.status.set(CLOSED), ListingWindowModel.queue.remove(),
               ListingWindowModel.queue_at.remove()]
    if post_id:
        actions.append(ListingWindowModel.post_id.set(post_id))
    return applied(lambda: window.update(actions=actions, condition=ListingWindowModel.status == OPEN))
