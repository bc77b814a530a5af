"""Least privilege that works: every AWS call the real handlers make is allowed by their function's deployed role.

The routes come from the ``ENDPOINTS`` registry and are called the way
tests/route_table.py says a permitted caller calls them; then every queue is drained
through its consumer and every schedule fired. Each DynamoDB and SQS call is
recorded with the function that made it (``api_handler`` for routes, the consumer or
schedule name otherwise) and checked against that function's role in the built,
SAM-expanded template. A call the role does not allow would be an AccessDenied in
production: add the grant in infra/access.py.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import botocore.client
import pytest
import requests
from chalice.app import ScheduledEventConfig, SQSEventConfig
from chalice.test import Client

from app import app
from chalicelib.api.http import ENDPOINTS
from chalicelib.config import Settings, settings
from chalicelib.domain import clock
from chalicelib.services import runtime_config
from chalicelib.store.queues import QUEUES
from chalicelib.store.tables import ALL_MODELS
from infra.checks import ACCOUNT, resolve
from infra.iam_audit import Need, allows, needs
from infra.template import function_logical_id
from local.bootstrap import bootstrap
from local.cron import cron_matches
from local.workers import drain, fire_schedule
from tests.conftest import ENDPOINT, Api
from tests.flows import article, new_account, nine_grid
from tests.infra.conftest import REGION, Built, Pipeline
from tests.route_table import ROUTES, path_for, route_key
from tests.security import USERS, World, given_worlds

CURRENT = contextvars.ContextVar[str | None]("function", default=None)
PROD = Settings(stage="prod")


@dataclass
class Recorder:
    calls: dict[str, set[Need]] = field(default_factory=dict)

    def record(self, service: str, operation: str, params: dict[str, Any]) -> None:
        function = CURRENT.get()
        if function is not None:
            self.calls.setdefault(function, set()).update(needs(service, operation, params))


class AuditedApi(Api):
    """The JSON test client, with every call attributed to the API's Lambda function."""

    def as_user(self, user: str, roles: list[str] | None = None) -> AuditedApi:
        return AuditedApi(self.client, user, roles)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        token = CURRENT.set("api_handler")
        try:
            return super().call(*args, **kwargs)
        finally:
            CURRENT.reset(token)


