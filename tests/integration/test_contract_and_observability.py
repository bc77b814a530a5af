"""The published contract (typed responses, ids, headers, examples, /docs) and what operators see.

Request ids reach the client (header, error body) and the logs; a queue consumer's log
lines name the message; one README flow emits the business metrics as EMF lines.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_lambda_powertools.event_handler.openapi.swagger_ui as swagger_ui
import pytest
from chalice.app import SQSEvent
from openapi_spec_validator import validate as validate_spec

from app import app
from chalicelib.api.meta import served_document, server_url
from chalicelib.api.observe import request_id_of
from chalicelib.events.sqs import process_batch
from chalicelib.observability import logger, metrics
from chalicelib.validation import validate_post
from local.workers import drain
from tests.conftest import Api, bearer
from tests.flows import new_account, nine_grid


@pytest.fixture
def log_lines() -> Iterator[list[dict[str, Any]]]:
    """Every line the app's logger writes meanwhile (at INFO), as the JSON Powertools formats."""
    lines: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(logger.registered_formatter.format(record)))

    handler, level = Collect(), logger.log_level
    logger.addHandler(handler)
    logger.setLevel("INFO")
    try:
        yield lines
    finally:
        logger.setLevel(level)
        logger._logger.removeHandler(handler)


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, item in document["paths"].items() for method, op in item.items()]


def test_the_document_types_every_response_and_names_every_operation() -> None:
    # Given the document as served locally
    document = served_document(None)
    validate_spec(document)
    components = document["components"]["schemas"]
    operations = _operations(document)

    # Then every JSON success is a named schema with properties, every error the error schema
    typed = 0
    for method, path, op in operations:
        for status, response in op["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if schema is None:
                continue
            name = schema["$ref"].rsplit("/", 1)[-1]
            assert name in components, (method, path, status)
            if status.startswith("2"):
                resolved = components[name]
                assert resolved.get("properties") or resolved.get("allOf"), (method, path, name)
                typed += 1
            else:
                assert name == "error", (method, path, status)
            assert "X-Request-Id" in response["headers"], (method, path, status)
            if status == "429":
                assert "Retry-After" in response["headers"], (method, path)
    print(f"{len(operations)} operations, {typed} typed JSON success responses")
    assert typed >= 34

    # And operationIds are unique function names, every operation has a declared tag
    ids = [op["operationId"] for _, _, op in operations]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids), ids
    by_id = {op["operationId"]: op for _, _, op in operations}
    assert {"create_post", "read_feed", "create_account"} <= set(by_id)
    tags = {t["name"] for t in document["tags"]}
    assert all(op["tags"] and set(op["tags"]) <= tags for op in by_id.values())

    # And the creates that take an Idempotency-Key say so; examples are valid posts
    for name in ("create_post", "submit_buyer_show"):
        assert "Idempotency-Key" in [p["name"] for p in by_id[name]["parameters"] if p["in"] == "header"], name
    examples = by_id["create_post"]["requestBody"]["content"]["application/json"]["examples"]
    assert len(examples) == 11
    for example in examples.values():
        validate_post(example["value"])


def test_the_server_url_is_the_deployed_stage() -> None:
    deployed = {"domainName": "abc123.execute-api.ap-southeast-1.amazonaws.com", "stage": "v1"}
    assert server_url(deployed) == "https://abc123.execute-api.ap-southeast-1.amazonaws.com/v1"
    assert server_url({"domainName": "api.weitao.example", "stage": "v1"}) == "https://api.weitao.example"
    assert server_url({"domainName": "localhost", "stage": "api"}) == "/"
    assert served_document(deployed)["servers"] == [{"url": server_url(deployed)}]


def test_docs_are_served_without_a_token_and_without_leaving_the_api(api: Api) -> None:
    # When anyone opens /docs
    page = api.get("/docs")

    # Then it is Swagger UI whose every asset comes from this API (relative URLs, no validator badge)
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert not re.search(r"(src|href|url)\s*[=:]\s*[\"']?(https?:)?//", page.text), page.text
    assert "validatorUrl: null" in page.text
    bundle = Path(swagger_ui.__file__).parent / "swagger-ui-bundle.min.js"
    script = api.get("/docs/swagger-ui-bundle.js")
    assert script.status == 200 and script.text == bundle.read_text("utf-8")
    assert api.get("/docs/swagger-ui.css").headers["Content-Type"].startswith("text/css")


def test_request_ids_reach_the_client_the_error_body_and_every_log_line(
        api: Api, log_lines: list[dict[str, Any]]) -> None:
    # When a caller asks for an account that does not exist
    missing = api.as_user("fan-1").get("/accounts/nope")

    # Then the error body carries the response's X-Request-Id, and so does the request's log line
    request_id = missing.headers["X-Request-Id"]
    assert missing.status == 404 and missing.json["error"]["request_id"] == request_id
    refused = [line for line in log_lines if line["message"] == "request refused"]
    assert refused and all(line["request_id"] == request_id for line in refused)
    assert {line["service"] for line in log_lines} == {"weitao"}

    # And every request gets its own id; deployed, it is API Gateway's
    assert api.get("/health").headers["X-Request-Id"] != request_id
    gateway_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert request_id_of({"requestId": gateway_id}) == gateway_id


def test_a_failed_queue_record_logs_its_message_id_and_traceback(
        stack: None, log_lines: list[dict[str, Any]]) -> None:
    # Given a batch of two messages, the second of which its handler cannot process
    records = [{"messageId": f"m-{n}", "receiptHandle": f"r-{n}", "body": json.dumps({"n": n}),
                "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
                "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:ap-southeast-1:1:q"} for n in (1, 2)]

    def handle(body: dict[str, Any]) -> None:
        logger.info("handling", n=body["n"])
        if body["n"] == 2:
            raise RuntimeError("store unavailable")

    # When the batch is processed
    metrics.clear_metrics()
    result = process_batch(SQSEvent({"Records": records}, None), handle)

    # Then only the second goes back, and every line names its message; the failure has its traceback
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-2"}]}
    assert [(line["message"], line["message_id"]) for line in log_lines] == [
        ("handling", "m-1"), ("handling", "m-2"), ("Record processing exception; skipping this record", "m-2")]
    assert "RuntimeError: store unavailable" in log_lines[-1]["exception"]
    assert metrics.metric_set["BatchRecordsFailed"]["Value"] == [1.0]
    metrics.clear_metrics()


def test_one_readme_flow_emits_the_business_metrics(api: Api, capsys: pytest.CaptureFixture[str]) -> None:
    # Given a merchant's account with one follower
    account = new_account(api, "merchant-1", fan_nickname="米粉")
    assert api.as_user("fan-1").put(f"/me/following/{account['account_id']}").status == 200
    capsys.readouterr()

    # When the merchant publishes and the workers run
    response = api.client.http.post(f"/accounts/{account['account_id']}/posts", body=json.dumps(nine_grid()),
                                    headers=bearer("merchant-1"))
    assert response.status_code == 202
    drain(app)

    # Then the EMF lines count one post created, one page and one entry of fan-out
    emitted: dict[str, float] = {}
    for line in capsys.readouterr().out.splitlines():
        if line.startswith('{"_aws"'):
            record = json.loads(line)
            assert record["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "weitao"
            for metric in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                emitted[metric["Name"]] = emitted.get(metric["Name"], 0) + sum(record[metric["Name"]])
    print("metrics of one README flow:", emitted)
    assert emitted == {"PostsCreated": 1, "FanoutPagesWritten": 1, "FanoutEntriesWritten": 1}
