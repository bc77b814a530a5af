"""The auto 上新 consumer (listing events, window closes) and the schedule that closes windows."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Rate

from chalicelib.domain.messages import parse_new_products_message
from chalicelib.events.sqs import process_batch
from chalicelib.services import new_products
from chalicelib.store.queues import QUEUES

bp = Blueprint(__name__)
NEW_PRODUCTS = QUEUES["new_products"]


@bp.on_sqs_message(queue=NEW_PRODUCTS.name, batch_size=NEW_PRODUCTS.batch_size)
def new_products_consumer(event: Any) -> dict[str, Any]:
    """Gather each message's listings into windows, or close a due window."""
    return process_batch(event, lambda body: new_products.handle_message(parse_new_products_message(body)))


@bp.schedule(Rate(1, unit=Rate.MINUTES), name="close_listing_windows")
def close_listing_windows(event: Any) -> dict[str, int]:
    """Send a close for every listing window that has ended, even if no more listings come."""
    return new_products.close_due_windows()
