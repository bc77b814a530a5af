"""schemathesis against the served ``/openapi.json``: no 5xx and no status the document does not list.

The document is fetched from the app itself and every operation in it is fuzzed with
schemathesis' positive (valid by the schemas) and negative (invalid) generation, in
process: each case is prepared as the HTTP request it would be and sent through
Chalice's test client. Path parameters are steered towards ids of a real world half
of the time, and the caller is drawn from real users and bad tokens, so cases reach
the rules behind authentication and lookups instead of stopping at 401 and 404.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response as SentResponse
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app import app
from local.workers import drain
from tests.conftest import Api
from tests.security import IDENTITIES, World, given_worlds

MIN_CASES = 1000
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
# Who calls: mostly real users, so cases get past authentication; now and then a bad token.
CALLERS = st.sampled_from(["owner"] * 4 + ["moderator", "operator", "stranger"] * 2 + list(IDENTITIES[:5]))
BASE = "http://weitao.local"


def _known_values(world: World) -> dict[str, list[str]]:
    """Real values for path parameters, by name; other names are left to the generator."""
    return {
        "account_id": [world.account_id, world.stranger_account_id],
        "post_id": [world.published_id, world.draft_id, world.pending_id],
        "user_id": [world.fan, world.users["stranger"]],
        "group": [world.group, world.other_group],
        "label": ["preferred_store", "certified_influencer", "official"],
        "month": ["2024-05", "2024-06"],
    }


def _send(api: Api, case: Any, headers: dict[str, str]) -> SentResponse:
    """The case as the exact HTTP request schemathesis would send, through Chalice's test client."""
    kwargs = case.as_transport_kwargs(base_url=BASE, headers=headers)
    prepared = requests.Request(method=kwargs["method"], url=kwargs["url"], headers=kwargs.get("headers"),
                                params=kwargs.get("params"), data=kwargs.get("data"), json=kwargs.get("json"),
                                files=kwargs.get("files")).prepare()
    body = prepared.body or b""
    raw = api.client.http.request(prepared.method or "GET", prepared.path_url, headers=dict(prepared.headers),
                                  body=body.encode() if isinstance(body, str) else body)
    return SentResponse(status_code=raw.status_code, headers={k: [v] for k, v in raw.headers.items()},
                        content=raw.body or b"", request=prepared, elapsed=0.0, verify=True)


def _strategy(operation: Any, mode: GenerationMode, world: World) -> Any:
    """Half the cases take generated path parameters, half take real ids (fixed before generation,
    so schemathesis still knows which part of a negative case it made invalid)."""
    known = _known_values(world)
    names = [p.name for p in operation.path_parameters if p.name in known]
    generated = operation.as_strategy(generation_mode=mode)
    if not names:
        return generated
    combos = [dict(zip(names, values, strict=True)) for values in itertools.product(*(known[n] for n in names))]
    return st.one_of(generated, st.one_of([operation.as_strategy(generation_mode=mode, path_parameters=combo)
                                           for combo in combos]))


def _negates_auth(case: Any) -> bool:
    data = case.meta.phase.data if case.meta else None
    return any((m.parameter or "").lower() == "authorization" for m in getattr(data, "mutations", ()))


def _fuzz(api: Any, operation: Any, mode: GenerationMode, world: World, examples: int,
          failures: list[str]) -> int:
    """Run ``examples`` generated cases of one operation; returns how many were sent."""
    sent = 0

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=_strategy(operation, mode, world), caller=CALLERS)
    def one_case(case: Any, caller: str) -> None:
        nonlocal sent
        # A negative case may be about the token itself (schemathesis drops or garbles it): keep that.
        response = _send(api, case, {} if _negates_auth(case) else world.headers(caller))
        sent += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            data = case.meta.phase.data if case.meta else None
            failures.append(f"{operation.label} [{mode.value}, as {caller}] → {response.status_code}: "
                            f"{', '.join(sorted({type(f).__name__ for f in group.exceptions}))} "
                            f"({getattr(data, 'description', '')})\n"
                            f"{response.content[:300]!r}\n{case.as_curl_command(base_url=BASE)}")

    started = time.monotonic()
    one_case()
    print(f"{operation.label:70s} {mode.value:8s} {sent:4d} {time.monotonic() - started:5.2f}s")
    return sent


def _modes(operation: Any) -> list[GenerationMode]:
    """Positive always; negative where there is an input to make invalid (not for ``GET /health``)."""
    inputs = [operation.path_parameters, operation.query, operation.headers, operation.body]
    return [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if any(len(i) for i in inputs) else [])


def test_generated_requests_get_no_5xx_and_only_documented_statuses(shared_api: Api) -> None:
    # Given the served OpenAPI document and a world with real accounts, posts and users
    schema = schemathesis.openapi.from_dict(shared_api.get("/openapi.json").json)
    operations = [result.ok() for result in schema.get_all_operations()]
    world = given_worlds(shared_api, lambda: drain(app), 1)[0]
    per_mode = max(10, math.ceil(1.1 * MIN_CASES / (2 * len(operations))))

    # When every operation gets positive and negative generated cases
    failures: list[str] = []
    counts = {op.label: sum(_fuzz(shared_api, op, mode, world, per_mode, failures) for mode in _modes(op))
              for op in operations}

    # Then there were at least 1,000 cases over all operations, and none failed a check
    assert not failures, f"{len(failures)} failing cases, first ones:\n" + "\n\n".join(failures[:8])
    assert sum(counts.values()) >= MIN_CASES, counts
    assert all(count >= 1 for count in counts.values()), counts
