"""The hot list (精选热榜): ranked by decayed engagement on a fixed clock, stored, served per category."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from chalice.app import Rate, ScheduledEventConfig

from app import app
from chalicelib.domain import clock
from chalicelib.store.accounts import AccountModel
from chalicelib.store.posts import PostModel
from local.workers import fire_schedule
from tests.flows import new_account, nine_grid, publish

NOW = datetime(2024, 6, 10, 20, 0, tzinfo=clock.SHANGHAI)


def at(moment: datetime) -> None:
    clock.set_now(lambda: moment)


def shop(api, owner: str, category: str, tier: str = "W2", preferred: bool = False) -> str:
    account_id = new_account(api, owner, category=category)["account_id"]
    AccountModel(account_id).update(actions=[AccountModel.tier.set(tier)])
    if preferred:
        assert api.as_user("ops", ["operator"]).put(f"/accounts/{account_id}/labels/preferred_store").status == 200
    return account_id


def published(api, run_workers, owner: str, account_id: str, hours_ago: float, likes: int, text: str) -> str:
    at(NOW - timedelta(hours=hours_ago))
    post_id = publish(api, owner, account_id, nine_grid(text))["post_id"]
    run_workers()
    # Engagement counters are set directly: how they move is tested in test_engagement.py.
    PostModel(post_id).update(actions=[PostModel.likes.set(likes)])
    return post_id


def hot(api, query: str = "") -> list[str]:
    response = api.as_user("reader").get(f"/hot{query}")
    assert response.status == 200, response
    return [item["post_id"] for item in response.json["items"]]


def rebuild() -> None:
    fire_schedule(app, "hot_list")


@pytest.fixture
def ranked_world(api, run_workers) -> dict[str, str]:
    """Posts whose scores at NOW (likes weigh 4, half-life 24 h, +20% preferred) are, best first:
    b1 19.43, c1 18.65 (15.54 without the +20%), a1 16.82, a2 11.33; the rest may not enter."""
    fashion_w3 = shop(api, "ma", "服饰", "W3")
    fashion_w2 = shop(api, "mb", "服饰", "W2")
    digital_preferred = shop(api, "mc", "数码", "W2", preferred=True)
    digital_w1 = shop(api, "md", "数码", "W1")
    later_h1 = shop(api, "me", "服饰", "W4")
    posts = {
        "old": published(api, run_workers, "ma", fashion_w3, 80, 50, "三天前的爆款"),
        "a1": published(api, run_workers, "ma", fashion_w3, 30, 10, "昨天的连衣裙上新"),
        "a2": published(api, run_workers, "ma", fashion_w3, 2, 3, "今晚的针织衫"),
        "b1": published(api, run_workers, "mb", fashion_w2, 1, 5, "夏季T恤清单"),
        "quiet": published(api, run_workers, "mb", fashion_w2, 1, 0, "没人看的新品"),
        "removed": published(api, run_workers, "mb", fashion_w2, 1, 30, "已下架的活动"),
        "c1": published(api, run_workers, "mc", digital_preferred, 1, 4, "新款耳机开箱"),
        "w1": published(api, run_workers, "md", digital_w1, 1, 20, "新店的充电宝"),
        "h1": published(api, run_workers, "me", later_h1, 1, 20, "被关小黑屋前的帖子"),
    }
    at(NOW)
    assert api.as_user("mb").delete(f"/posts/{posts['removed']}").status == 204
    AccountModel(later_h1).update(actions=[AccountModel.tier.set("H1")])
    run_workers()
    return posts


def test_posts_rank_by_decayed_weighted_engagement_with_exclusions(api, ranked_world) -> None:
    posts = ranked_world
    # When the scheduled job runs at the fixed time
    at(NOW)
    rebuild()
    # Then the newer post outranks an older one with more likes, the preferred store's
    # +20% lifts it over a1, and W1, H1, removed, quiet and out-of-window posts are absent
    assert hot(api) == [posts["b1"], posts["c1"], posts["a1"], posts["a2"]]
    page = api.as_user("reader").get("/hot").json
    assert [item["rank"] for item in page["items"]] == [1, 2, 3, 4]
    assert [round(item["score"], 2) for item in page["items"]] == [19.43, 18.65, 16.82, 11.33]
    assert page["items"][1]["display_name"] and page["items"][1]["category"] == "数码"
    # And each category has its own list
    assert hot(api, "?category=服饰") == [posts["b1"], posts["a1"], posts["a2"]]
    assert hot(api, "?category=数码") == [posts["c1"]]
    assert hot(api, "?category=美妆") == []


def test_the_list_is_served_from_storage_and_pages(api, ranked_world) -> None:
    posts = ranked_world
    at(NOW)
    rebuild()
    # When a2 becomes the most liked post after the run
    PostModel(posts["a2"]).update(actions=[PostModel.likes.set(100)])
    # Then the list does not change until the next run
    assert hot(api)[0] == posts["b1"]
    rebuild()
    assert hot(api)[0] == posts["a2"]
    # And a post taken down after the run leaves the list at once
    assert api.as_user("mb").delete(f"/posts/{posts['b1']}").status == 204
    assert posts["b1"] not in hot(api)
    # And the list pages with a cursor
    first = api.as_user("reader").get("/hot?limit=2").json
    rest = api.as_user("reader").get(f"/hot?limit=2&cursor={first['next_cursor']}").json
    assert [i["rank"] for i in first["items"] + rest["items"]] == [1, 3, 4]
    assert api.as_user("reader").get("/hot?cursor=nope").status == 400


def test_the_hot_list_job_runs_every_ten_minutes() -> None:
    schedules = {s.name: s.schedule_expression for s in app.event_sources if isinstance(s, ScheduledEventConfig)}
    rate = schedules["hot_list"]
    assert isinstance(rate, Rate) and (rate.value, rate.unit) == (10, Rate.MINUTES)


def test_an_empty_hot_list_before_the_first_run(api) -> None:
    page = api.as_user("reader").get("/hot").json
    assert page == {"items": [], "category": None, "computed_at": None, "next_cursor": None}
