"""The deployable template: `chalice package`'s output merged with what Chalice does not make.

Chalice makes the functions, their roles, the API and the event sources. This module
adds, from the code's own registries, the DynamoDB tables (``ALL_MODELS``), the SQS
queues with their dead-letter queues (``QUEUES``), the Cognito user pool behind the
API's authorizer, log groups and alarms, and fills in what Chalice cannot say: each
consumer's timeout, queue reference and ``ReportBatchItemFailures``, each function's
own grants (:mod:`infra.access`), and schedules in Asia/Shanghai time.

``chalice package --merge-template`` merges dicts but replaces lists and cannot delete
a key (Chalice's ``Schedule`` events must become ``ScheduleV2``), so the merge is done
here, in Python, on the loaded template; every change addresses Chalice's resources by
the logical names Chalice gives them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalice.app import Chalice, ScheduledEventConfig, SQSEventConfig
from chalice.utils import to_cfn_resource_name
from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from chalicelib.auth import MODERATOR, OPERATOR
from chalicelib.config import settings
from chalicelib.store.queues import QUEUES, QueueSpec, key_of_queue
from chalicelib.store.tables import ALL_MODELS
from infra.access import (
    CONSUME_ACTIONS,
    DESCRIBE_ACTIONS,
    FUNCTION_GRANTS,
    INDEX_ACTIONS,
    READ_ACTIONS,
    SCAN_ACTIONS,
    SEND_ACTIONS,
    WRITE_ACTIONS,
)
from infra.dashboard import DASHBOARD, alarm_email_resources, dashboard_resource
from infra.schedules import SHANGHAI, to_shanghai

API_FUNCTION = "api_handler"
API_LOGICAL_ID = "APIHandler"
AUTHORIZER_NAME = "weitao-users"
# The public routes; others may be declared public=True in code, see public_routes().
ALWAYS_PUBLIC = {("/health", "get"), ("/openapi.json", "get")}
USER_POOL, USER_POOL_CLIENT, ALARM_TOPIC = "UserPool", "UserPoolClient", "AlarmTopic"
# Active tracing needs these on the function's role; X-Ray has no resource-level permissions.
XRAY_WRITE = {"Effect": "Allow", "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Resource": "*"}
CONSOLE_DOMAIN, CONSOLE_CLIENT = "ConsoleUserPoolDomain", "ConsoleUserPoolClient"
LOG_RETENTION_DAYS = 30
DLQ_RETENTION_S = 14 * 86_400
# A schedule's event is useless once its next tick is due; retry briefly, then drop.
SCHEDULE_RETRY = {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 300}
# Chalice's logical ids for the WebSocket API (chalice/package.py).
WEBSOCKET_API, WEBSOCKET_STAGE, WEBSOCKET_MESSAGE_ROUTE = "WebsocketAPI", "WebsocketAPIStage", "WebsocketMessageRoute"
# The one function that may post to and close connections (services/realtime.py).
PUSH_FUNCTION = "push_consumer"


class TemplateError(Exception):
    """The app and the registries disagree (a consumer without a queue spec, a function without grants)."""


def short_name(full: str, prefix: str) -> str:
    if not full.startswith(prefix):
        raise TemplateError(f"{full!r} does not follow the naming scheme {prefix!r}<name> (config.Settings)")
    return full[len(prefix):]


def table_logical_id(model: type[Model]) -> str:
    return to_cfn_resource_name(short_name(model.Meta.table_name, settings.table(""))) + "Table"


def queue_logical_id(key: str) -> str:
    return to_cfn_resource_name(key) + "Queue"


def dlq_logical_id(key: str) -> str:
    return to_cfn_resource_name(key) + "DeadLetterQueue"


def function_logical_id(name: str) -> str:
    return API_LOGICAL_ID if name == API_FUNCTION else to_cfn_resource_name(name)


def function_name(name: str) -> str:
    # Chalice's own naming (app-stage-function), so log groups and alarms have known names.
    return f"weitao-{settings.stage}-{name}"


def get_att(logical_id: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


# --- tables ---------------------------------------------------------------------------------

def _key_schema(keys: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    return sorted(({"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in keys),
                  key=lambda k: k["KeyType"] != "HASH")


def ttl_attribute(model: type[Model]) -> str | None:
    names = [a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)]
    return names[0] if names else None


def table_resource(model: type[Model]) -> dict[str, Any]:
    """An on-demand table with point-in-time recovery, keys and indexes as the PynamoDB model declares."""
    schema = model._get_schema()
    props: dict[str, Any] = {
        "TableName": model.Meta.table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(schema["attribute_definitions"], key=lambda a: a["AttributeName"]),
        "KeySchema": _key_schema(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    }
    gsis = [{"IndexName": i["index_name"], "KeySchema": _key_schema(i["key_schema"]),
             "Projection": i["projection"]} for i in schema.get("global_secondary_indexes", [])]
    lsis = [{"IndexName": i["index_name"], "KeySchema": _key_schema(i["key_schema"]),
             "Projection": i["projection"]} for i in schema.get("local_secondary_indexes", [])]
    if gsis:
        props["GlobalSecondaryIndexes"] = gsis
    if lsis:
        props["LocalSecondaryIndexes"] = lsis
    ttl = ttl_attribute(model)
    if ttl:
        props["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    # Data outlives the stack: deleting or replacing the stack must not drop a table.
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": props}


def index_names(model: type[Model]) -> set[str]:
    schema = model._get_schema()
    return {i["index_name"] for i in schema.get("global_secondary_indexes", []) + schema.get(
        "local_secondary_indexes", [])}


# --- queues ---------------------------------------------------------------------------------

def queue_resources(key: str, spec: QueueSpec) -> dict[str, dict[str, Any]]:
    """The queue and its dead-letter queue, redriven after ``max_receive_count`` receives."""
    dlq = dlq_logical_id(key)
    return {
        dlq: {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": spec.dlq_name, "MessageRetentionPeriod": DLQ_RETENTION_S, "SqsManagedSseEnabled": True}},
        queue_logical_id(key): {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": spec.name,
            "VisibilityTimeout": spec.visibility_timeout_s,
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": get_att(dlq), "maxReceiveCount": spec.max_receive_count},
        }},
    }


def queue_key_of(queue_name: str) -> str:
    key = key_of_queue(queue_name)
    if key is None:
        raise TemplateError(f"consumer queue {queue_name!r} is not in chalicelib.store.queues.QUEUES")
    return key


# --- auth, alarms -----------------------------------------------------------------------------

def cognito_resources(api_stage: str = "v1") -> dict[str, dict[str, Any]]:
    """The user pool whose tokens the API's authorizer accepts; groups become roles (``cognito:groups``)."""
    pool: dict[str, Any] = {"Type": "AWS::Cognito::UserPool", "DeletionPolicy": "Retain",
                            "UpdateReplacePolicy": "Retain", "Properties": {
                                "UserPoolName": f"weitao-{settings.stage}-users",
                                "UsernameAttributes": ["phone_number"],
                                "AutoVerifiedAttributes": ["phone_number"],
                                "AccountRecoverySetting": {"RecoveryMechanisms": [
                                    {"Name": "verified_phone_number", "Priority": 1}]},
                                "Policies": {"PasswordPolicy": {
                                    "MinimumLength": 10, "RequireLowercase": True, "RequireNumbers": True,
                                    "RequireSymbols": False, "RequireUppercase": False}},
                            }}
    client = {"Type": "AWS::Cognito::UserPoolClient", "Properties": {
        "ClientName": f"weitao-{settings.stage}-mobile",
        "UserPoolId": {"Ref": USER_POOL},
        "GenerateSecret": False,  # a mobile app cannot keep a secret
        "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "PreventUserExistenceErrors": "ENABLED",
        "IdTokenValidity": 1, "AccessTokenValidity": 1, "RefreshTokenValidity": 30,
        "TokenValidityUnits": {"IdToken": "hours", "AccessToken": "hours", "RefreshToken": "days"},
    }}
    resources = {USER_POOL: pool, USER_POOL_CLIENT: client, **console_sign_in_resources(api_stage)}
    for role in (MODERATOR, OPERATOR):
        resources[to_cfn_resource_name(role) + "Group"] = {"Type": "AWS::Cognito::UserPoolGroup", "Properties": {
            "GroupName": role, "UserPoolId": {"Ref": USER_POOL}, "Description": f"members have the {role} role"}}
    return resources


