"""Notification rules without AWS: events, windows, recent actors, order and read, texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import notifications as rules
from chalicelib.domain.notifications import NotificationEvent

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_grouped_events_need_an_actor_and_their_target() -> None:
    with pytest.raises(ValueError, match="actor"):
        NotificationEvent("like", "k", T0.isoformat(), account_id="a1", post_id="p1")
    with pytest.raises(ValueError, match="post_id"):
        NotificationEvent("like", "k", T0.isoformat(), account_id="a1", actor="u1")
    with pytest.raises(ValueError, match="unknown"):
        NotificationEvent("poke", "k", T0.isoformat(), account_id="a1")
    with pytest.raises(ValueError, match="owner"):
        NotificationEvent("hot", "k", T0.isoformat())


def test_an_event_survives_its_message_and_groups_by_its_target() -> None:
    like = NotificationEvent("like", "like#p1#u1", T0.isoformat(), account_id="a1", post_id="p1", actor="u1")
    assert NotificationEvent.from_json({**like.to_json(), "extra": 1}) == like
    follow = NotificationEvent("follow", "f", T0.isoformat(), account_id="a1", actor="u1")
    assert rules.group_key("owner", like) == "owner#like#p1"
    assert rules.group_key("owner", follow) == "owner#follow#a1"


def test_the_window_runs_twelve_hours_from_the_first_event() -> None:
    assert rules.in_window(T0, T0) and rules.in_window(T0, T0 + timedelta(hours=11, minutes=59))
    assert not rules.in_window(T0, T0 + timedelta(hours=12))
    assert not rules.in_window(T0, T0 - timedelta(seconds=1))


def test_recent_actors_are_most_recent_first_distinct_and_at_most_eight() -> None:
    assert rules.merge_actors(["c", "b", "a"], ["e", "d"]) == ["e", "d", "c", "b", "a"]
    assert rules.merge_actors(["b", "a"], ["a"]) == ["a", "b"]  # an actor moves up, never twice
    assert rules.merge_actors([f"u{i}" for i in range(8)], ["new"]) == ["new", *[f"u{i}" for i in range(7)]]


def test_ids_derive_from_the_event_so_duplicates_land_on_one_notification() -> None:
    assert rules.single_id("u1", "comment#c1") == rules.single_id("u1", "comment#c1")
    assert rules.single_id("u1", "comment#c1") != rules.single_id("u2", "comment#c1")
    assert rules.group_id("g", T0) != rules.group_id("g", T0 + timedelta(hours=12))


def test_read_is_order_at_or_before_the_marker() -> None:
    first, later = rules.order_key(T0, "n1"), rules.order_key(T0 + timedelta(milliseconds=1), "n0")
    assert first < later
    assert rules.is_read(first, first) and not rules.is_read(later, first) and not rules.is_read(first, None)
    assert rules.is_read(first, rules.order_key(T0, "~"))  # "all read" at T0 covers every id of that ms


@pytest.mark.parametrize(("type_", "count", "data", "expected"), [
    ("like", 3, {}, "3 人赞了你的内容"),
    ("follow", 2, {}, "2 人关注了 小米官方旗舰店"),
    ("vote", 5, {}, "5 人参与了你的投票"),
    ("moderation", 1, {"status": "rejected", "reason": "含导流信息"}, "小米官方旗舰店 的内容未通过审核：含导流信息"),
    ("moderation", 1, {"status": "held"}, "小米官方旗舰店 的内容需要人工复审"),
    ("moderation", 1, {"status": "approved"}, "小米官方旗舰店 的内容已通过复审并发布"),
    ("penalty", 1, {"kind": "h1", "reason": "3 次违规"}, "小米官方旗舰店 已被移入小黑屋（H1）：3 次违规"),
    ("grade", 1, {"kind": "monthly", "old_tier": "W1", "tier": "W2"}, "小米官方旗舰店 的等级由 W1 调整为 W2"),
    ("hot", 1, {}, "小米官方旗舰店 的内容进入了精选热榜"),
    ("contest_win", 1, {"floor": 88}, "恭喜！你在盖楼活动中抢到了第 88 楼"),
    ("buyer_show", 1, {"status": "featured"}, "你的买家秀被 小米官方旗舰店 精选了"),
    ("comment", 1, {"floor": 2, "text": "想要同款"}, "有人评论了你的内容（2 楼）：想要同款"),
])
def test_every_type_has_a_chinese_text(type_: str, count: int, data: dict, expected: str) -> None:
    assert rules.text_for(type_, count, data, "小米官方旗舰店") == expected


def test_every_type_has_text() -> None:
    for type_ in rules.TYPES:
        assert rules.text_for(type_, 1, {}, None)
