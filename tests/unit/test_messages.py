"""Queue messages: each one's JSON matches its schema in schemas/messages/ and parses back to itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.domain.activity import ActivityMessage
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.messages import (
    ClosePushMessage,
    CloseWindowMessage,
    CommerceSignal,
    CountersPushMessage,
    FeedPushMessage,
    GradingShardMessage,
    ListingEvent,
    ListingsMessage,
    ModerationMessage,
    NotificationPushMessage,
    PostFanoutMessage,
    PulledFeedPushMessage,
    ReplayPushMessage,
    RosterFeedPushMessage,
    SignalsMessage,
    SuggestionShardMessage,
    SwitchFanoutMessage,
    parse_fanout_message,
    parse_new_products_message,
    parse_push_message,
)
from chalicelib.domain.new_products import Listing
from chalicelib.domain.notifications import NotificationEvent
from chalicelib.validation import validate

AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))
LISTING = Listing("a1", "sku-1", "羊毛大衣", "https://img.example/1.jpg", 399.0, AT)
LISTING_BODY = {**LISTING.to_json(), "event_id": "b1:0"}
SIGNAL_BODY = {"user_id": "u1", "account_id": "a1", "kind": "purchase", "at": "2024-05-01T20:00:00+08:00"}
BUILT = [
    ("messages/moderation", ModerationMessage("p1"), ModerationMessage.from_json),
    ("messages/fanout", PostFanoutMessage.deliver("p1"), parse_fanout_message),
    ("messages/fanout", PostFanoutMessage.retract("p1", "0001714564800000#p1").next_page({"roster": "k"}),
     parse_fanout_message),
    ("messages/fanout", SwitchFanoutMessage("pull_on", "a1", 3).next_page({"follows": {"k": "v"}}),
     parse_fanout_message),
    ("messages/grading", GradingShardMessage("r1", "map:accounts:0003"), GradingShardMessage.from_json),
    ("messages/activity", ActivityMessage(AT, "u1", {"a1": {"reads": 1}}, {"p1": {"reads": 1}}, message_id="m1"),
     ActivityMessage.from_json),
    ("messages/suggestions", SuggestionShardMessage("2024-05-01", "0007"), SuggestionShardMessage.from_json),
    ("messages/signals", SignalsMessage((CommerceSignal("u1", "a1", "purchase", AT),
                                         CommerceSignal("u2", "a1", "favorite_shop", AT.astimezone(SHANGHAI)))),
     SignalsMessage.from_json),
    ("messages/new_products", ListingsMessage((ListingEvent("b1:0", LISTING),)), parse_new_products_message),
    ("messages/new_products", CloseWindowMessage("w1"), parse_new_products_message),
    ("messages/push", FeedPushMessage("p1", ("u1", "u2")), parse_push_message),
    ("messages/push", RosterFeedPushMessage("p1", ("03#0000005", "03#0000006")), parse_push_message),
    ("messages/push", PulledFeedPushMessage("p1"), parse_push_message),
    ("messages/push", NotificationPushMessage("u1", "n1"), parse_push_message),
    ("messages/push", CountersPushMessage("p1"), parse_push_message),
    ("messages/push", ReplayPushMessage("c1", "u1", 42), parse_push_message),
    ("messages/push", ClosePushMessage("c1"), parse_push_message),
    ("messages/notifications", NotificationEvent("like", "like#p1#u1", AT.isoformat(), account_id="a1", post_id="p1",
                                                 actor="u1"), NotificationEvent.from_json),
    ("messages/notifications", NotificationEvent("contest_win", "contest_win#p1#8", AT.isoformat(), recipient="u1",
                                                 account_id="a1", post_id="p1", data={"floor": 8}),
     NotificationEvent.from_json),
]


@pytest.mark.parametrize(("schema", "message", "parse"), BUILT)
def test_a_built_message_matches_its_schema_and_parses_back(schema, message, parse) -> None:
    # Given a message as its producer builds it
    # When it is sent as JSON
    body = message.to_json()
    # Then its schema accepts it, and its consumer reads the same message back
    assert validate(schema, body) == body
    assert parse(body) == message


@pytest.mark.parametrize(("schema", "body", "parse"), [
    ("messages/moderation", {}, ModerationMessage.from_json),
    ("messages/moderation", {"post_id": ""}, ModerationMessage.from_json),
    ("messages/fanout", {"op": "put", "post_id": "p1", "chunk": -1, "after": None}, parse_fanout_message),
    ("messages/fanout", {"op": "shout", "post_id": "p1", "chunk": 0, "after": None}, parse_fanout_message),
    ("messages/fanout", {"op": "pull_on", "account_id": "a1", "generation": "2", "chunk": 0, "after": None},
     parse_fanout_message),
    ("messages/grading", {"run_id": "r1"}, GradingShardMessage.from_json),
    ("messages/suggestions", {"run_id": "r1"}, SuggestionShardMessage.from_json),
    ("messages/suggestions", {"run_id": "r1", "shard": "map:1"}, SuggestionShardMessage.from_json),
    ("messages/signals", {}, SignalsMessage.from_json),
    ("messages/signals", {"signals": [{"kind": "x"}]}, SignalsMessage.from_json),
    ("messages/signals", {"signals": [{**SIGNAL_BODY, "kind": "wishlist"}]}, SignalsMessage.from_json),
    ("messages/signals", {"signals": [{**SIGNAL_BODY, "at": "yesterday"}]}, SignalsMessage.from_json),
    ("messages/new_products", {"op": "listings"}, parse_new_products_message),
    ("messages/new_products", {"op": "listings", "events": [{**LISTING_BODY, "price": "399"}]},
     parse_new_products_message),
    ("messages/new_products", {"op": "listings", "events": [LISTING.to_json()]}, parse_new_products_message),
    ("messages/new_products", {"op": "close"}, parse_new_products_message),
    ("messages/new_products", {"op": "open", "window_id": "w1"}, parse_new_products_message),
    ("messages/push", {"v": 0}, parse_push_message),
    ("messages/push", {"kind": "shout", "post_id": "p1"}, parse_push_message),
    ("messages/push", {"kind": "feed", "post_id": "p1", "users": "u1"}, parse_push_message),
    ("messages/push", {"kind": "feed_roster", "post_id": "p1", "pages": "04#0000001"}, parse_push_message),
    ("messages/push", {"kind": "feed_roster", "post_id": "p1", "users": ["u1"]}, parse_push_message),
    ("messages/push", {"kind": "replay", "connection_id": "c1", "user_id": "u1", "since": -1}, parse_push_message),
    ("messages/push", {"kind": "replay", "connection_id": "c1", "user_id": "u1", "since": "3"}, parse_push_message),
    ("messages/push", {"kind": "close"}, parse_push_message),
    ("messages/notifications", [], NotificationEvent.from_json),
    ("messages/notifications", {"type": "poke", "key": "k", "at": AT.isoformat(), "recipient": "u1"},
     NotificationEvent.from_json),
    ("messages/notifications", {"type": "like", "key": "k", "at": AT.isoformat(), "recipient": "owner",
                                "account_id": "a1", "post_id": "p1"}, NotificationEvent.from_json),
    ("messages/notifications", {"type": "hot", "key": "k", "at": AT.isoformat(), "recipient": "owner"},
     NotificationEvent.from_json),
    ("messages/notifications", {"type": "hot", "key": "k", "at": "soon", "recipient": "owner", "account_id": "a1"},
     NotificationEvent.from_json),
    ("messages/notifications", {"type": "hot", "at": AT.isoformat(), "recipient": "owner", "account_id": "a1"},
     NotificationEvent.from_json),
    ("messages/notifications", {"type": "comment", "key": "k", "at": AT.isoformat(), "recipient": "u1",
                                "data": ["text"]}, NotificationEvent.from_json),
])
def test_a_malformed_message_is_refused_by_schema_and_parser_alike(schema, body, parse) -> None:
    # Given a body no producer builds
    # When the schema and the consumer's parser read it
    # Then both refuse it
    with pytest.raises(InvalidInput):
        validate(schema, body)
    with pytest.raises(ValueError):
        parse(body)


def test_the_next_page_of_a_fan_out_keeps_its_job_and_moves_on() -> None:
    # Given the first page of a post's delivery
    first = PostFanoutMessage.deliver("p1")
    # When it hands over to the next page
    second = first.next_page({"roster": "page-2"})
    # Then the job is the same and the chunk and resume point advance
    assert (second.job_id, second.chunk, second.after) == ("put#p1", 1, {"roster": "page-2"})
    assert first.to_json() == {"op": "put", "post_id": "p1", "chunk": 0, "after": None}


def test_the_wire_format_of_the_newly_typed_messages_is_what_their_consumers_always_read() -> None:
    # Given messages as their producers build them
    # When they are sent as JSON
    # Then their bodies are the dicts the producers sent before they were typed (a deploy keeps queued messages)
    assert FeedPushMessage("p1", ("u1",)).to_json() == {"kind": "feed", "post_id": "p1", "users": ["u1"]}
    assert ReplayPushMessage("c1", "u1", 3).to_json() == {"kind": "replay", "connection_id": "c1", "user_id": "u1",
                                                          "since": 3}
    assert CountersPushMessage("p1").to_json() == {"kind": "counters", "post_id": "p1"}
    assert CloseWindowMessage("w1").to_json() == {"op": "close", "window_id": "w1"}
    assert ListingsMessage((ListingEvent("b1:0", LISTING),)).to_json() == {"op": "listings", "events": [LISTING_BODY]}
    assert SuggestionShardMessage("r1", "0000").to_json() == {"run_id": "r1", "shard": "0000"}
    assert SignalsMessage.from_json({"signals": [SIGNAL_BODY]}).to_json() == {"signals": [SIGNAL_BODY]}


def test_a_notification_event_without_a_recipient_is_for_the_owner_and_unknown_fields_are_ignored() -> None:
    # Given a body without a recipient, and one with a field this consumer does not know yet
    older = {"type": "hot", "key": "hot#p1", "at": AT.isoformat(), "account_id": "a1", "post_id": "p1"}
    newer = {**older, "recipient": "owner", "priority": "high"}
    # When the consumer parses them
    # Then both are the same event for the account's owner
    assert NotificationEvent.from_json(older) == NotificationEvent.from_json(newer)
    assert NotificationEvent.from_json(older).recipient == "owner"