def console_domain_prefix() -> dict[str, Any]:
    # Hosted UI prefixes are unique per region across AWS: the account id keeps ours unique.
    return {"Fn::Sub": f"weitao-{settings.stage}-${{AWS::AccountId}}"}


def console_domain_url() -> dict[str, Any]:
    """The Hosted UI's base URL, known without referring to any resource (no dependency cycle)."""
    return {"Fn::Sub": f"https://weitao-{settings.stage}-${{AWS::AccountId}}.auth.${{AWS::Region}}.amazoncognito.com"}


def console_sign_in_resources(api_stage: str = "v1") -> dict[str, dict[str, Any]]:
    """The web console's sign-in: a Hosted UI domain and a public app client (authorization code + PKCE).

    The callback is the console itself (``/console`` on the REST API). The API function
    cannot take the client's id as a variable (client -> API -> function -> client would
    be a cycle), so it finds the client by its name (``CONSOLE_CLIENT_NAME``) at run time.
    """
    console_url = {"Fn::Sub": f"https://${{RestAPI}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{api_stage}/console"}
    return {
        CONSOLE_DOMAIN: {"Type": "AWS::Cognito::UserPoolDomain", "Properties": {
            "Domain": console_domain_prefix(), "UserPoolId": {"Ref": USER_POOL}}},
        CONSOLE_CLIENT: {"Type": "AWS::Cognito::UserPoolClient", "Properties": {
            "ClientName": console_client_name(),
            "UserPoolId": {"Ref": USER_POOL},
            "GenerateSecret": False,  # a browser page cannot keep a secret: PKCE instead
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["openid", "phone"],
            "SupportedIdentityProviders": ["COGNITO"],
            "CallbackURLs": [console_url], "LogoutURLs": [console_url],
            "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"],
            "PreventUserExistenceErrors": "ENABLED",
            "IdTokenValidity": 1, "AccessTokenValidity": 1, "RefreshTokenValidity": 1,
            "TokenValidityUnits": {"IdToken": "hours", "AccessToken": "hours", "RefreshToken": "days"},
        }},
    }


