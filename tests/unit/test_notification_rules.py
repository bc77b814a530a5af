"""Notification rules without AWS: events, windows, recent actors, order and read, texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import notifications as rules
from chalicelib.domain.notifications import NotificationEvent

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_grouped_events_need_an_actor_and_their_target() -> None:
    # Given events missing what they need: a like without an actor or a post, an unknown type, a hot without owner
    at = T0.isoformat()

    # When each is made / Then it is refused naming what is wrong
    with pytest.raises(ValueError, match="actor"):
        NotificationEvent("like", "k", at, account_id="a1", post_id="p1")
    with pytest.raises(ValueError, match="post_id"):
        NotificationEvent("like", "k", at, account_id="a1", actor="u1")
    with pytest.raises(ValueError, match="unknown"):
        NotificationEvent("poke", "k", at, account_id="a1")
    with pytest.raises(ValueError, match="owner"):
        NotificationEvent("hot", "k", at)


def test_an_event_survives_its_message_and_groups_by_its_target() -> None:
    # Given a like of post p1 and a follow of account a1
    like = NotificationEvent("like", "like#p1#u1", T0.isoformat(), account_id="a1", post_id="p1", actor="u1")
    follow = NotificationEvent("follow", "f", T0.isoformat(), account_id="a1", actor="u1")

    # When the like travels as a message (with a field it does not know), and both are grouped
    received = NotificationEvent.from_json({**like.to_json(), "extra": 1})
    like_group, follow_group = rules.group_key("owner", like), rules.group_key("owner", follow)

    # Then the like arrives unchanged, and each groups by its own target: the post, the account
    assert received == like
    assert like_group == "owner#like#p1"
    assert follow_group == "owner#follow#a1"


def test_the_window_runs_twelve_hours_from_the_first_event() -> None:
    # Given a group whose first event was at T0
    first = T0

    # When events at T0, a minute before 12 hours, at 12 hours and a second before T0 arrive
    at_start = rules.in_window(first, T0)
    last_minute = rules.in_window(first, T0 + timedelta(hours=11, minutes=59))
    at_twelve_hours = rules.in_window(first, T0 + timedelta(hours=12))
    before_start = rules.in_window(first, T0 - timedelta(seconds=1))

    # Then only those within the 12 hours from T0 join the group
    assert at_start and last_minute
    assert not at_twelve_hours
    assert not before_start


def test_recent_actors_are_most_recent_first_distinct_and_at_most_eight() -> None:
    # Given a group's recent actors, and new actors, one of them already listed, and a full list of eight
    eight = [f"u{i}" for i in range(8)]

    # When the new actors are merged in
    two_new = rules.merge_actors(["c", "b", "a"], ["e", "d"])
    again = rules.merge_actors(["b", "a"], ["a"])
    ninth = rules.merge_actors(eight, ["new"])

    # Then the newest come first, an actor moves up (never listed twice), and the oldest drops past eight
    assert two_new == ["e", "d", "c", "b", "a"]
    assert again == ["a", "b"]
    assert ninth == ["new", *[f"u{i}" for i in range(7)]]


def test_ids_derive_from_the_event_so_duplicates_land_on_one_notification() -> None:
    # Given one comment event for u1 delivered twice, the same event for u2, and a group started 12 hours apart
    # When their ids are derived
    first, duplicate, other_user = (rules.single_id("u1", "comment#c1"), rules.single_id("u1", "comment#c1"),
                                    rules.single_id("u2", "comment#c1"))
    group, next_group = rules.group_id("g", T0), rules.group_id("g", T0 + timedelta(hours=12))

    # Then the duplicate lands on the same notification, and another user or window gets its own
    assert first == duplicate
    assert first != other_user
    assert group != next_group


def test_read_is_order_at_or_before_the_marker() -> None:
    # Given a notification at T0 and one a millisecond later (with an id that sorts first)
    first, later = rules.order_key(T0, "n1"), rules.order_key(T0 + timedelta(milliseconds=1), "n0")

    # When they are checked against a read marker at the first, against no marker, and against "all read" at T0
    first_read, later_read = rules.is_read(first, first), rules.is_read(later, first)
    unmarked = rules.is_read(first, None)
    all_read_at_t0 = rules.is_read(first, rules.order_key(T0, "~"))

    # Then time orders them whatever their ids, and a notification is read when it orders at or before the marker
    assert first < later
    assert first_read and not later_read and not unmarked
    assert all_read_at_t0  # "all read" at T0 covers every id of that ms


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
    # Given a notification of a type, with its count and data, for the account 小米官方旗舰店
    # When its text is made
    text = rules.text_for(type_, count, data, "小米官方旗舰店")

    # Then it is the Chinese text of that type
    assert text == expected


def test_every_type_has_text() -> None:
    # Given every notification type, with no data and no account name
    for type_ in rules.TYPES:
        # When its text is made
        text = rules.text_for(type_, 1, {}, None)

        # Then it is not empty
        assert text
