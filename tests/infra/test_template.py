"""The built template, checked against the code's registries: every table, queue, consumer, schedule and route.

The template is built for the ``prod`` stage while the tests import the code as
``local``; names are compared through ``Settings(stage="prod")``.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from chalice.app import ScheduledEventConfig, SQSEventConfig
from chalice.local import LambdaContext

from app import app
from chalicelib.api.http import ENDPOINTS
from chalicelib.auth import MODERATOR, OPERATOR
from chalicelib.config import Settings, settings
from chalicelib.domain.activity import ActivityMessage
from chalicelib.domain.messages import (
    FeedPushMessage,
    GradingShardMessage,
    ListingsMessage,
    ModerationMessage,
    PostFanoutMessage,
    SignalsMessage,
    SuggestionShardMessage,
)
from chalicelib.domain.notifications import NotificationEvent
from chalicelib.store.queues import QUEUES
from chalicelib.store.tables import ALL_MODELS
from infra import checks
from infra.access import FUNCTION_GRANTS
from infra.schedules import SHANGHAI, UTC_OFFSET_HOURS
from infra.shipped import SOURCE, schema_files
from infra.template import (
    ALWAYS_PUBLIC,
    AUTHORIZER_NAME,
    dlq_logical_id,
    function_logical_id,
    queue_logical_id,
    table_logical_id,
    ttl_attribute,
)
from local.cron import cron_matches
from tests.infra.conftest import REGION, Built

PROD = Settings(stage="prod")
SQS_SOURCES = [s for s in app.event_sources if isinstance(s, SQSEventConfig)]
SCHEDULES = [s for s in app.event_sources if isinstance(s, ScheduledEventConfig)]
FUNCTIONS = ["api_handler", *(s.name for s in app.event_sources), *(h.name for h in app.websocket_handlers.values())]
PUBLIC = {(e.path, e.method.lower()) for e in ENDPOINTS if e.public}


def prod_table(model: Any) -> str:
    return PROD.table(model.Meta.table_name.removeprefix(settings.table("")))


def prod_queue(name: str) -> str:
    return PROD.queue(name.removeprefix(settings.queue("")))


def sqs_event(built: Built, function: str) -> dict[str, Any]:
    events = built.resources[function_logical_id(function)]["Properties"]["Events"]
    (event,) = [e for e in events.values() if e["Type"] == "SQS"]
    return dict(event["Properties"])


def test_cfn_lint_finds_no_errors_in_the_expanded_template(built: Built) -> None:
    # Given the template expanded from SAM as CloudFormation would
    # When cfn-lint runs on it
    errors, _warnings = checks.lint(built.expanded, REGION)
    # Then it reports no errors
    assert errors == []


def test_the_deployment_rules_hold_for_every_resource_of_the_template(built: Built) -> None:
    # Given the built template
    # When the rule checks read it (DLQs, visibility ratios, authorizer, tables, schedule timezones)
    findings = checks.rule_findings(built.template, PUBLIC, AUTHORIZER_NAME)
    # Then nothing is found
    assert findings == []


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_every_model_has_an_on_demand_table_with_its_keys_indexes_and_ttl(built: Built, model: Any) -> None:
    # Given a PynamoDB model of ALL_MODELS
    schema = model._get_schema()
    # When its table is looked up in the template
    table = built.resources[table_logical_id(model)]
    props = table["Properties"]
    # Then it has the stage's name, the model's keys and indexes, on-demand billing, PITR and TTL
    assert props["TableName"] == prod_table(model)
    assert {k["AttributeName"]: k["KeyType"] for k in props["KeySchema"]} == {
        k["AttributeName"]: k["KeyType"] for k in schema["key_schema"]}
    for kind, key in (("global_secondary_indexes", "GlobalSecondaryIndexes"),
                      ("local_secondary_indexes", "LocalSecondaryIndexes")):
        declared = {i["index_name"]: ({k["AttributeName"]: k["KeyType"] for k in i["key_schema"]},
                                      i["projection"]["ProjectionType"]) for i in schema.get(kind, [])}
        made = {i["IndexName"]: ({k["AttributeName"]: k["KeyType"] for k in i["KeySchema"]},
                                 i["Projection"]["ProjectionType"]) for i in props.get(key, [])}
        assert made == declared
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    ttl = ttl_attribute(model)
    assert props.get("TimeToLiveSpecification") == ({"AttributeName": ttl, "Enabled": True} if ttl else None)
    assert table["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("key", sorted(QUEUES))
def test_every_queue_has_a_dead_letter_queue_and_an_alarm_on_its_depth(built: Built, key: str) -> None:
    # Given a queue of QUEUES
    spec = QUEUES[key]
    # When its resources are looked up
    queue = built.resources[queue_logical_id(key)]["Properties"]
    dlq = built.resources[dlq_logical_id(key)]["Properties"]
    alarm = built.resources[dlq_logical_id(key) + "DepthAlarm"]["Properties"]
    # Then it redrives to its own DLQ after at least 5 receives, and the DLQ's depth raises an alarm
    assert queue["QueueName"] == prod_queue(spec.name) and dlq["QueueName"] == prod_queue(spec.dlq_name)
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [dlq_logical_id(key), "Arn"]},
                                      "maxReceiveCount": spec.max_receive_count}
    assert spec.max_receive_count >= 5
    assert queue["VisibilityTimeout"] == spec.visibility_timeout_s
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [{"Name": "QueueName",
                                    "Value": {"Fn::GetAtt": [dlq_logical_id(key), "QueueName"]}}]
    assert alarm["Threshold"] == 1 and alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


@pytest.mark.parametrize("source", SQS_SOURCES, ids=lambda s: s.name)
def test_every_consumer_reads_its_queue_with_a_timeout_a_sixth_of_the_visibility(built: Built,
                                                                                  source: SQSEventConfig) -> None:
    # Given a consumer registered with @on_sqs_message and its queue spec
    (key,) = [k for k, s in QUEUES.items() if s.name == source.queue]
    spec = QUEUES[key]
    # When its function and event source are looked up
    function = built.resources[function_logical_id(source.name)]["Properties"]
    event = sqs_event(built, source.name)
    visibility = built.resources[queue_logical_id(key)]["Properties"]["VisibilityTimeout"]
    # Then it reads that queue, with the spec's timeout, batch size and a visibility ≥ 6× its timeout
    assert event["Queue"] == {"Fn::GetAtt": [queue_logical_id(key), "Arn"]}
    assert function["Timeout"] == spec.consumer_timeout_s
    assert visibility >= 6 * function["Timeout"]
    assert event["BatchSize"] == source.batch_size
    # And partial failures are reported exactly where the spec says the consumer answers with them
    wanted = ["ReportBatchItemFailures"] if spec.reports_partial_failures else None
    assert event.get("FunctionResponseTypes") == wanted
    # And its concurrency is bounded where the spec bounds it
    if spec.max_concurrency:
        assert event["ScalingConfig"] == {"MaximumConcurrency": spec.max_concurrency}


def test_the_fan_out_consumer_reports_partial_failures_with_bounded_concurrency(built: Built) -> None:
    # Given the consumer of the fan-out queue
    (source,) = [s for s in SQS_SOURCES if s.queue == QUEUES["fanout"].name]
    # When its event source mapping is read
    event = sqs_event(built, source.name)
    # Then a failed page is retried alone and fan-out cannot take every Lambda in the account
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 1 <= event["ScalingConfig"]["MaximumConcurrency"] <= 100


# A body each queue's consumer accepts and finishes without data (its post or run does not exist).
ACCEPTED_BODIES = {
    "moderation": ModerationMessage("missing-post").to_json(),
    "fanout": PostFanoutMessage.deliver("missing-post").to_json(),
    "activity": ActivityMessage(datetime(2024, 5, 1, tzinfo=UTC), None, {"a-1": {"reads": 1}}).to_json(),
    "grading": GradingShardMessage("missing-run", "reduce:0000").to_json(),
    "notifications": NotificationEvent("hot", "hot#missing-post", "2024-05-01T00:00:00+00:00",
                                       account_id="missing-account").to_json(),
    "push": FeedPushMessage("missing-post", ("nobody-present",)).to_json(),
    "suggestions": SuggestionShardMessage("missing-run", "0000").to_json(),
    "signals": SignalsMessage(()).to_json(),
    "new_products": ListingsMessage(()).to_json(),
}


@pytest.mark.parametrize("source", SQS_SOURCES, ids=lambda s: s.name)
def test_a_consumer_answers_with_batch_item_failures_exactly_when_its_spec_says_so(stack: None,
                                                                                   source: SQSEventConfig) -> None:
    # Given a consumer and a batch of one record it accepts and one no producer builds
    (key,) = [k for k, s in QUEUES.items() if s.name == source.queue]
    records = [{"messageId": f"m-{i}", "receiptHandle": f"r-{i}", "body": body, "attributes": {},
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:{source.queue}", "awsRegion": REGION}
               for i, body in enumerate([json.dumps(ACCEPTED_BODIES[key]), '{"v": 0}'])]
    # When the handler Lambda would call runs the batch
    answer = app.handler_map[source.name]({"Records": records}, LambdaContext(source.name, memory_size=128))
    # Then it answers with batchItemFailures (what ReportBatchItemFailures reads) iff the spec says it does
    assert ("batchItemFailures" in (answer or {})) == QUEUES[key].reports_partial_failures


def _fires_utc(expression: str, start: datetime, hours: int) -> list[datetime]:
    return [start + timedelta(hours=h) for h in range(hours) if cron_matches(expression, start + timedelta(hours=h))]


@pytest.mark.parametrize("source", SCHEDULES, ids=lambda s: s.name)
def test_every_schedule_is_an_asia_shanghai_schedule_firing_when_the_code_says(built: Built,
                                                                              source: ScheduledEventConfig) -> None:
    # Given a @schedule of the app (its cron in UTC, as the code and the local runner read it)
    code = source.schedule_expression
    code = code if isinstance(code, str) else code.to_string()
    # When its deployed schedule is read
    events = built.resources[function_logical_id(source.name)]["Properties"]["Events"]
    (event,) = events.values()
    deployed = event["Properties"]
    # Then it is an EventBridge Scheduler schedule in Asia/Shanghai time
    assert event["Type"] == "ScheduleV2"
    assert deployed["ScheduleExpressionTimezone"] == SHANGHAI
    if not code.startswith("cron("):
        assert deployed["ScheduleExpression"] == code
        return
    # And over four years, at every hour (minute fields are never shifted), it fires at the same instants
    minute = int(code[len("cron("):].split()[0].split(",")[0].split("/")[0].replace("*", "0"))
    start = datetime(2025, 1, 1, 0, minute)
    utc = _fires_utc(code, start, 4 * 366 * 24)
    shifted = [t - timedelta(hours=UTC_OFFSET_HOURS)
               for t in _fires_utc(deployed["ScheduleExpression"], start + timedelta(hours=UTC_OFFSET_HOURS),
                                   4 * 366 * 24)]
    assert utc == shifted and utc


def test_every_route_but_the_public_ones_is_under_the_cognito_authorizer(built: Built) -> None:
    # Given Chalice's API definition in the template
    body = built.resources["RestAPI"]["Properties"]["DefinitionBody"]
    routes = {(path, method): op for path, methods in body["paths"].items() for method, op in methods.items()}
    # Then /health and /openapi.json need no token, every other route is behind the user pool authorizer
    assert ALWAYS_PUBLIC <= PUBLIC
    # (the console's dev sign-in is registered in this hs256 test process only, never in the cognito build)
    local_only = {("/local/tokens", "post")}
    assert {(e.path, e.method.lower()) for e in ENDPOINTS} - local_only == set(routes)
    assert not local_only & set(routes)
    for route, operation in routes.items():
        secured = operation.get("security") == [{AUTHORIZER_NAME: []}]
        assert secured is (route not in PUBLIC), route
    # And the authorizer trusts the user pool of this stack
    scheme = body["securityDefinitions"][AUTHORIZER_NAME]
    assert scheme["x-amazon-apigateway-authorizer"]["providerARNs"] == [{"Fn::GetAtt": ["UserPool", "Arn"]}]
    assert built.resources["UserPool"]["Type"] == "AWS::Cognito::UserPool"
    groups = {r["Properties"]["GroupName"] for r in built.resources.values()
              if r["Type"] == "AWS::Cognito::UserPoolGroup"}
    assert groups == {MODERATOR, OPERATOR}


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_runs_as_prod_with_cognito_its_own_role_and_an_errors_alarm(built: Built,
                                                                                  function: str) -> None:
    # Given a Lambda function of the app
    logical_id = function_logical_id(function)
    props = built.resources[logical_id]["Properties"]
    # Then it runs in the prod stage with Cognito auth (the dev HS256 mode refuses to load in Lambda)
    env = props["Environment"]["Variables"]
    assert env["STAGE"] == "prod" and env["AUTH_MODE"] == "cognito"
    assert env["COGNITO_USER_POOL_ARN"] == {"Fn::GetAtt": ["UserPool", "Arn"]}
    # And it has a role of its own, and an alarm on its errors
    role = props["Role"]["Fn::GetAtt"][0]
    others = [f for f in FUNCTIONS if f != function]
    assert all(built.resources[function_logical_id(f)]["Properties"]["Role"]["Fn::GetAtt"][0] != role
               for f in others)
    alarm = built.resources[logical_id + "ErrorsAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")


def test_no_role_grants_a_data_action_on_a_wildcard_resource(built: Built) -> None:
    # Given every role of the expanded template (Chalice's per-function roles and SAM's schedule roles)
    # When their statements are read
    # Then no data action (DynamoDB, SQS, ...) is granted on "*" or on a wildcard table or queue
    assert checks.wildcard_data_grants(built.expanded, REGION) == []
    assert len(checks.role_policies(built.expanded, REGION)) >= len(FUNCTIONS)


def test_parliament_finds_nothing_of_medium_severity_or_more(built: Built) -> None:
    # Given every role policy / When parliament audits it / Then no finding is MEDIUM or worse
    assert checks.parliament_findings(built.expanded, REGION) == []


def test_a_wildcard_data_grant_is_caught() -> None:
    # Given a role that may read every table
    template = {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{
        "PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": "*"},
            {"Effect": "Allow", "Action": ["sqs:SendMessage"],
             "Resource": {"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:*"}}]}}]}}}}
    # When the IAM checks read it / Then both grants are findings
    assert len(checks.wildcard_data_grants(template, REGION)) == 2


def test_every_table_and_queue_is_used_by_some_function() -> None:
    # Given the declared grants
    granted = {use.model for grants in FUNCTION_GRANTS.values() for use in grants.tables}
    senders = {queue for grants in FUNCTION_GRANTS.values() for queue in grants.sends}
    consumed = {key for key, spec in QUEUES.items() for s in SQS_SOURCES if s.queue == spec.name}
    # Then a new table or queue cannot land without a function allowed to use it (declare it in infra/access.py)
    assert [m.__name__ for m in ALL_MODELS if m not in granted] == []
    assert sorted(set(QUEUES) - senders) == [] and sorted(set(QUEUES) - consumed) == []
    # And every function of the app has grants, and no grant names a function the app does not have
    assert set(FUNCTION_GRANTS) == set(FUNCTIONS)


def test_the_deployment_package_ships_the_schemas_as_they_are_in_the_source_tree(built: Built) -> None:
    # Given the deployment zip `chalice package` made
    with zipfile.ZipFile(built.out / "deployment.zip") as archive:
        shipped = {n.removeprefix("chalicelib/schemas/"): archive.read(n) for n in archive.namelist()
                   if n.startswith("chalicelib/schemas/") and not n.endswith("/")}
    # Then it holds every schema file of schemas/, byte for byte
    assert {name: (SOURCE / name).read_bytes() for name in schema_files(SOURCE)} == shipped


def test_the_stack_is_in_asia_shanghai_time_even_when_the_build_runs_elsewhere() -> None:
    # Given the UTC offset the schedules are shifted by / Then it is China Standard Time all year
    from zoneinfo import ZoneInfo

    for month in range(1, 13):
        offset = datetime(2025, month, 15, tzinfo=UTC).astimezone(ZoneInfo(SHANGHAI)).utcoffset()
        assert offset == timedelta(hours=UTC_OFFSET_HOURS)


def test_the_console_signs_in_with_the_hosted_ui_code_flow_and_pkce(built: Built) -> None:
    # Given the template's console sign-in resources
    resources = built.template["Resources"]
    client = resources["ConsoleUserPoolClient"]["Properties"]
    # Then a public client (no secret: PKCE) may only use the authorization code flow back to /console
    assert client["GenerateSecret"] is False and client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True and "openid" in client["AllowedOAuthScopes"]
    assert client["ClientName"] == "weitao-prod-console"
    assert client["CallbackURLs"][0]["Fn::Sub"].endswith("/v1/console")
    assert resources["ConsoleUserPoolDomain"]["Properties"]["UserPoolId"] == {"Ref": "UserPool"}
    # And the API function knows the Hosted UI domain and may look up the client, and nothing else in the pool
    api = next(r for r in resources.values() if r["Type"] == "AWS::Serverless::Function"
               and r["Properties"]["FunctionName"].endswith("api_handler"))
    assert "amazoncognito.com" in api["Properties"]["Environment"]["Variables"]["COGNITO_DOMAIN"]["Fn::Sub"]
    role = resources[api["Properties"]["Role"]["Fn::GetAtt"][0]]
    cognito = [s for s in role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
               if any(a.startswith("cognito-idp:") for a in s["Action"])]
    assert cognito == [{"Sid": "FindConsoleClient", "Effect": "Allow", "Resource": {"Fn::GetAtt": ["UserPool", "Arn"]},
                        "Action": ["cognito-idp:ListUserPoolClients"]}]
    # And no dev-token route was packaged
    assert "/local/tokens" not in resources["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