def console_client_name() -> str:
    from chalicelib.api.console import CONSOLE_CLIENT_NAME

    return CONSOLE_CLIENT_NAME.format(stage=settings.stage)


def alarm(description: str, namespace: str, metric: str, dimensions: list[dict[str, Any]],
          statistic: str = "Sum", threshold: int = 1) -> dict[str, Any]:
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "AlarmDescription": description, "Namespace": namespace, "MetricName": metric,
        "Dimensions": dimensions, "Statistic": statistic, "Period": 300, "EvaluationPeriods": 1,
        "Threshold": threshold, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching", "AlarmActions": [{"Ref": ALARM_TOPIC}],
        "OKActions": [{"Ref": ALARM_TOPIC}]}}


# --- IAM --------------------------------------------------------------------------------------

def index_arn(model: type[Model], index: str) -> dict[str, Any]:
    return {"Fn::Sub": f"${{{table_logical_id(model)}.Arn}}/index/{index}"}


def grant_statements(name: str, consumed_queue: str | None) -> list[dict[str, Any]]:
    """The data statements of one function's role, resources as the template's own ARNs."""
    if name not in FUNCTION_GRANTS:
        raise TemplateError(f"function {name!r} has no grants: declare what it reads, writes and sends "
                            "in infra/access.py FUNCTION_GRANTS")
    grants = FUNCTION_GRANTS[name]
    statements: list[dict[str, Any]] = []
    known = {m.Meta.table_name for m in ALL_MODELS}
    for use in grants.tables:
        if use.model.Meta.table_name not in known:
            raise TemplateError(f"{name} uses {use.model.__name__}, which is not in ALL_MODELS")
        missing = set(use.indexes) - index_names(use.model)
        if missing:
            raise TemplateError(f"{name} queries {sorted(missing)} on {use.model.__name__}, which has no such index")
    readers = [get_att(table_logical_id(u.model)) for u in grants.tables if u.read and not u.write]
    writers = [get_att(table_logical_id(u.model)) for u in grants.tables if u.write]
    indexes = [index_arn(u.model, i) for u in grants.tables for i in u.indexes]
    scanned = [get_att(table_logical_id(u.model)) for u in grants.tables if u.scan]
    described = [get_att(table_logical_id(u.model)) for u in grants.tables if u.describe or u.scan]
    if readers:
        statements.append({"Sid": "ReadTables", "Effect": "Allow", "Action": list(READ_ACTIONS),
                           "Resource": readers})
    if writers:
        statements.append({"Sid": "ReadWriteTables", "Effect": "Allow",
                           "Action": sorted(set(READ_ACTIONS) | set(WRITE_ACTIONS)), "Resource": writers})
    if indexes:
        statements.append({"Sid": "QueryIndexes", "Effect": "Allow", "Action": list(INDEX_ACTIONS),
                           "Resource": indexes})
    if scanned:
        statements.append({"Sid": "ScanTables", "Effect": "Allow", "Action": list(SCAN_ACTIONS),
                           "Resource": scanned})
    if described:
        statements.append({"Sid": "DescribeTables", "Effect": "Allow", "Action": list(DESCRIBE_ACTIONS),
                           "Resource": described})
    for queue in grants.sends:
        if queue not in QUEUES:
            raise TemplateError(f"{name} sends to {queue!r}, which is not in QUEUES")
    if grants.sends:
        statements.append({"Sid": "SendMessages", "Effect": "Allow", "Action": list(SEND_ACTIONS),
                           "Resource": [get_att(queue_logical_id(q)) for q in grants.sends]})
    if consumed_queue:
        statements.append({"Sid": "ConsumeQueue", "Effect": "Allow", "Action": list(CONSUME_ACTIONS),
                           "Resource": [get_att(queue_logical_id(consumed_queue))]})
    return statements


