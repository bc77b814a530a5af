"""Comments are content: banned words and spam are refused before a floor is taken; blank comments
and self-follows are refused."""

from __future__ import annotations

import pytest

from tests.flows import new_account, nine_grid, publish


@pytest.fixture
def post_id(api, run_workers) -> str:
    account_id = new_account(api, "owner")["account_id"]
    post = publish(api, "owner", account_id, nine_grid())
    run_workers()
    return post["post_id"]


def comments_of(api, post_id: str) -> list[tuple[int, str]]:
    return [(c["floor"], c["text"]) for c in api.as_user("reader").get(f"/posts/{post_id}/comments").json["items"]]


@pytest.mark.parametrize("text", ["加微信 wx12345 私聊", "便宜货看这里 http://cheap-shop.com/a 速来"])
def test_a_comment_the_content_hooks_refuse_is_a_400_naming_the_reason_and_takes_no_floor(api, post_id,
                                                                                         text) -> None:
    refused = api.as_user("fan").post(f"/posts/{post_id}/comments", {"text": text})
    assert refused.status == 400, refused
    detail = refused.json["error"]["details"][0]
    assert detail["pointer"] == "/text" and detail["reason"] in detail["message"], detail
    # And the next accepted comment takes floor 1: the refused one took nothing
    assert api.as_user("fan").post(f"/posts/{post_id}/comments", {"text": "质量不错"}).json["floor"] == 1
    assert comments_of(api, post_id) == [(1, "质量不错")]


@pytest.mark.parametrize("text", ["\u200b\u200b", "\u200d\ufeff\u2060", " \u3000\u200b\n", "\u0007"])
def test_a_comment_of_only_invisible_characters_is_refused(api, post_id, text: str) -> None:
    refused = api.as_user("fan").post(f"/posts/{post_id}/comments", {"text": text})
    assert refused.status == 400 and refused.json["error"]["details"][0]["pointer"] == "/text"
    assert comments_of(api, post_id) == []


def test_an_owner_cannot_follow_their_own_account(api) -> None:
    account_id = new_account(api, "owner")["account_id"]
    refused = api.as_user("owner").put(f"/me/following/{account_id}")
    assert refused.status == 403 and refused.json["error"]["details"][0]["pointer"] == "/path/account_id"
    assert api.as_user("owner").get(f"/accounts/{account_id}").json["follower_count"] == 0
    assert api.as_user("owner").get("/me/following").json["items"] == []
