"""The console's routes: static files with caching, bundled post schemas, dev tokens, my accounts."""

from __future__ import annotations

import json
import re
from pathlib import Path

from jsonschema import Draft202012Validator

from chalicelib.validation import POST_TYPES
from tests.flows import new_account
from tests.infra.test_lambda_environment import _in_lambda

ROOT = Path(__file__).resolve().parents[2]


def test_the_page_and_its_assets_are_served_with_types_and_cache_headers(api) -> None:
    # Given the console page
    page = api.get("/console")
    assert page.status == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert page.headers["Cache-Control"] == "no-cache" and page.headers["ETag"]
    assert "<html lang=\"zh-CN\">" in page.text
    # Then it names its assets by content hash, and those URLs are immutable
    for name, kind in (("app.js", "text/javascript"), ("app.css", "text/css")):
        version = re.search(rf"/console/{re.escape(name)}\?v=([0-9a-f]{{12}})", page.text).group(1)
        asset = api.get(f"/console/{name}?v={version}")
        assert asset.status == 200 and asset.headers["Content-Type"].startswith(kind)
        assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert asset.text == (ROOT / "chalicelib" / "console" / name).read_text("utf-8")
        # ... an unversioned or stale URL revalidates instead
        assert api.get(f"/console/{name}?v=000000000000").headers["Cache-Control"] == "no-cache"
    # And a revalidation with the current ETag is a 304 without a body
    again = api.get("/console", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status == 304 and again.text == ""
    # And nothing outside the console's files is served
    for path in ("/console/nope.js", "/console/..%2Fapp.py", "/console/%2e%2e"):
        missing = api.get(path)
        assert missing.status == 404 and missing.json["error"]["code"] == "not_found", path


def test_the_page_loads_nothing_from_other_origins() -> None:
    # Given the console's files
    for path in (ROOT / "chalicelib" / "console").iterdir():
        text = path.read_text("utf-8")
        # Then every URL they load is this API's (the Cognito token endpoint is the sign-in, not an asset)
        assert not re.search(r"""(src|href)=["']https?://""", text), path.name
        assert "@import" not in text and "fonts.googleapis" not in text and "cdn" not in text.lower(), path.name


def test_post_schemas_are_served_self_contained_and_accept_the_examples(api) -> None:
    # When the composer asks for the post schemas
    response = api.get("/schemas/posts")
    assert response.status == 200
    body = response.json
    # Then every post type has a schema with no reference left to resolve
    assert body["types"] == list(POST_TYPES)
    assert "$ref" not in json.dumps(body)
    # ... that still means the same: the examples pass and a one-option poll fails at /poll/options
    for post_type in POST_TYPES:
        example = json.loads((ROOT / "schemas" / "examples" / f"{post_type}.json").read_text("utf-8"))
        assert list(Draft202012Validator(body["schemas"][post_type]).iter_errors(example)) == [], post_type
    poll = json.loads((ROOT / "schemas" / "examples" / "poll.json").read_text("utf-8"))
    poll["poll"]["options"] = poll["poll"]["options"][:1]
    errors = list(Draft202012Validator(body["schemas"]["poll"]).iter_errors(poll))
    assert [list(e.absolute_path) for e in errors] == [["poll", "options"]]


def test_local_dev_tokens_sign_in_and_refuse_bad_bodies(api) -> None:
    # Given the local (hs256) run: the console's sign-in form asks for a token
    response = api.post("/local/tokens", {"user_id": "mod-1", "roles": ["moderator"]})
    assert response.status == 201
    token = response.json["token"]
    # Then the token works against the API with its roles
    queue = api.get("/moderation/queue", headers={"Authorization": f"Bearer {token}"})
    assert queue.status == 200
    # And bad bodies are 400s naming the field
    bad = api.post("/local/tokens", {"user_id": "", "roles": ["admin"], "extra": 1})
    assert bad.status == 400
    assert {d["pointer"] for d in bad.json["error"]["details"]} == {"/user_id", "/roles", "/extra"}
    config = api.get("/console/config.json").json
    assert config == {"auth_mode": "hs256", "local_tokens": True, "cognito": None}


def test_there_is_no_dev_token_route_inside_lambda() -> None:
    # When the app is loaded inside Lambda with the prod stage (Cognito)
    result = _in_lambda("from app import app; import json; from chalicelib.api import console; "
                        "from chalicelib.config import settings; print(json.dumps({'routes': sorted(app.routes), "
                        "'local_tokens': console.local_tokens_enabled(), 'auth_mode': settings.auth_mode}))")
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    # Then the route does not exist, and the page is told to use the Hosted UI
    assert "/local/tokens" not in loaded["routes"] and "/console" in loaded["routes"]
    assert loaded["local_tokens"] is False and loaded["auth_mode"] == "cognito"
    # And even a local HS256 setting outside Lambda but flagged as Lambda never gets the route
    from chalicelib.api import console
    from chalicelib.config import settings

    original = settings.auth_mode
    try:
        settings.auth_mode = "cognito"
        assert console.local_tokens_enabled() is False
    finally:
        settings.auth_mode = original


def test_my_accounts_lists_only_the_callers_accounts(api) -> None:
    mine = [new_account(api, "m1"), new_account(api, "m1")]
    new_account(api, "m2")
    response = api.as_user("m1").get("/me/accounts")
    assert response.status == 200
    assert sorted(a["account_id"] for a in response.json["items"]) == sorted(a["account_id"] for a in mine)
    first = api.as_user("m1").get("/me/accounts?limit=1").json
    rest = api.as_user("m1").get(f"/me/accounts?limit=1&cursor={first['next_cursor']}").json
    assert len(first["items"]) == len(rest["items"]) == 1 and first["items"] != rest["items"]
    assert api.get("/me/accounts").status == 401


def test_deployed_the_page_is_told_the_hosted_ui_and_finds_its_app_client_by_name(stack) -> None:
    # Given a user pool (moto) holding the console's app client among others, as the template makes it
    import boto3

    from chalicelib.api import console
    from chalicelib.config import settings

    cognito = boto3.client("cognito-idp", region_name=settings.region)
    pool = cognito.create_user_pool(PoolName="weitao-local-users")["UserPool"]
    cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="weitao-local-mobile")
    wanted = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="weitao-local-console",
                                             AllowedOAuthFlows=["code"])["UserPoolClient"]["ClientId"]
    saved = (settings.auth_mode, settings.cognito_user_pool_arn, settings.cognito_domain)
    try:
        settings.auth_mode, settings.cognito_user_pool_arn = "cognito", pool["Arn"]
        settings.cognito_domain = "https://weitao-local-1.auth.ap-southeast-1.amazoncognito.com"
        # When the page asks how to sign in
        config = console.console_config()
        # Then it gets the Hosted UI and the console's client, and no dev sign-in
        assert config == {"auth_mode": "cognito", "local_tokens": False,
                          "cognito": {"domain": settings.cognito_domain, "client_id": wanted}}
    finally:
        settings.auth_mode, settings.cognito_user_pool_arn, settings.cognito_domain = saved
        console._client_id = None