# --- assembly -------------------------------------------------------------------------------

@dataclass(frozen=True)
class FunctionInfo:
    """One Lambda function of the app, and what triggers it: a queue (its key in ``QUEUES``), a schedule, or neither."""

    name: str
    logical_id: str
    queue_key: str | None = None
    schedule: str | None = None


def app_functions(app: Chalice) -> list[FunctionInfo]:
    """Every Lambda function Chalice makes for ``app``: the API handler, consumers and schedules."""
    functions = [FunctionInfo(API_FUNCTION, API_LOGICAL_ID)]
    for source in app.event_sources:
        if isinstance(source, SQSEventConfig):
            if source.queue_arn or not source.queue:
                raise TemplateError(f"{source.name}: name the queue (queue=...), the template makes it")
            key = queue_key_of(source.queue)
            functions.append(FunctionInfo(source.name, function_logical_id(source.name), queue_key=key))
        elif isinstance(source, ScheduledEventConfig):
            expression = source.schedule_expression
            text = expression if isinstance(expression, str) else expression.to_string()
            functions.append(FunctionInfo(source.name, function_logical_id(source.name), schedule=text))
        else:
            raise TemplateError(f"{source.name}: {type(source).__name__} event sources are not deployed yet")
    for handler in app.websocket_handlers.values():
        functions.append(FunctionInfo(handler.name, function_logical_id(handler.name)))
    return functions


