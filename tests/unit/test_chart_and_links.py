"""The stats chart is well-formed SVG; signed chart links hold only for their account and time."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from chalicelib.domain.chart import render_stats_chart
from chalicelib.domain.signed_links import link_is_valid, link_signature

SVG = "{http://www.w3.org/2000/svg}"


def test_the_chart_draws_each_series_and_escapes_the_title() -> None:
    # Given 30 days of stats, impressions peaking at 300, and a title with markup characters
    rows = [{"day": f"2024-05-{d:02d}", "impressions": d * 10, "reads": d, "likes": 2, "comments": 1, "votes": 0,
             "new_followers": 3, "lost_followers": 1 if d % 2 else 0} for d in range(1, 31)]

    # When the chart is drawn
    svg = ElementTree.fromstring(render_stats_chart(rows, "<店铺> & 数据"))

    # Then it is well-formed SVG with the title as text, the series' labels, the days and two lines
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "<店铺> & 数据" in texts and "曝光" in texts and "05-30" in texts
    assert len(list(svg.iter(f"{SVG}polyline"))) == 2
    # And the axis tops out at the 1-2-5 step above the peak of 300
    assert "500" in texts


def test_an_empty_chart_says_so() -> None:
    # Given no stats
    # When the chart is drawn
    svg = ElementTree.fromstring(render_stats_chart([], "空"))

    # Then it says there is no data yet
    assert "暂无数据" in [t.text for t in svg.iter(f"{SVG}text")]


def test_a_signed_link_is_valid_only_unchanged_and_until_it_expires() -> None:
    # Given a chart link for acct-1 signed with "secret", expiring at 2,000
    signature = link_signature("secret", "stats-chart", "acct-1", 2_000)

    # When it is checked before it expires / Then it is valid
    assert link_is_valid("secret", "stats-chart", "acct-1", "2000", signature, now_epoch=1_999)

    # And when it is checked at its expiry, for another account, with another expiry, with another or no secret,
    # or with a negative expiry, Then it is not
    assert not link_is_valid("secret", "stats-chart", "acct-1", "2000", signature, now_epoch=2_000)
    assert not link_is_valid("secret", "stats-chart", "acct-2", "2000", signature, now_epoch=1_000)
    assert not link_is_valid("secret", "stats-chart", "acct-1", "2001", signature, now_epoch=1_000)
    assert not link_is_valid("other", "stats-chart", "acct-1", "2000", signature, now_epoch=1_000)
    assert not link_is_valid("", "stats-chart", "acct-1", "2000", signature, now_epoch=1_000)
    assert not link_is_valid("secret", "stats-chart", "acct-1", "-5", signature, now_epoch=1_000)
