"""Auto 上新 rules without AWS: checking events, gathering a window, the post's text, its id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.ids import derived_id
from chalicelib.domain.moderation.chain import PostContent
from chalicelib.domain.new_products import (
    EVENTS_PER_MESSAGE,
    Listing,
    announcement_text,
    check_events,
    gather,
    message_chunks,
)

NOW = datetime(2024, 11, 11, 2, 0, tzinfo=UTC)


def listing(n: int, title: str | None = None, minutes: int = 0, image: str | None = None) -> Listing:
    return Listing(account_id="a1", product_id=f"sku-{n:02d}", title=title or f"商品{n}",
                   image=image or f"https://img.example.com/{n}.jpg", price=99.0,
                   listed_at=NOW + timedelta(minutes=minutes))


def test_the_text_names_the_count_and_the_first_three_titles() -> None:
    assert announcement_text(1, ["羊毛大衣"]) == "上新 1 件：羊毛大衣"
    assert announcement_text(3, ["羊毛大衣", "围巾", "手套"]) == "上新 3 件：羊毛大衣、围巾、手套"
    assert announcement_text(12, ["羊毛大衣", "围巾", "手套", "皮靴"]) == "上新 12 件：羊毛大衣、围巾、手套…"


def test_gathering_orders_by_listing_time_keeps_each_product_once_and_at_most_nine_images() -> None:
    # Given 12 listings arriving out of order, one product reported twice, two sharing an image
    listings = [listing(n, minutes=12 - n) for n in range(12)]
    listings.append(listing(5, minutes=30, title="重复上报"))
    listings.append(listing(20, minutes=-1, image="https://img.example.com/11.jpg"))

    gathered = gather(listings)

    # Then products follow listing time, each once with its first report, images are unique and ≤ 9
    expected = ["sku-20", *[f"sku-{n:02d}" for n in reversed(range(12))]]
    assert gathered.products == expected
    assert gathered.titles[0] == "商品20" and "重复上报" not in gathered.titles
    assert gathered.images == [f"https://img.example.com/{n}.jpg" for n in (11, 10, 9, 8, 7, 6, 5, 4, 3)]
    assert gathered.text == "上新 13 件：商品20、商品11、商品10…"
    content = gathered.content()
    assert (content["type"], content["format"]) == ("new_product", "nine_grid")


def test_gathering_does_not_depend_on_the_order_the_store_returns_listings() -> None:
    listings = [listing(n, minutes=n % 3) for n in range(15)]
    assert gather(listings) == gather(list(reversed(listings)))
    with pytest.raises(ValueError):
        gather([])


def test_moderation_reads_every_product_title() -> None:
    gathered = gather([listing(n, title=f"标题{n}") for n in range(6)])
    content = PostContent.from_post("p1", "a1", gathered.content())
    assert all(f"标题{n}" in content.all_text for n in range(6))
    assert "标题5" not in gathered.text


def test_events_are_checked_item_by_item() -> None:
    def event(**overrides: str) -> dict[str, object]:
        return {"account_id": "a1", "product_id": "sku-1", "title": "大衣", "image": "https://i.example.com/1.jpg",
                "price": 1, "listed_at": "2024-11-11T09:00:00+08:00", **overrides}

    assert [item.product_id for item in check_events([event(), event(product_id="sku-2")], NOW)] == ["sku-1", "sku-2"]
    with pytest.raises(InvalidInput) as refused:
        check_events([event(), event(product_id="sku-2\n"), event(listed_at="2024-11-11 09:00"),
                      event(listed_at="2024-12-12T09:00:00+08:00"), event(listed_at="2024-09-01T09:00:00+08:00")],
                     NOW)
    assert [d["pointer"] for d in refused.value.details] == [
        "/events/1/product_id", "/events/2/listed_at", "/events/3/listed_at", "/events/4/listed_at"]


def test_events_travel_in_chunky_messages_in_order() -> None:
    chunks = message_chunks(list(range(2 * EVENTS_PER_MESSAGE + 1)))
    assert [len(c) for c in chunks] == [EVENTS_PER_MESSAGE, EVENTS_PER_MESSAGE, 1]
    assert [n for chunk in chunks for n in chunk] == list(range(2 * EVENTS_PER_MESSAGE + 1))


def test_a_windows_post_id_is_the_same_on_every_try_and_sorts_by_time() -> None:
    assert derived_id(NOW, "w1") == derived_id(NOW, "w1")
    assert derived_id(NOW, "w1") != derived_id(NOW, "w2")
    assert derived_id(NOW, "w9") < derived_id(NOW + timedelta(milliseconds=1), "w1")
    assert len(derived_id(NOW, "w1")) == 26
