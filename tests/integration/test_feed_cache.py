"""The feed's per-container caches (store/read_cache.py) never show what must not show.

Pages are read first so every cache is warm, then the change is made and the next
read (well within the TTL) must reflect it.
"""

from __future__ import annotations

from typing import Any

from chalicelib.services import background
from chalicelib.store import read_cache
from local.store_calls import StoreCallCounter
from tests.flows import article, feed_ids, follow_all, new_account, nine_grid, publish
from tests.integration.test_hybrid_fanout import given_thresholds
from tests.unit.test_read_cache import Clock


def a_fan_of_a_pushed_and_a_pulled_account(api: Any, run_workers: Any, monkeypatch: Any
                                          ) -> tuple[dict[str, Any], dict[str, Any]]:
    given_thresholds(monkeypatch, pull_above=2, push_below=1)
    small, huge = new_account(api, "m1"), new_account(api, "m2")
    follow_all(api, small["account_id"], ["fan"])
    follow_all(api, huge["account_id"], ["fan", "x1", "x2"])
    run_workers()
    return small, huge


def test_a_taken_down_post_never_shows_even_from_a_stale_cache(api, run_workers, monkeypatch) -> None:
    small, huge = a_fan_of_a_pushed_and_a_pulled_account(api, run_workers, monkeypatch)
    pushed = publish(api, "m1", small["account_id"], nine_grid())["post_id"]
    pulled = publish(api, "m2", huge["account_id"], article())["post_id"]
    run_workers()
    assert set(feed_ids(api, "fan")) == {pushed, pulled}  # caches warm
    stale_list = read_cache.RECENT_POSTS.get((huge["account_id"], "all"))
    assert stale_list and [p.post_id for p in stale_list] == [pulled]
    # When both posts are taken down (their retraction still queued)
    for owner, post_id in (("m1", pushed), ("m2", pulled)):
        assert api.as_user(owner).delete(f"/posts/{post_id}").status in (200, 204)
    # Then neither shows (the status change dropped the cached posts), even with the old
    # list of the account's recent posts still cached
    assert feed_ids(api, "fan") == []
    read_cache.RECENT_POSTS.put((huge["account_id"], "all"), stale_list)
    assert feed_ids(api, "fan") == [] and feed_ids(api, "x1") == []


def test_an_unfollowed_account_never_shows_and_a_new_post_shows_at_once(api, run_workers, monkeypatch) -> None:
    small, huge = a_fan_of_a_pushed_and_a_pulled_account(api, run_workers, monkeypatch)
    first = publish(api, "m2", huge["account_id"], nine_grid())["post_id"]
    pushed = publish(api, "m1", small["account_id"], nine_grid())["post_id"]
    run_workers()
    assert set(feed_ids(api, "fan")) == {first, pushed}
    # A new post of the pulled account shows on the next read (the cached list is dropped)
    second = publish(api, "m2", huge["account_id"], article())["post_id"]
    run_workers()
    assert feed_ids(api, "fan")[:1] == [second]
    # When the fan unfollows both accounts with every cache warm
    for account in (small, huge):
        assert api.as_user("fan").delete(f"/me/following/{account['account_id']}").status == 204
    # Then none of their posts shows; another follower still sees the pulled ones
    assert feed_ids(api, "fan") == []
    assert feed_ids(api, "x1") == [second, first]


def test_a_warm_page_reads_only_the_inbox(api, run_workers, monkeypatch) -> None:
    small, huge = a_fan_of_a_pushed_and_a_pulled_account(api, run_workers, monkeypatch)
    for n in range(3):
        publish(api, "m1", small["account_id"], nine_grid(f"第{n}条"))
        publish(api, "m2", huge["account_id"], nine_grid(f"第{n}弹"))
    run_workers()
    cold, warm = StoreCallCounter().attach(), StoreCallCounter().attach()
    try:
        with cold.counting():
            assert len(feed_ids(api, "fan")) == 6
        with warm.counting():
            assert len(feed_ids(api, "fan")) == 6
    finally:
        cold.detach()
        warm.detach()
    # Cold: inbox, pull windows, the pulled account's posts; posts, follows, accounts
    assert dict(cold.calls) == {"Query": 3, "BatchGetItem": 3}
    # Warm: the inbox alone (posts, follows, windows, accounts and the pulled list are cached)
    assert dict(warm.calls) == {"Query": 1}


def test_aging_pull_windows_and_recent_posts_are_renewed_in_the_background(api, run_workers, monkeypatch) -> None:
    small, huge = a_fan_of_a_pushed_and_a_pulled_account(api, run_workers, monkeypatch)
    publish(api, "m1", small["account_id"], nine_grid())
    publish(api, "m2", huge["account_id"], nine_grid())
    run_workers()
    clock = Clock()
    put_at = clock.now
    for cache in (read_cache.PULL_WINDOWS, read_cache.RECENT_POSTS):
        monkeypatch.setattr(cache, "clock", clock)
    assert len(feed_ids(api, "fan")) == 2  # both caches warm, put at put_at
    # Given the fan's windows and the pulled list past half their TTL
    ttl = read_cache.PULL_WINDOWS.ttl()
    clock.now = put_at + ttl * 0.6
    counter = StoreCallCounter().attach()
    try:
        with counter.counting():
            # When the fan reads a page (and the background work it started ends)
            assert len(feed_ids(api, "fan")) == 2
            background.flush()
    finally:
        counter.detach()
    # Then the page was served from them and both were re-read behind it: the inbox,
    # the fan's windows and the account's recent posts, one Query each
    assert dict(counter.calls) == {"Query": 3}
    # and they are still cached past the TTL of the first put
    clock.now = put_at + ttl * 1.2
    assert read_cache.PULL_WINDOWS.get("fan") is not None
    assert read_cache.RECENT_POSTS.get((huge["account_id"], "all")) is not None
