"""A client generated from ``/openapi.json`` by a well-known generator runs the README's flow.

openapi-python-client (pinned in requirements-dev.txt) generates the client offline from
the document the API serves; the merchant-and-fan flow of the README then runs through
the generated functions and models against the local HTTP server, exactly as a mobile
team's generated SDK would call it.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import requests

from app import app
from chalicelib.auth import issue_dev_token
from local.workers import drain


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The generated package ``weitao_client``, importable."""
    from chalicelib.api.meta import served_document

    root = tmp_path_factory.mktemp("generated")
    (root / "openapi.json").write_text(json.dumps(served_document(None), ensure_ascii=False), "utf-8")
    (root / "config.yaml").write_text("post_hooks: []\n", "utf-8")  # no formatter run: nothing leaves the machine
    generator = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run([str(generator), "generate", "--path", "openapi.json", "--meta", "none",
                             "--output-path", "weitao_client", "--config", "config.yaml"],
                            cwd=root, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    # The only part it may leave out: the SVG chart, which is not JSON.
    output = result.stdout + result.stderr
    warnings = [line for line in output.splitlines() if line.startswith("WARNING parsing")]
    assert warnings == ["WARNING parsing GET /accounts/{account_id}/stats.svg within stats."], output
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module("weitao_client")
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "weitao_client" or m.startswith("weitao_client.")]:
            del sys.modules[name]


def test_the_readme_flow_runs_through_a_generated_client(generated: Any, http_base: str) -> None:
    from weitao_client.api.accounts import create_account, search_accounts
    from weitao_client.api.feed import read_feed
    from weitao_client.api.following import follow
    from weitao_client.api.posts import create_post
    from weitao_client.models import AccountCreate, AccountView, FeedPage, PostsNewProduct, PostView

    merchant = generated.AuthenticatedClient(base_url=http_base, token=issue_dev_token("merchant-1"))
    fan = generated.AuthenticatedClient(base_url=http_base, token=issue_dev_token("fan-1"))

    # Given the merchant opens a shop account
    shop = create_account.sync(client=merchant, body=AccountCreate.from_dict(
        {"handle": "xiaomi_store", "display_name": "小米官方旗舰店", "kind": "merchant", "category": "数码",
         "fan_nickname": "米粉"}))
    assert isinstance(shop, AccountView), shop
    assert shop.display_name == "小米官方旗舰店" and shop.tier.value == "W1"

    # And the fan finds it and follows it
    found = search_accounts.sync(client=fan, q="小米")
    assert [a.account_id for a in found.items] == [shop.account_id]
    followed = follow.sync(shop.account_id, client=fan)
    assert followed.following is True and followed.account.account_id == shop.account_id

    # When the merchant publishes a new product (上新), and retries with the same key
    post = PostsNewProduct.from_dict({"type": "new_product", "format": "nine_grid", "text": "小米14 新色上市 #新品#",
                                      "topics": ["#新品#"], "images": ["https://img.example.com/mi14.jpg"],
                                      "products": ["sku-mi14"]})
    first = create_post.sync_detailed(shop.account_id, client=merchant, body=post, idempotency_key="launch-1")
    retry = create_post.sync(shop.account_id, client=merchant, body=post, idempotency_key="launch-1")
    assert first.status_code == 202 and isinstance(first.parsed, PostView) and first.headers["x-request-id"]
    assert isinstance(retry, PostView) and retry.post_id == first.parsed.post_id

    # Then, once the workers ran moderation and fan-out, it is in the fan's feed
    drain(app)
    feed = read_feed.sync(client=fan, section="new")
    assert isinstance(feed, FeedPage), feed
    assert [(p.post_id, p.handle, p.status.value) for p in feed.items] == [
        (first.parsed.post_id, "xiaomi_store", "published")]
    assert feed.items[0].products == ["sku-mi14"]
    assert requests.get(f"{http_base}/health", timeout=10).headers["X-Request-Id"]
