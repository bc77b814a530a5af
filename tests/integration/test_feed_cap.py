"""Paging the feed to its end serves at most the newest ``inbox_max_entries``, whatever the sampled trim left."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.posts import feed_key
from chalicelib.store import inbox
from chalicelib.store.batch import batch_write
from chalicelib.store.posts import PostModel
from tests.flows import follow_all, new_account

CAP = 30


def test_the_feed_pages_to_at_most_the_newest_cap_entries(api, monkeypatch) -> None:
    # Given a follower whose inbox holds more entries than the cap (trimming is sampled, so this happens)
    monkeypatch.setattr(settings, "inbox_max_entries", CAP)
    account_id = new_account(api, "owner")["account_id"]
    follow_all(api, account_id, ["reader"])
    now = clock.now()
    posts = []
    for i in range(CAP + 15):
        at = now - timedelta(minutes=i)
        post_id = f"01CAP{i:05d}"
        posts.append(PostModel(post_id, account_id=account_id, author_id="owner", type="article",
                               format="long_article", section="all", status="published",
                               content={"type": "article", "format": "long_article", "title": "t", "text": "x"},
                               created_at=at, published_at=at, feed_key=feed_key(at, post_id)))
    batch_write(PostModel, posts)
    inbox.write_entries([inbox.inbox_entry("reader", p.feed_key, p.post_id, account_id, "all") for p in posts])

    # When the follower pages the feed to its end
    seen: list[str] = []
    cursor = None
    for _ in range(20):
        page = api.as_user("reader").get("/me/feed?limit=7" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [item["post_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    # Then it got exactly the newest CAP entries, newest first, and the pages ended
    assert cursor is None
    assert seen == [p.post_id for p in posts[:CAP]]
