"""Listing events from the shop platform (auto 上新)."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib.api.http import Call, Reply, endpoint
from chalicelib.services import new_products

bp = Blueprint(__name__)


@endpoint(bp, "/ops/products", "POST", "Report new listings for auto 上新 (operator)",
          request_schema="product_events", statuses=(202,), response="listings_accepted")
def report_listings(call: Call) -> Reply:
    return Reply(new_products.accept_events(call.principal, call.json()), 202)
