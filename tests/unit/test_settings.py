"""Settings are checked when they load: a wrong, unknown or unsafe value names its setting."""

from __future__ import annotations

import pytest

from chalicelib.config import DEV_JWT_SECRET, ConfigError, Settings

LAMBDA = {"AWS_LAMBDA_FUNCTION_NAME": "weitao-prod-api_handler",
          "COGNITO_USER_POOL_ARN": "arn:aws:cognito-idp:ap-southeast-1:1:userpool/x"}


def _load(monkeypatch: pytest.MonkeyPatch, **env: str) -> Settings:
    for name in ("AWS_LAMBDA_FUNCTION_NAME", "AWS_SAM_LOCAL", "AUTH_JWT_SECRET", "COGNITO_USER_POOL_ARN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AUTH_MODE", "hs256")
    monkeypatch.setenv("STAGE", "local")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


@pytest.mark.parametrize(("env", "named"), [
    ({"AUTH_MODE": "Cognito"}, "AUTH_MODE"),
    ({"AUTH_MODE": "HS256"}, "AUTH_MODE"),
    ({"AUTH_MODE": ""}, "AUTH_MODE"),
    ({"AUTH_MODE": "none"}, "AUTH_MODE"),
    ({"FANOUT_PAGE_SIZE": "lots"}, "FANOUT_PAGE_SIZE"),
    ({"FANOUT_PAGE_SIZE": "0"}, "FANOUT_PAGE_SIZE"),
    ({"INBOX_MAX_ENTRIES": "-5"}, "INBOX_MAX_ENTRIES"),
    ({"MAX_BODY_BYTES": "99999999999"}, "MAX_BODY_BYTES"),
    ({"IDEMPOTENCY_TTL_S": "1.5"}, "IDEMPOTENCY_TTL_S"),
    ({"BATCH_BASE_DELAY_S": "nan"}, "BATCH_BASE_DELAY_S"),
    ({"BATCH_BASE_DELAY_S": "-1"}, "BATCH_BASE_DELAY_S"),
    ({"HYBRID_PULL_ABOVE": "100", "HYBRID_PUSH_BELOW": "100"}, "HYBRID_PUSH_BELOW"),
    ({"STAGE": "Prod Stage"}, "STAGE"),
    ({"AUTH_JWT_SECRET": "short"}, "AUTH_JWT_SECRET"),
])
def test_a_bad_value_is_refused_naming_its_setting(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                                   named: str) -> None:
    # Given one setting with a value of the wrong type, out of range or unknown
    # When the settings load
    with pytest.raises(ConfigError) as refused:
        _load(monkeypatch, **env)
    # Then loading stops with an error that names that setting
    assert refused.value.setting == named and f"setting {named} " in str(refused.value)


def test_inside_lambda_only_cognito_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a Lambda runtime configured for dev tokens
    # When the settings load / Then they are refused
    with pytest.raises(ConfigError, match="AUTH_MODE is 'hs256'"):
        _load(monkeypatch, **LAMBDA, AUTH_MODE="hs256")
    # And given cognito without the pool's ARN
    with pytest.raises(ConfigError, match="COGNITO_USER_POOL_ARN"):
        _load(monkeypatch, AWS_LAMBDA_FUNCTION_NAME="f", AUTH_MODE="cognito")
    # Then cognito with its pool loads, with the public dev secret dropped
    loaded = _load(monkeypatch, **LAMBDA, AUTH_MODE="cognito")
    assert loaded.auth_mode == "cognito" and loaded.jwt_secret == ""


def test_local_runs_keep_the_dev_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a local run: stage local, no Lambda variables, no secret or page size set
    # When the settings load
    loaded = _load(monkeypatch)

    # Then they are the dev defaults: hs256 with the dev secret, and the default fan-out page and retry delay
    assert loaded.auth_mode == "hs256" and loaded.jwt_secret == DEV_JWT_SECRET
    assert loaded.fanout_page_size == 10_000 and loaded.batch_base_delay_s == 0.02


@pytest.mark.parametrize("name", ["SUGGESTION_ACCOUNTS_PER_SHARD", "SUGGESTION_MAX_SHARDS", "SUGGESTION_READ_THREADS"])
def test_the_related_accounts_job_settings_are_bounded(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    # Given a related-accounts job setting of 0
    overrides = {name: "0"}

    # When the settings load
    with pytest.raises(ConfigError) as refused:
        _load(monkeypatch, **overrides)

    # Then they are refused naming that setting
    assert refused.value.setting == name
