"""Idempotency that cannot lock a user out: a crashed create's lock lapses with its invocation."""

from __future__ import annotations

import json
import time

import pytest
import requests
from chalice.config import Config
from chalice.test import TestHTTPClient as HttpClient

from app import app
from chalicelib.store import posts as post_store
from chalicelib.store.idempotency import IdempotencyModel
from chalicelib.store.posts import PostModel
from tests.conftest import bearer
from tests.flows import new_account, nine_grid


class LambdaKilled(BaseException):
    """What a Lambda timeout looks like to the code: it stops, and nothing cleans up after it."""


def _short_lived_client() -> HttpClient:
    # Each invocation may run 2 s, so a killed one's lock lapses 2 s after it began.
    return HttpClient(app, Config.create(chalice_stage="local", lambda_timeout=2))


def _create(client: HttpClient, account_id: str, body: dict, key: str):
    return client.post(f"/accounts/{account_id}/posts", headers={**bearer("m1"), "Idempotency-Key": key},
                       body=json.dumps(body, ensure_ascii=False))


@pytest.mark.parametrize("crash", ["before the write", "after the write"])
def test_a_retry_after_a_crash_creates_the_post_exactly_once_within_seconds(api, monkeypatch, crash) -> None:
    # Given an owner's create that is killed after taking the idempotency lock
    account_id = new_account(api, "m1")["account_id"]
    real_insert = post_store.insert_post

    def killed(post, charge, key):
        if crash == "after the write":
            real_insert(post, charge, key)
        raise LambdaKilled

    monkeypatch.setattr(post_store, "insert_post", killed)
    client = _short_lived_client()
    started, started_ms = time.monotonic(), time.time() * 1000
    with pytest.raises(LambdaKilled):
        _create(client, account_id, nine_grid(), "crash-1")
    monkeypatch.setattr(post_store, "insert_post", real_insert)
    # (the killed call left its lock, which lapses when its 2 s invocation would have ended)
    (record,) = IdempotencyModel.scan()
    raw = IdempotencyModel._get_connection().get_item(record.id)["Item"]
    assert raw["status"]["S"] == "INPROGRESS"
    assert float(raw["in_progress_expiration"]["N"]) <= time.time() * 1000 + 2_000
    assert float(raw["in_progress_expiration"]["N"]) >= started_ms
    # When the client retries with the same key until it is answered
    retried = None
    while time.monotonic() - started < 10:
        retried = _create(client, account_id, nine_grid(), "crash-1")
        if retried.status_code != 409:
            break
        time.sleep(0.25)
    # Then within seconds (not IDEMPOTENCY_TTL_S) the retry succeeds, and there is exactly one post
    assert retried is not None and retried.status_code == 202, retried.body
    assert time.monotonic() - started < 10
    stored = [p for p in PostModel.scan() if p.account_id == account_id]
    assert [p.post_id for p in stored] == [json.loads(retried.body)["post_id"]]
    again = _create(client, account_id, nine_grid(), "crash-1")
    assert json.loads(again.body)["post_id"] == stored[0].post_id


def test_the_lock_lives_only_as_long_as_the_api_invocation(api) -> None:
    # Given the local test client (the local stage's API timeout is API Gateway's 29 s)
    account_id = new_account(api, "m1")["account_id"]
    before_ms = time.time() * 1000
    # When a post is created with a key
    assert api.as_user("m1").post(f"/accounts/{account_id}/posts", nine_grid(),
                                  headers={"Idempotency-Key": "k"}).status == 202
    # Then its idempotency record says the in-progress lock lapses within the invocation's time
    (record,) = IdempotencyModel.scan()
    raw = IdempotencyModel._get_connection().get_item(record.id)["Item"]
    lapses_at = float(raw["in_progress_expiration"]["N"])
    assert before_ms < lapses_at <= before_ms + 29_000 + 2_000


def test_a_buyer_show_resent_with_another_body_is_the_same_409_as_a_post(api) -> None:
    # Given a fan's buyer show sent with a key
    account_id = new_account(api, "m1")["account_id"]
    fan = api.as_user("fan")
    show = {"format": "nine_grid", "text": "面料舒服", "images": ["https://img.example.com/s.jpg"],
            "products": ["sku-1"]}
    path = f"/accounts/{account_id}/buyer-shows"
    first = fan.post(path, show, headers={"Idempotency-Key": "show-1"})
    assert first.status == 202
    # When it is sent again with the same key: the same body returns the first, another body is a 409
    assert fan.post(path, show, headers={"Idempotency-Key": "show-1"}).json["post_id"] == first.json["post_id"]
    changed = fan.post(path, {**show, "text": "换了"}, headers={"Idempotency-Key": "show-1"})
    posted = api.as_user("m1").post(f"/accounts/{account_id}/posts", nine_grid(), headers={"Idempotency-Key": "p"})
    post_changed = api.as_user("m1").post(f"/accounts/{account_id}/posts", nine_grid("换了"),
                                          headers={"Idempotency-Key": "p"})
    assert posted.status == 202
    # Then both answer the same 409, naming the header
    assert changed.status == post_changed.status == 409
    same = ("code", "message", "details")  # each error body also names its own request_id
    assert {k: changed.json["error"][k] for k in same} == {k: post_changed.json["error"][k] for k in same}
    assert changed.json["error"]["details"][0]["pointer"] == "/headers/Idempotency-Key"
    assert len([p for p in PostModel.scan() if p.fan_submission]) == 1


def test_a_non_ascii_key_is_measured_in_characters(http_base, api) -> None:
    # Given the real local HTTP server (it decodes header bytes as latin-1, as HTTP servers do)
    account_id = new_account(api, "m1")["account_id"]
    url = f"{http_base}/accounts/{account_id}/posts"
    body = json.dumps(nine_grid(), ensure_ascii=False).encode()
    # When keys of 128 and 129 Chinese characters are sent as UTF-8 (384 and 387 bytes)
    fits = requests.post(url, data=body, headers={**bearer("m1"), "Idempotency-Key": ("键" * 128).encode()},
                         timeout=30)
    over = requests.post(url, data=body, headers={**bearer("m1"), "Idempotency-Key": ("键" * 129).encode()},
                         timeout=30)
    # Then the limit counts characters: 128 fits, 129 is a 400 naming the header
    assert fits.status_code == 202, fits.text
    # (and the server gave the call a Lambda context of the API's 29 s, so its lock lapses with it)
    (record,) = IdempotencyModel.scan()
    lapses_at = float(IdempotencyModel._get_connection().get_item(record.id)["Item"]["in_progress_expiration"]["N"])
    assert lapses_at <= time.time() * 1000 + 29_000
    assert over.status_code == 400 and over.json()["error"]["details"][0]["pointer"] == "/headers/Idempotency-Key"
    # And the key is stored as the text sent, so a retry finds the first post
    again = requests.post(url, data=body, headers={**bearer("m1"), "Idempotency-Key": ("键" * 128).encode()},
                          timeout=30)
    assert again.json()["post_id"] == fits.json()["post_id"]
    assert post_store.PostKeyModel.get(f"{account_id}#{'键' * 128}").post_id == fits.json()["post_id"]
