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
    # Given windows of 1, 3 and 12 new products (the last with 4 titles at hand)
    # When their announcements are written
    one = announcement_text(1, ["羊毛大衣"])
    three = announcement_text(3, ["羊毛大衣", "围巾", "手套"])
    twelve = announcement_text(12, ["羊毛大衣", "围巾", "手套", "皮靴"])

    # Then each names the count and at most the first three titles, with an ellipsis for the rest
    assert one == "上新 1 件：羊毛大衣"
    assert three == "上新 3 件：羊毛大衣、围巾、手套"
    assert twelve == "上新 12 件：羊毛大衣、围巾、手套…"


def test_gathering_orders_by_listing_time_keeps_each_product_once_and_at_most_nine_images() -> None:
    # Given 12 listings arriving out of order, one product reported twice, two sharing an image
    listings = [listing(n, minutes=12 - n) for n in range(12)]
    listings.append(listing(5, minutes=30, title="重复上报"))
    listings.append(listing(20, minutes=-1, image="https://img.example.com/11.jpg"))

    # When they are gathered into the window's post
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
    # Given 15 listings, several listed in the same minute
    listings = [listing(n, minutes=n % 3) for n in range(15)]

    # When they are gathered as the store returned them and in reverse
    as_returned, reversed_ = gather(listings), gather(list(reversed(listings)))

    # Then the window's post is the same
    assert as_returned == reversed_
    # And a window without listings is refused
    with pytest.raises(ValueError):
        gather([])


def test_moderation_reads_every_product_title() -> None:
    # Given a window of 6 products, more than the post's text names
    gathered = gather([listing(n, title=f"标题{n}") for n in range(6)])

    # When the post is read as moderation reads it
    content = PostContent.from_post("p1", "a1", gathered.content())

    # Then moderation sees every title, even those the text leaves out
    assert all(f"标题{n}" in content.all_text for n in range(6))
    assert "标题5" not in gathered.text


def test_events_are_checked_item_by_item() -> None:
    # Given listing events, valid ones and ones with a bad product id or listing time
    def event(**overrides: str) -> dict[str, object]:
        return {"account_id": "a1", "product_id": "sku-1", "title": "大衣", "image": "https://i.example.com/1.jpg",
                "price": 1, "listed_at": "2024-11-11T09:00:00+08:00", **overrides}

    bad_batch = [event(), event(product_id="sku-2\n"), event(listed_at="2024-11-11 09:00"),
                 event(listed_at="2024-12-12T09:00:00+08:00"), event(listed_at="2024-09-01T09:00:00+08:00")]

    # When a valid batch is checked
    checked = check_events([event(), event(product_id="sku-2")], NOW)

    # Then its listings come back in order
    assert [item.product_id for item in checked] == ["sku-1", "sku-2"]
    # And when a batch with bad events is checked, Then each bad field is named by its event's index
    with pytest.raises(InvalidInput) as refused:
        check_events(bad_batch, NOW)
    assert [d["pointer"] for d in refused.value.details] == [
        "/events/1/product_id", "/events/2/listed_at", "/events/3/listed_at", "/events/4/listed_at"]


def test_events_travel_in_chunky_messages_in_order() -> None:
    # Given one event more than two messages hold
    events = list(range(2 * EVENTS_PER_MESSAGE + 1))

    # When they are cut into messages
    chunks = message_chunks(events)

    # Then two full messages and one with the last event carry them all, in order
    assert [len(c) for c in chunks] == [EVENTS_PER_MESSAGE, EVENTS_PER_MESSAGE, 1]
    assert [n for chunk in chunks for n in chunk] == list(range(2 * EVENTS_PER_MESSAGE + 1))


def test_a_windows_post_id_is_the_same_on_every_try_and_sorts_by_time() -> None:
    # Given a window w1 closing at NOW, another window at NOW, and one a millisecond later
    # When their post ids are derived (w1's twice)
    first, again = derived_id(NOW, "w1"), derived_id(NOW, "w1")
    other, same_time = derived_id(NOW, "w2"), derived_id(NOW, "w9")
    a_ms_later = derived_id(NOW + timedelta(milliseconds=1), "w1")

    # Then a retry gets the same id, another window its own, and ids sort by time first; each is 26 characters
    assert first == again
    assert first != other
    assert same_time < a_ms_later
    assert len(first) == 26