def websocket_resources(resources: dict[str, Any]) -> dict[str, Any]:
    """What Chalice's WebSocket API lacks: the ``$default`` route's response (the handler's reply
    to ``ping`` goes back on it, so the message handler never calls the management API)."""
    if WEBSOCKET_MESSAGE_ROUTE not in resources:
        return {}
    resources[WEBSOCKET_MESSAGE_ROUTE]["Properties"]["RouteResponseSelectionExpression"] = "$default"
    return {"WebsocketMessageRouteResponse": {"Type": "AWS::ApiGatewayV2::RouteResponse", "Properties": {
        "ApiId": {"Ref": WEBSOCKET_API}, "RouteId": {"Ref": WEBSOCKET_MESSAGE_ROUTE}, "RouteResponseKey": "$default"}}}


def websocket_environment(name: str, resources: dict[str, Any]) -> dict[str, Any]:
    """The push worker posts through the API's id and stage; the API hands out its URL with tickets."""
    if WEBSOCKET_API not in resources:
        return {}
    stage = resources[WEBSOCKET_STAGE]["Properties"]["StageName"]
    if name == PUSH_FUNCTION:
        return {"WEBSOCKET_API_ID": {"Ref": WEBSOCKET_API}, "WEBSOCKET_STAGE": stage}
    if name == API_FUNCTION:
        return {"WEBSOCKET_URL": {"Fn::Sub": f"wss://${{{WEBSOCKET_API}}}.execute-api.${{AWS::Region}}"
                                            f".${{AWS::URLSuffix}}/{stage}/"}}
    return {}


def manage_connections_statement() -> dict[str, Any]:
    return {"Sid": "ManageConnections", "Effect": "Allow", "Action": ["execute-api:ManageConnections"],
            "Resource": [{"Fn::Sub": f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:"
                                     f"${{{WEBSOCKET_API}}}/*/*/@connections/*"}]}


def _schedule_event(name: str, expression: str) -> dict[str, Any]:
    # The timezone only matters to crons; rates carry it too so every schedule reads the same way.
    return {"Type": "ScheduleV2", "Properties": {
        "Name": function_name(name), "ScheduleExpression": to_shanghai(expression),
        "ScheduleExpressionTimezone": SHANGHAI, "RetryPolicy": SCHEDULE_RETRY}}


