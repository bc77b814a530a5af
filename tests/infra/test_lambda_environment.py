"""The code as Lambda loads it: the prod stage's environment, inside a (simulated) Lambda runtime."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from app import app
from tests.infra.conftest import ROOT


def _in_lambda(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    stage = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["prod"]["environment_variables"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ENDPOINT_URL", "AUTH_", "STAGE"))}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**clean, **stage, "AWS_LAMBDA_FUNCTION_NAME": "weitao-prod-api_handler",
                               "COGNITO_USER_POOL_ARN": "arn:aws:cognito-idp:ap-southeast-1:1:userpool/x", **env})


def test_every_handler_loads_inside_lambda_with_the_prod_stage() -> None:
    # Given the handler of every function Chalice deploys (the API app and each event source)
    handlers = ["app.app", *(s.handler_string for s in app.event_sources)]
    imports = "; ".join(f"import importlib; importlib.import_module({h.rsplit('.', 1)[0]!r})" for h in handlers)
    # When they are imported as Lambda would, under the prod stage's variables (AUTH_MODE=cognito)
    result = _in_lambda(imports)
    # Then they load
    assert result.returncode == 0, result.stderr


def test_the_dev_token_mode_refuses_to_load_inside_lambda() -> None:
    # Given a function misconfigured with the local HS256 dev tokens
    # When its code is loaded inside Lambda
    result = _in_lambda("import chalicelib.auth", AUTH_MODE="hs256")
    # Then it fails to start, saying why
    assert result.returncode != 0
    assert "ConfigError: setting AUTH_MODE is 'hs256'" in result.stderr
    assert "must not run inside Lambda" in result.stderr


def test_a_misspelt_auth_mode_stops_the_import_naming_the_setting() -> None:
    # Given a deploy whose AUTH_MODE is "Cognito" (it used to fall back to dev tokens, with no authorizer)
    # When the app is loaded inside Lambda
    result = _in_lambda("import app", AUTH_MODE="Cognito")
    # Then it refuses to start and names the setting and the allowed values
    assert result.returncode != 0
    assert "setting AUTH_MODE must be one of hs256, cognito, not 'Cognito'" in result.stderr


def test_inside_lambda_the_public_dev_secret_is_never_kept() -> None:
    # Given the prod stage inside Lambda, with no AUTH_JWT_SECRET set (so the dev default would apply)
    # When the settings load
    result = _in_lambda("from chalicelib.config import settings, DEV_JWT_SECRET; "
                        "print(settings.auth_mode, repr(settings.jwt_secret))")
    # Then the mode is cognito and the dev secret is not there to sign or verify with
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["cognito", "''"]
