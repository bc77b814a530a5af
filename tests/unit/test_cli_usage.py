"""The local command lines: usage on --help, the grading CLI's token from the environment."""

from __future__ import annotations

from typing import Any

import pytest

from local import demo, grading


def test_the_demo_prints_its_usage(capsys: pytest.CaptureFixture[str]) -> None:
    # Given the demo's command line
    # When it is run with --help
    with pytest.raises(SystemExit) as exited:
        demo.main(["--help"])

    # Then it exits cleanly after printing its usage
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m local.demo")


def test_the_grading_cli_sends_the_token_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an operator's token in the environment, and an API that answers 403 (so the watch stops)
    monkeypatch.setenv(grading.TOKEN_VARIABLE, "cognito-id-token")
    sent: list[tuple[str, str]] = []

    def call(method: str, url: str, token: str, body: Any = None) -> tuple[int, Any]:
        sent.append((url, token))
        return 403, {"error": {"code": "forbidden", "message": "operators only", "details": []}}

    monkeypatch.setattr(grading, "_call", call)

    # When the CLI runs against a deployed API
    grading.main(["2026-11", "--api", "https://abc.execute-api.ap-southeast-1.amazonaws.com/v1"])

    # Then it called that API with the token it was given
    assert sent == [("https://abc.execute-api.ap-southeast-1.amazonaws.com/v1/ops/grading/runs", "cognito-id-token")]
