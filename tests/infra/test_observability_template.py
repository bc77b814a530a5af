"""What operators get from the template: X-Ray on every function, the dashboard, alarm e-mail."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.observability import BUSINESS_METRICS, NAMESPACE
from chalicelib.store.queues import QUEUES
from infra.template import dlq_logical_id, queue_logical_id
from tests.infra.conftest import Built


def _functions(built: Built) -> dict[str, Any]:
    return {k: r for k, r in built.template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def test_every_function_traces_actively_and_may_write_traces(built: Built) -> None:
    functions = _functions(built)
    assert len(functions) >= 5
    for logical_id, function in functions.items():
        assert function["Properties"]["Tracing"] == "Active", logical_id
        role = function["Properties"]["Role"]["Fn::GetAtt"][0]
        statements = built.template["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        assert any("xray:PutTraceSegments" in s["Action"] for s in statements), logical_id


def test_the_dashboard_plots_the_business_metrics_queue_depths_dead_letters_and_errors(built: Built) -> None:
    dashboard = built.template["Resources"]["Dashboard"]
    body, variables = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(body)["widgets"]
    plotted = json.dumps(widgets)
    for name in BUSINESS_METRICS:
        assert f'"{name}"' in plotted or f'\\"{name}\\"' in plotted, name
    assert NAMESPACE in plotted
    for key in QUEUES:  # each queue and its DLQ, by the name CloudFormation gives it
        for logical_id in (queue_logical_id(key), dlq_logical_id(key)):
            assert variables[logical_id] == {"Fn::GetAtt": [logical_id, "QueueName"]}
            assert f"${{{logical_id}}}" in plotted
    for logical_id in _functions(built):
        assert variables[logical_id] == {"Ref": logical_id}


def test_an_alarm_email_is_subscribed_only_when_given(built: Built) -> None:
    assert built.template["Parameters"]["AlarmEmail"]["Default"] == ""
    subscription = built.template["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {"Protocol": "email", "TopicArn": {"Ref": "AlarmTopic"},
                                          "Endpoint": {"Ref": "AlarmEmail"}}
    assert built.template["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
