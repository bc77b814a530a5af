"""The built template deployed to moto's CloudFormation, and the app run against what it created."""

from __future__ import annotations

from typing import Any

from app import app
from chalicelib.store.queues import QUEUES
from chalicelib.store.tables import ALL_MODELS


def test_moto_creates_the_stack_with_every_table_and_queue(moto_report: dict[str, Any]) -> None:
    # Given the built template, expanded from SAM, without what moto's CloudFormation cannot create
    # When it is deployed to moto
    # Then the stack is complete, with one table per model and a queue and a DLQ per queue spec
    assert moto_report["stack_status"] == "CREATE_COMPLETE", moto_report
    deployed = moto_report["deployed"]
    assert deployed["AWS::DynamoDB::Table"] == len(ALL_MODELS)
    assert deployed["AWS::SQS::Queue"] == 2 * len(QUEUES)
    functions = 1 + len(app.event_sources) + len(app.websocket_handlers)  # connect, message, disconnect
    assert deployed["AWS::Lambda::Function"] == functions and deployed["AWS::Logs::LogGroup"] == functions
    assert deployed["AWS::IAM::Role"] >= functions


def test_the_tables_and_queues_cloudformation_made_match_the_code(moto_report: dict[str, Any]) -> None:
    # Given the created stack / When each queue's attributes and each table's keys and indexes are read back
    # Then they are what the code's QueueSpecs and PynamoDB models declare
    assert moto_report["resource_problems"] == []


def test_a_post_travels_from_merchant_to_fan_through_the_created_tables_and_queues(
        moto_report: dict[str, Any]) -> None:
    # Given the app pointed at the stack's tables and queues (stage prod names)
    # When a merchant opens an account, a fan follows, the merchant posts and the workers drain the queues
    smoke = moto_report["smoke"]
    # Then the post is in the fan's feed
    assert smoke["ok"], smoke
    assert smoke["post_id"] in smoke["feed"] and smoke["worker_batches"] >= 1
    assert moto_report["exit_code"] == 0, moto_report["stderr"]


def test_what_moto_cannot_deploy_is_named_with_a_reason(moto_report: dict[str, Any]) -> None:
    # Given the resources left out of the moto deployment
    left_out = moto_report["left_out"]
    # Then each names its type and why, and none of them is a table or a queue
    assert all(": " in reason for reason in left_out.values())
    assert not any(r.startswith(("AWS::DynamoDB::Table", "AWS::SQS::Queue")) for r in left_out.values())
