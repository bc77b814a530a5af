"""Auto 上新 rules that need no storage: checking listing events, gathering a window into a post.

The shop platform reports listings; each account's listings of one window become one
system post (type ``new_product``, format ``nine_grid``). See services/new_products.py
for the storage side and README "Auto 上新" for the design.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from chalicelib.domain import clock
from chalicelib.domain.errors import InvalidInput

MAX_EVENTS_PER_CALL = 500
# A window holds at most this many listings; the next listing opens the next window.
# It bounds the post item (ids, titles) far below DynamoDB's 400 KB item limit.
MAX_LISTINGS_PER_WINDOW = 500
EVENTS_PER_MESSAGE = 50  # few, chunky SQS messages (each ≤ ~120 KB)
MAX_IMAGES = 9
TITLES_IN_TEXT = 3
REANNOUNCE_AFTER = timedelta(days=30)
MAX_LISTING_AGE = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=5)
T = TypeVar("T")
_PRODUCT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Listing:
    """One product an account's shop listed."""

    account_id: str
    product_id: str
    title: str
    image: str
    price: float
    listed_at: datetime

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> Listing:
        return cls(account_id=body["account_id"], product_id=body["product_id"], title=body["title"],
                   image=body["image"], price=float(body["price"]), listed_at=clock.parse_rfc3339(body["listed_at"]))

    def to_json(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "product_id": self.product_id, "title": self.title,
                "image": self.image, "price": self.price, "listed_at": self.listed_at.isoformat()}


def check_events(events: list[dict[str, Any]], now: datetime) -> list[Listing]:
    """Rules a schema cannot state, on schema-valid events; raises :class:`InvalidInput` naming each item.

    ``product_id`` must be a whole-string match (JSON Schema's ``$`` lets a trailing
    newline through); ``listed_at`` must parse and lie within the last 30 days (not
    ahead of now by more than the clock skew).
    """
    details = []
    listings = []
    for index, event in enumerate(events):
        if not _PRODUCT_ID.fullmatch(event["product_id"]):
            details.append({"pointer": f"/events/{index}/product_id", "message": "must be 1-64 of A-Z a-z 0-9 _ -"})
            continue
        try:
            listed_at = clock.parse_rfc3339(event["listed_at"])
        except ValueError:
            details.append({"pointer": f"/events/{index}/listed_at", "message": "is not an RFC 3339 timestamp"})
            continue
        if listed_at > now + CLOCK_SKEW or listed_at < now - MAX_LISTING_AGE:
            details.append({"pointer": f"/events/{index}/listed_at", "message": "must be within the last 30 days"})
            continue
        listings.append(Listing.from_json(event))
    if details:
        raise InvalidInput("listing events are invalid: " + ", ".join(d["pointer"] for d in details[:5]),
                           details=details)
    return listings


def message_chunks(events: list[T]) -> list[list[T]]:
    """The events in SQS-message-sized chunks, in order."""
    return [events[i:i + EVENTS_PER_MESSAGE] for i in range(0, len(events), EVENTS_PER_MESSAGE)]


@dataclass(frozen=True)
class Gathered:
    """A window's listings as one system post's content."""

    text: str
    images: list[str]
    products: list[str]
    titles: list[str]

    def content(self) -> dict[str, Any]:
        # ``product_titles`` lets the banned-words hook read every title, not just those in the text.
        return {"type": "new_product", "format": "nine_grid", "text": self.text, "images": self.images,
                "products": self.products, "product_titles": self.titles}


def announcement_text(count: int, titles: list[str]) -> str:
    """``上新 12 件：羊毛大衣、羊绒围巾、真丝衬衫…``: the count and the first titles.

    Examples
    --------
    >>> announcement_text(2, ["羊毛大衣", "羊绒围巾"])
    '上新 2 件：羊毛大衣、羊绒围巾'
    >>> announcement_text(12, ["羊毛大衣", "羊绒围巾", "真丝衬衫", "牛仔裤"])
    '上新 12 件：羊毛大衣、羊绒围巾、真丝衬衫…'
    """
    shown = "、".join(titles[:TITLES_IN_TEXT])
    return f"上新 {count} 件：{shown}{'…' if count > TITLES_IN_TEXT else ''}"


def gather(listings: list[Listing]) -> Gathered:
    """One post from a window's listings: in listing order, one entry per product, ≤ 9 images.

    The order (listed_at, then product id) does not depend on how the store returned
    them, so two workers closing the same window build the same post.
    """
    if not listings:
        raise ValueError("a window without listings makes no post")
    by_product: dict[str, Listing] = {}
    for listing in sorted(listings, key=lambda item: (item.listed_at, item.product_id)):
        by_product.setdefault(listing.product_id, listing)
    ordered = list(by_product.values())
    images: list[str] = []
    for listing in ordered:
        if listing.image not in images and len(images) < MAX_IMAGES:
            images.append(listing.image)
    titles = [listing.title for listing in ordered]
    return Gathered(text=announcement_text(len(ordered), titles), images=images,
                    products=[listing.product_id for listing in ordered], titles=titles)
