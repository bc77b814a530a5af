"""The CloudWatch dashboard and the alarm e-mail subscription the template adds.

The dashboard shows the business metrics the app writes as EMF (namespace and names
from ``chalicelib.observability``), the depth of every queue and dead-letter queue,
and each function's errors.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.observability import BUSINESS_METRICS, NAMESPACE, POSTS_HELD, POSTS_REJECTED

ALARM_EMAIL_PARAMETER = "AlarmEmail"
HAS_ALARM_EMAIL = "HasAlarmEmail"
DASHBOARD = "Dashboard"
# Metrics written with a `hook` dimension (one series per moderation hook), not the service alone.
_BY_HOOK = (POSTS_REJECTED, POSTS_HELD)


def _widget(title: str, metrics: list[list[Any]], y: int, x: int = 0, stat: str = "Sum") -> dict[str, Any]:
    return {"type": "metric", "x": x, "y": y, "width": 12, "height": 6, "properties": {
        "title": title, "region": "${AWS::Region}", "stat": stat, "period": 300, "view": "timeSeries",
        "metrics": metrics}}


def dashboard_resource(service: str, queues: dict[str, tuple[str, str]], functions: list[str]) -> dict[str, Any]:
    """``queues``: key → (queue logical id, DLQ logical id); ``functions``: function logical ids."""
    counted = [m for m in BUSINESS_METRICS if m not in _BY_HOOK]
    variables: dict[str, Any] = {}
    depth: list[list[Any]] = []
    dead: list[list[Any]] = []
    for queue, dlq in sorted(queues.values()):
        for logical_id, rows in ((queue, depth), (dlq, dead)):
            variables[logical_id] = {"Fn::GetAtt": [logical_id, "QueueName"]}
            rows.append(["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", f"${{{logical_id}}}"])
    errors = []
    for logical_id in functions:
        variables[logical_id] = {"Ref": logical_id}
        errors.append(["AWS/Lambda", "Errors", "FunctionName", f"${{{logical_id}}}"])
    by_hook = [[{"expression": f"SEARCH('{{{NAMESPACE},hook,service}} MetricName=\"{name}\"', 'Sum', 300)",
                 "id": f"h{n}", "label": name}] for n, name in enumerate(_BY_HOOK)]
    widgets = [
        _widget("Posts, quota refusals, fan-out, grading, batches (count / 5 min)",
                [[NAMESPACE, name, "service", service] for name in counted], y=0),
        _widget("Posts rejected and held, by moderation hook", by_hook, y=0, x=12),
        _widget("Queue depth (visible messages)", depth, y=6, stat="Maximum"),
        _widget("Dead-letter queues (failed messages)", dead, y=6, x=12, stat="Maximum"),
        _widget("Function errors", errors, y=12),
    ]
    body = json.dumps({"widgets": widgets}, separators=(",", ":"))
    return {"Type": "AWS::CloudWatch::Dashboard", "Properties": {
        "DashboardName": {"Fn::Sub": "${AWS::StackName}-weitao"},
        "DashboardBody": {"Fn::Sub": [body, variables]}}}


def alarm_email_resources(topic: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(parameters, conditions, resources): an optional e-mail subscription to the alarm topic."""
    parameters = {ALARM_EMAIL_PARAMETER: {
        "Type": "String", "Default": "",
        "Description": "E-mail address that receives the alarms (confirm the subscription mail); empty for none"}}
    conditions = {HAS_ALARM_EMAIL: {"Fn::Not": [{"Fn::Equals": [{"Ref": ALARM_EMAIL_PARAMETER}, ""]}]}}
    resources = {"AlarmEmailSubscription": {
        "Type": "AWS::SNS::Subscription", "Condition": HAS_ALARM_EMAIL,
        "Properties": {"Protocol": "email", "TopicArn": {"Ref": topic}, "Endpoint": {"Ref": ALARM_EMAIL_PARAMETER}}}}
    return parameters, conditions, resources