def _attributed(name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    def run(event: Any, context: Any) -> Any:
        token = CURRENT.set(name)
        try:
            return handler(event, context)
        finally:
            CURRENT.reset(token)

    return run


def _exercise_every_route(api: AuditedApi) -> list[str]:
    """Call each route as a permitted caller; routes of one method share a world, a failure retries on its own."""
    served = sorted({route_key(d.method, d.path) for d in ENDPOINTS})
    routed = [key for key in served if key in ROUTES]
    methods = sorted({key.split(" ", 1)[0] for key in routed})
    shared = dict(zip(methods, given_worlds(api, lambda: drain(app), len(methods)), strict=True))

    def call(key: str, world: World) -> bool:
        rule = ROUTES[key]
        method, path = key.split(" ", 1)
        try:  # a shared world may no longer fit a route's given-step (its assertions say so)
            if rule.given:
                rule.given(api, world)
        except AssertionError:
            return False
        url = path_for(path, rule, world)
        callers = [who for who in USERS if who in rule.allow] or ["anonymous"]
        statuses = [api.call(method, url, rule.body(world) if rule.body else None,
                             headers=rule.headers_for(world, who)).status for who in callers]
        return all(200 <= s < 300 for s in statuses)

    missed = [key for key in routed if not call(key, shared[key.split(" ", 1)[0]])]
    retried = [key for key in missed if not call(key, given_worlds(api, lambda: drain(app), 1)[0])]
    return [key for key in served if key not in ROUTES] + retried


def _exercise_what_the_route_table_leaves_out(api: AuditedApi) -> None:
    """Paths no single route call takes: idempotent creates, sections, a due schedule, a rejection."""
    merchant, fans = "audit-merchant", ["audit-fan-1", "audit-fan-2"]
    account = new_account(api, merchant)["account_id"]
    for fan in fans:
        api.as_user(fan).put(f"/me/following/{account}")
    owner = api.as_user(merchant)
    owner.post(f"/accounts/{account}/posts", nine_grid(), headers={"Idempotency-Key": "audit-1"})
    owner.post(f"/accounts/{account}/posts", article("想要优惠的加微信 abc123，还能刷单返现"))
    later = clock.now() + timedelta(hours=1)
    owner.post(f"/accounts/{account}/posts", {**article("定时发布"), "publish_at": clock.rfc3339(later)})
    drain(app)
    for section in ("all", "new", "video"):
        api.as_user(fans[0]).get(f"/me/feed?section={section}")
    _fire_every_schedule_when_due(later + timedelta(minutes=1))


def _next_firing(expression: str, start: datetime) -> datetime:
    """The first minute at or after ``start`` when the schedule fires (a rate fires at once)."""
    if not expression.startswith("cron("):
        return start
    minute = start.replace(second=0, microsecond=0)
    for step in range(60 * 24 * 62):
        at = minute + timedelta(minutes=step)
        if cron_matches(expression, at.replace(tzinfo=None)):
            return at
    raise AssertionError(f"{expression} does not fire within two months")


def _fire_every_schedule_when_due(start: datetime) -> None:
    """Fire each schedule with the clock at its next firing time (a monthly job runs on its day)."""
    for source in app.event_sources:
        if isinstance(source, ScheduledEventConfig):
            expression = source.schedule_expression
            at = _next_firing(expression if isinstance(expression, str) else expression.to_string(), start)
            clock.set_now(lambda at=at: at)
            fire_schedule(app, source.name)
            drain(app)
    clock.set_now(None)


def _exercise_hybrid_fan_out(api: AuditedApi) -> None:
    """With the pull threshold at one follower: switch an account to pull, read, and switch it back."""
    merchant, fans = "audit-star", ["audit-star-fan-1", "audit-star-fan-2", "audit-star-fan-3"]
    account = new_account(api, merchant)["account_id"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "hybrid_pull_above", 1)
        patch.setattr(settings, "hybrid_push_below", 1)
        for fan in fans:
            api.as_user(fan).put(f"/me/following/{account}")
        drain(app)
        api.as_user(merchant).post(f"/accounts/{account}/posts", nine_grid("明星同款"))
        drain(app)
        for fan in fans:
            api.as_user(fan).get("/me/feed")
        for fan in fans:
            api.as_user(fan).delete(f"/me/following/{account}")
        drain(app)


@dataclass(frozen=True)
class Audit:
    calls: dict[str, set[Need]]
    unexercised: list[str]  # routes with no row in tests/route_table.py, or no 2xx even on a fresh world


@pytest.fixture(scope="module")
def audit(pipeline: Pipeline) -> Iterator[Audit]:
    """Run every route, consumer and schedule once, recording who called what (the build runs meanwhile)."""
    requests.post(f"{ENDPOINT}/moto-api/reset", timeout=10)
    bootstrap()
    clock.set_now(None)
    runtime_config.forget_cached()  # each function's first read of the run-time configuration is recorded
    recorder = Recorder()
    original = botocore.client.BaseClient._make_api_call

    def recording(client: Any, operation: str, params: dict[str, Any]) -> Any:
        recorder.record(client.meta.service_model.endpoint_prefix, operation, params)
        return original(client, operation, params)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
        for source in app.event_sources:
            patch.setitem(app.handler_map, source.name, _attributed(source.name, app.handler_map[source.name]))
        with Client(app, stage_name="local") as client:
            api = AuditedApi(client, None)
            unexercised = _exercise_every_route(api)
            drain(app)
            _exercise_what_the_route_table_leaves_out(api)
            _exercise_hybrid_fan_out(api)
    clock.set_now(None)
    yield Audit(recorder.calls, unexercised)


def _rename() -> dict[str, str]:
    """Local names (the tests') to the template's prod names."""
    names = {m.Meta.table_name: PROD.table(m.Meta.table_name.removeprefix(settings.table(""))) for m in ALL_MODELS}
    for spec in QUEUES.values():
        for name in (spec.name, spec.dlq_name):
            names[name] = PROD.queue(name.removeprefix(settings.queue("")))
    return names


def _role_documents(built: Built, function: str) -> list[dict[str, Any]]:
    lambda_function = built.expanded["Resources"][function_logical_id(function)]
    role = built.expanded["Resources"][lambda_function["Properties"]["Role"]["Fn::GetAtt"][0]]
    return [resolve(p["PolicyDocument"], built.expanded, REGION) for p in role["Properties"]["Policies"]]


def test_every_function_of_the_app_was_exercised(audit: Audit) -> None:
    # Given the run of every route, consumer and schedule
    functions = {"api_handler", *(s.name for s in app.event_sources)}
    # Then each function made AWS calls, so the audit below is not vacuous
    assert sorted(functions - set(audit.calls)) == []


def test_every_call_a_function_made_is_allowed_by_its_deployed_role(built: Built, audit: Audit) -> None:
    # Given the calls each function made and the role the template gives it
    rename = _rename()
    denied = []
    for function, calls in sorted(audit.calls.items()):
        documents = _role_documents(built, function)
        # When each needed permission is looked up in the role's statements
        for need in sorted(calls, key=lambda n: (n.action, n.name, n.index or "")):
            arn = need.arn(REGION, ACCOUNT, rename)
            if not allows(documents, need.action, arn):
                denied.append(f"{function}: {need.action} on {arn}")
    # Then nothing would be denied in production
    assert denied == []


def test_every_consumer_role_lets_its_event_source_poll_its_queue(built: Built) -> None:
    # Given each SQS consumer / Then its role may receive, delete and extend messages of its own queue only
    rename = _rename()
    for source in (s for s in app.event_sources if isinstance(s, SQSEventConfig)):
        documents = _role_documents(built, source.name)
        for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility",
                       "sqs:GetQueueAttributes"):
            assert allows(documents, action, Need(action, "sqs", source.queue).arn(REGION, ACCOUNT, rename))
        others = [s.name for s in QUEUES.values() if s.name != source.queue]
        assert not any(allows(documents, "sqs:ReceiveMessage", Need("", "sqs", q).arn(REGION, ACCOUNT, rename))
                       for q in others)


def test_a_call_outside_the_grants_is_reported_as_denied(built: Built) -> None:
    # Given the moderation consumer's role / When it would delete the posts table it writes to
    documents = _role_documents(built, "moderation_consumer")
    posts = Need("dynamodb:DeleteTable", "dynamodb", settings.table("posts")).arn(REGION, ACCOUNT, _rename())
    # Then the audit calls it denied (the check can fail)
    assert allows(documents, "dynamodb:UpdateItem", posts)
    assert not allows(documents, "dynamodb:DeleteTable", posts)