def extend(chalice_template: dict[str, Any], app: Chalice) -> dict[str, Any]:
    """Chalice's SAM template plus tables, queues, auth, alarms and per-function grants."""
    template = copy.deepcopy(chalice_template)
    resources: dict[str, Any] = template["Resources"]
    outputs: dict[str, Any] = template.setdefault("Outputs", {})
    added: dict[str, Any] = {}

    for model in ALL_MODELS:
        added[table_logical_id(model)] = table_resource(model)
        outputs[table_logical_id(model) + "Name"] = {"Value": {"Ref": table_logical_id(model)}}
    for key, spec in QUEUES.items():
        added.update(queue_resources(key, spec))
        outputs[queue_logical_id(key) + "Url"] = {"Value": {"Ref": queue_logical_id(key)}}
        added[dlq_logical_id(key) + "DepthAlarm"] = alarm(
            f"messages are in the {key} dead-letter queue: they failed {spec.max_receive_count} times",
            "AWS/SQS", "ApproximateNumberOfMessagesVisible",
            [{"Name": "QueueName", "Value": get_att(dlq_logical_id(key), "QueueName")}], statistic="Maximum")
    added.update(cognito_resources(resources["RestAPI"]["Properties"].get("StageName", "v1")))
    added.update(websocket_resources(resources))
    added[ALARM_TOPIC] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": f"weitao-{settings.stage}-alarms"}}
    outputs.update({"UserPoolId": {"Value": {"Ref": USER_POOL}},
                    "UserPoolClientId": {"Value": {"Ref": USER_POOL_CLIENT}},
                    "ConsoleUserPoolClientId": {"Value": {"Ref": CONSOLE_CLIENT}},
                    "ConsoleSignInDomain": {"Value": console_domain_url()},
                    "AlarmTopicArn": {"Value": {"Ref": ALARM_TOPIC}}})

    security = template_api(resources)["securityDefinitions"][AUTHORIZER_NAME]
    security["x-amazon-apigateway-authorizer"]["providerARNs"] = [get_att(USER_POOL)]

    for info in app_functions(app):
        function = resources.get(info.logical_id)
        if function is None or function["Type"] != "AWS::Serverless::Function":
            raise TemplateError(f"chalice package made no function {info.logical_id} for {info.name}")
        props = function["Properties"]
        props["FunctionName"] = function_name(info.name)
        props["Environment"]["Variables"]["COGNITO_USER_POOL_ARN"] = get_att(USER_POOL)
        props["Environment"]["Variables"].update(websocket_environment(info.name, resources))
        props["Tracing"] = "Active"  # X-Ray; Powertools' Tracer adds the boto3 and DynamoDB subsegments
        if info.name == "api_handler":  # the web console's Hosted UI sign-in (chalicelib.api.console)
            props["Environment"]["Variables"]["COGNITO_DOMAIN"] = console_domain_url()
        log_group = info.logical_id + "LogGroup"
        added[log_group] = {"Type": "AWS::Logs::LogGroup", "DeletionPolicy": "Delete", "Properties": {
            "LogGroupName": f"/aws/lambda/{function_name(info.name)}", "RetentionInDays": LOG_RETENTION_DAYS}}
        function["DependsOn"] = sorted({*function.get("DependsOn", []), log_group})
        if info.queue_key is not None:
            spec = QUEUES[info.queue_key]
            props["Timeout"] = spec.consumer_timeout_s
            for event in props.get("Events", {}).values():
                if event["Type"] == "SQS":
                    event["Properties"]["Queue"] = get_att(queue_logical_id(info.queue_key))
                    if spec.reports_partial_failures:
                        event["Properties"]["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
        if info.schedule is not None:
            props["Events"] = {to_cfn_resource_name(info.name) + "Schedule": _schedule_event(info.name, info.schedule)}
        added[info.logical_id + "ErrorsAlarm"] = alarm(
            f"{info.name} failed (whole invocations; single failed records show in the dead-letter queues)",
            "AWS/Lambda", "Errors", [{"Name": "FunctionName", "Value": {"Ref": info.logical_id}}])
        role = props["Role"]["Fn::GetAtt"][0]
        document = resources[role]["Properties"]["Policies"][0]["PolicyDocument"]
        document["Statement"] = [*document["Statement"], *grant_statements(info.name, info.queue_key), XRAY_WRITE]
        if info.name == PUSH_FUNCTION:
            document["Statement"].append(manage_connections_statement())
        if info.name == "api_handler":
            document["Statement"].append({"Sid": "FindConsoleClient", "Effect": "Allow", "Resource": get_att(USER_POOL),
                                          "Action": ["cognito-idp:ListUserPoolClients"]})

    parameters, conditions, subscription = alarm_email_resources(ALARM_TOPIC)
    template.setdefault("Parameters", {}).update(parameters)
    template.setdefault("Conditions", {}).update(conditions)
    added.update(subscription)
    added[DASHBOARD] = dashboard_resource(
        "weitao", {key: (queue_logical_id(key), dlq_logical_id(key)) for key in QUEUES},
        [info.logical_id for info in app_functions(app)])

    clash = set(added) & set(resources)
    if clash:
        raise TemplateError(f"logical ids already used by chalice package: {sorted(clash)}")
    resources.update(added)
    return template


def public_routes() -> set[tuple[str, str]]:
    """(path, method) of the routes declared ``public=True`` (no authorizer); import the app first."""
    from chalicelib.api.http import ENDPOINTS

    return {(e.path, e.method.lower()) for e in ENDPOINTS if e.public}


def template_api(resources: dict[str, Any]) -> dict[str, Any]:
    """The Swagger document of Chalice's REST API."""
    return resources["RestAPI"]["Properties"]["DefinitionBody"]
