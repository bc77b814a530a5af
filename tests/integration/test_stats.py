"""Owner stats: completed days (N+1), today's running counters, the fans' best hour, the SVG chart."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from datetime import datetime, timedelta

from chalicelib.auth import issue_dev_token
from chalicelib.domain import clock
from tests.flows import article, follow_all, new_account, publish

DAY_ONE = datetime(2024, 5, 1, 21, 30, tzinfo=clock.SHANGHAI)


def at(moment: datetime) -> None:
    clock.set_now(lambda: moment)


def raw_get(api, path: str, user: str | None = None):
    headers = {"Authorization": f"Bearer {issue_dev_token(user)}"} if user else {}
    return api.client.http.get(path, headers=headers)


def given_three_days_of_activity(api, run_workers) -> str:
    """Day 1 21:30: a follow, a post, a read. Day 2 09:05: a read; 21:10: a follow, a read, a feed page.
    Day 3 ("today") 09:00: a read."""
    at(DAY_ONE)
    account = new_account(api, "m1", display_name="小米官方旗舰店")
    account_id = account["account_id"]
    follow_all(api, account_id, ["f1"])
    post_id = publish(api, "m1", account_id, article("小米14 新色上市"))["post_id"]
    run_workers()
    api.as_user("f1").get(f"/posts/{post_id}")
    at(datetime(2024, 5, 2, 9, 5, tzinfo=clock.SHANGHAI))
    api.as_user("f1").get(f"/posts/{post_id}")
    at(datetime(2024, 5, 2, 21, 10, tzinfo=clock.SHANGHAI))
    follow_all(api, account_id, ["f2"])
    api.as_user("f1").get(f"/posts/{post_id}")
    api.as_user("f1").get("/me/feed")
    at(datetime(2024, 5, 3, 9, 0, tzinfo=clock.SHANGHAI))
    api.as_user("f1").get(f"/posts/{post_id}")
    run_workers()
    return account_id


def test_stats_show_completed_days_today_so_far_and_the_best_hour(api, run_workers) -> None:
    # Given three days of activity, "today" being the third
    account_id = given_three_days_of_activity(api, run_workers)
    # When the owner asks from the first day
    stats = api.as_user("m1").get(f"/accounts/{account_id}/stats?from=2024-05-01")
    # Then the rows are the completed days only, each with its counters
    assert stats.status == 200
    body = stats.json
    assert [row["day"] for row in body["days"]] == ["2024-05-01", "2024-05-02"]
    first, second = body["days"]
    assert (first["new_followers"], first["posts"], first["reads"], first["impressions"]) == (1, 1, 1, 0)
    assert (second["new_followers"], second["reads"], second["impressions"]) == (1, 2, 1)
    # And today's running counters come apart
    assert (body["today"]["day"], body["today"]["reads"]) == ("2024-05-03", 1)
    # And over those days the fans were most active at 21:00 (on both days) rather than
    # 09:00 (once; today's 09:00 read is not a completed day)
    histogram = body["active_hours"]["histogram"]
    assert len(histogram) == 24 and (histogram[21], histogram[9]) == (3, 1) and sum(histogram) == 4
    assert body["active_hours"]["best_hour"] == 21
    # And asking up to today still stops at yesterday (N+1)
    clamped = api.as_user("m1").get(f"/accounts/{account_id}/stats?from=2024-05-02&to=2024-05-03").json
    assert [row["day"] for row in clamped["days"]] == ["2024-05-02"]
    # And by default the last 30 completed days are listed, zeros where nothing happened
    default = api.as_user("m1").get(f"/accounts/{account_id}/stats").json
    assert len(default["days"]) == 30 and default["days"][-1]["day"] == "2024-05-02"
    assert default["days"][0] == {"day": "2024-04-03", **{k: 0 for k in first if k != "day"}}


def test_stats_are_the_owners_and_refuse_bad_ranges(api) -> None:
    account_id = new_account(api, "m1")["account_id"]
    owner = api.as_user("m1")
    assert api.as_user("stranger").get(f"/accounts/{account_id}/stats").status == 404
    assert api.as_user("m1").get("/accounts/NOPE/stats").status == 404
    for query, pointer in (("from=2024-13-01", "/from"), ("to=yesterday", "/to"), ("from=2024-5-1", "/from"),
                           ("from=2024-05-10&to=2024-05-01", "/from"), ("from=2023-01-01&to=2024-01-01", "/from")):
        refused = owner.get(f"/accounts/{account_id}/stats?{query}")
        assert refused.status == 400, query
        assert refused.json["error"]["details"][0]["pointer"] == pointer, query


def test_the_chart_opens_for_the_owner_and_through_its_signed_link(api, run_workers) -> None:
    # Given an account with activity
    account_id = given_three_days_of_activity(api, run_workers)
    # When the owner fetches the chart with their token
    chart = raw_get(api, f"/accounts/{account_id}/stats.svg", "m1")
    # Then it is an SVG document titled with the account's name and its 30 days
    assert chart.status_code == 200 and chart.headers["Content-Type"].startswith("image/svg+xml")
    svg = ElementTree.fromstring(chart.body)
    assert svg.tag.endswith("svg")
    assert "小米官方旗舰店 · 近30天数据（2024-04-03 至 2024-05-02）" in chart.body.decode()
    # And the chart_url of the stats opens it with no token at all (a browser's address bar)
    link = api.as_user("m1").get(f"/accounts/{account_id}/stats").json["chart_url"]
    assert link.startswith(f"/accounts/{account_id}/stats.svg?")
    assert raw_get(api, link).status_code == 200
    # But not tampered with, for another account, or after it expired
    assert raw_get(api, link[:-4] + "0000").status_code == 401
    other = new_account(api, "m2")["account_id"]
    assert raw_get(api, link.replace(account_id, other)).status_code == 401
    at(clock.now() + timedelta(hours=2))
    assert raw_get(api, link).status_code == 401
    # And without a link, only the owner's token opens it
    assert raw_get(api, f"/accounts/{account_id}/stats.svg").status_code == 401
    assert raw_get(api, f"/accounts/{account_id}/stats.svg", "stranger").status_code == 404
