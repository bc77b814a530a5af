"""The home feed: newest first, sections, cursors, hidden entries, the 1,000-entry cap."""

from __future__ import annotations

from chalicelib.config import settings
from chalicelib.store import inbox
from chalicelib.store.inbox import InboxModel
from tests.flows import article, feed_ids, follow_all, new_account, nine_grid, publish, video_post


def quota(monkeypatch, n: int) -> None:
    from chalicelib.domain.tiers import tier_config

    monkeypatch.setitem(tier_config()["tiers"]["W1"], "daily_quota", n)


def test_feed_is_newest_first_with_sections_and_account_names(api, run_workers, monkeypatch) -> None:
    quota(monkeypatch, 10)
    shop = new_account(api, "m1", display_name="李宁官方")
    follow_all(api, shop["account_id"], ["fan"])
    ids = {}
    for name, body in (("new", nine_grid()), ("video", video_post()), ("article", article())):
        ids[name] = publish(api, "m1", shop["account_id"], body)["post_id"]
        run_workers()  # publication order = creation order
    page = api.as_user("fan").get("/me/feed").json
    assert [p["post_id"] for p in page["items"]] == [ids["article"], ids["video"], ids["new"]]
    assert {(p["handle"], p["display_name"]) for p in page["items"]} == {(shop["handle"], "李宁官方")}
    assert feed_ids(api, "fan", "new") == [ids["new"]]
    assert feed_ids(api, "fan", "video") == [ids["video"]]
    assert api.as_user("fan").get("/me/feed?section=hot").status == 400


def test_cursor_pages_through_the_feed_without_gaps_or_repeats(api, run_workers, monkeypatch) -> None:
    quota(monkeypatch, 10)
    shops = [new_account(api, f"m{i}") for i in range(2)]
    for shop in shops:
        follow_all(api, shop["account_id"], ["fan"])
    posted = []
    for i in range(7):
        shop = shops[i % 2]
        posted.append(publish(api, shop["owner_id"], shop["account_id"], nine_grid(f"第{i}条"))["post_id"])
        run_workers()
    seen, cursor = [], None
    while True:
        path = "/me/feed?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api.as_user("fan").get(path).json
        seen += [p["post_id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(posted))
    assert api.as_user("fan").get("/me/feed?cursor=bm9wZQ").status == 400
    assert api.as_user("fan").get("/me/feed?limit=101").status == 400


def test_removed_posts_and_unfollowed_accounts_never_show(api, run_workers) -> None:
    kept, dropped = new_account(api, "m1"), new_account(api, "m2")
    follow_all(api, kept["account_id"], ["fan"])
    follow_all(api, dropped["account_id"], ["fan"])
    stays = publish(api, "m1", kept["account_id"], nine_grid())["post_id"]
    removed = publish(api, "m1", kept["account_id"], article())["post_id"]
    unfollowed = publish(api, "m2", dropped["account_id"], nine_grid())["post_id"]
    run_workers()
    assert set(feed_ids(api, "fan")) == {stays, removed, unfollowed}
    api.as_user("m1").delete(f"/posts/{removed}")  # the retraction is still queued: the read path hides it
    api.as_user("fan").delete(f"/me/following/{dropped['account_id']}")
    assert feed_ids(api, "fan") == [stays]


def test_nobody_reads_another_users_inbox(api, run_workers) -> None:
    shop = new_account(api, "m1")
    follow_all(api, shop["account_id"], ["fan"])
    publish(api, "m1", shop["account_id"], nine_grid())
    run_workers()
    assert feed_ids(api, "fan") and feed_ids(api, "someone-else") == []


def test_inboxes_keep_the_newest_1000_entries(api, monkeypatch) -> None:
    # Given an inbox holding more entries than the cap
    monkeypatch.setattr(settings, "inbox_max_entries", 30)
    entries = [inbox.inbox_entry("fan", f"{i:013d}#p{i}", f"p{i}", "acc", "other") for i in range(45)]
    inbox.write_entries(entries)
    # When it is trimmed
    assert inbox.trim_inbox("fan", settings.inbox_max_entries) == 15
    # Then the newest 30 remain
    kept = [e.post_id for e in InboxModel.query("fan", scan_index_forward=False)]
    assert kept == [f"p{i}" for i in range(44, 14, -1)]


def test_fan_out_trims_sampled_inboxes(api, run_workers, monkeypatch) -> None:
    monkeypatch.setattr(settings, "inbox_max_entries", 2)
    monkeypatch.setattr(settings, "inbox_trim_sample", 1)  # every write trims
    quota(monkeypatch, 10)
    shop = new_account(api, "m1")
    follow_all(api, shop["account_id"], ["fan"])
    for i in range(4):
        publish(api, "m1", shop["account_id"], nine_grid(f"第{i}条"))
        run_workers()
    assert InboxModel.count("fan") == 2
