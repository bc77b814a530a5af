"""Queue messages: each one's JSON matches its schema in schemas/messages/ and parses back to itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.domain.activity import ActivityMessage
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.messages import (
    GradingShardMessage,
    ModerationMessage,
    PostFanoutMessage,
    SwitchFanoutMessage,
    parse_fanout_message,
)
from chalicelib.validation import validate

AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
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
