"""Test stack: one embedded moto server per test process, tables and queues from the real models.

The environment must point at moto before anything from ``chalicelib`` is imported, so
the port is chosen here; the server itself starts only for a test outside
``tests/unit`` (pure rules never reach AWS: a call there finds nothing listening).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from local.environment import point_at, start_moto


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


_PORT = _free_port()
ENDPOINT = f"http://127.0.0.1:{_PORT}"
point_at(ENDPOINT)
os.environ.setdefault("LONG_POLL_CAP_S", "0.5")  # fuzzed GET /me/events?wait= must not hold the suite
_UNIT = Path(__file__).resolve().parent / "unit"
_servers: list[Any] = []

from chalice.test import Client  # noqa: E402

from app import app  # noqa: E402
from chalicelib.auth import issue_dev_token  # noqa: E402
from chalicelib.config import settings  # noqa: E402
from chalicelib.domain import clock  # noqa: E402
from chalicelib.services import background, runtime_config  # noqa: E402
from chalicelib.store import queues, read_cache  # noqa: E402
from local.bootstrap import bootstrap  # noqa: E402
from local.workers import drain  # noqa: E402
from tests.contract import app_contract  # noqa: E402


class Response:
    def __init__(self, raw: Any) -> None:
        self.status = raw.status_code
        self.headers = raw.headers
        text = raw.body.decode("utf-8") if raw.body else ""
        self.text = text
        # Every route answers JSON except the stats chart (image/svg+xml).
        is_json = "json" in raw.headers.get("Content-Type", "application/json")
        self.json = json.loads(text) if text and is_json else None

    def __repr__(self) -> str:
        return f"<{self.status} {self.json}>"


class Api:
    """The Chalice test client, speaking JSON as one user."""

    def __init__(self, client: Client, user: str | None, roles: list[str] | None = None) -> None:
        self.client = client
        self.user = user
        self.token = issue_dev_token(user, roles) if user else None

    def as_user(self, user: str, roles: list[str] | None = None) -> Api:
        return Api(self.client, user, roles)

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
             raw: bytes | str | None = None) -> Response:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if self.token:
            all_headers.setdefault("Authorization", f"Bearer {self.token}")
        payload = raw if raw is not None else (json.dumps(body, ensure_ascii=False) if body is not None else None)
        response = Response(getattr(self.client.http, method.lower())(path, headers=all_headers, body=payload))
        # The one place every integration test's response passes: it must conform to /openapi.json.
        violations = app_contract().violations(method, path, response.status, dict(response.headers), response.text)
        assert not violations, "response breaks the OpenAPI document:\n" + "\n".join(violations)
        return response

    def get(self, path: str, **kw: Any) -> Response:
        return self.call("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Response:
        return self.call("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Response:
        return self.call("PUT", path, body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Response:
        return self.call("PATCH", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Response:
        return self.call("DELETE", path, **kw)


def start_moto_once() -> None:
    """Start this process's moto server (on the port the environment already names)."""
    if not _servers:
        _servers.append(start_moto(_PORT)[0])


@pytest.fixture(autouse=True)
def _moto_outside_unit_tests(request: pytest.FixtureRequest) -> None:
    if _UNIT not in Path(str(request.node.path)).resolve().parents:
        start_moto_once()


@pytest.fixture
def stack() -> Iterator[None]:
    """A wiped moto with every table and queue created fresh (and no container caches)."""
    background.flush()  # nothing sent late by the previous test lands in this one
    requests.post(f"{ENDPOINT}/moto-api/reset", timeout=10)
    bootstrap()
    read_cache.clear_all()
    clock.set_now(None)
    runtime_config.forget_cached()  # a fresh container: no run-time configuration read yet
    yield
    clock.set_now(None)


@pytest.fixture
def client(stack: None) -> Iterator[Client]:
    with Client(app, stage_name="local") as test_client:
        yield test_client


@pytest.fixture
def api(client: Client) -> Api:
    return Api(client, None)


@pytest.fixture
def run_workers() -> Any:
    """Drain every queue through the real handlers, as Lambda's event sources would."""
    return lambda: drain(app)


@pytest.fixture(scope="module")
def shared_api() -> Iterator[Api]:
    """A JSON client for a whole test module: tables and queues made if missing, queues emptied.

    Wiping moto and recreating every table takes seconds; worlds have fresh ids, so a
    module can share the tables (with whatever the previous test left) instead. The
    queues are emptied so draining them runs this module's work only.
    """
    sqs = boto3.client("sqs", region_name=settings.region)
    for url in bootstrap().values():
        # Receive-and-delete rather than PurgeQueue, which moto allows once a minute per queue.
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
    clock.set_now(None)
    with Client(app, stage_name="local") as client:
        yield Api(client, None)
    clock.set_now(None)


@pytest.fixture
def sent_twice(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """``sent_twice(queue)``: from then on every message sent to that queue goes out twice (SQS redelivers)."""
    real_send = queues.send

    def duplicate(queue: str) -> None:
        def send_twice(name: str, message: dict[str, Any]) -> None:
            real_send(name, message)
            if name == queue:
                real_send(name, message)

        monkeypatch.setattr(queues, "send", send_twice)

    return duplicate


@pytest.fixture(scope="session")
def _http_server() -> Iterator[str]:
    # The server `make run` serves (local/server.py); creating it rebinds the app's class, so once per process.
    import threading

    from local.server import create_server, local_config

    server = create_server(app, local_config(), "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def http_base(stack: None, _http_server: str) -> str:
    """The app behind Chalice's real local HTTP server on a free loopback port (for concurrency)."""
    return _http_server


def bearer(user: str, roles: list[str] | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_dev_token(user, roles)}", "Content-Type": "application/json"}
