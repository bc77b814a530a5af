"""Run-time configuration: moderators and operators change rules through the API; every function follows within 60 s.

The clock is driven instead of sleeping: the per-container cache refreshes a document
once it is 60 seconds old on the platform clock. Who may call each name is in the
authorization matrix (tests/route_table.py rows and variants); here, what each call does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from app import app
from chalicelib.domain import clock
from chalicelib.domain.runtime_config import CACHE_TTL_S
from chalicelib.store.accounts import AccountModel
from chalicelib.store.posts import PostModel
from local.workers import fire_schedule
from tests.flows import article, new_account, nine_grid, publish

MODERATOR = ("mod-1", ["moderator"])
OPERATOR = ("op-1", ["operator"])
START = datetime(2024, 6, 10, 20, 0, tzinfo=clock.SHANGHAI)


class Clock:
    def __init__(self) -> None:
        self.now = START
        clock.set_now(lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def ticking(api) -> Iterator[Clock]:
    yield Clock()
    clock.set_now(None)


def change(api, who: tuple[str, list[str]], name: str, document: dict, version: int | str | None):
    headers = {} if version is None else {"If-Match": str(version)}
    return api.as_user(*who).put(f"/ops/config/{name}", {"document": document}, headers=headers)


def read(api, who: tuple[str, list[str]], name: str) -> dict:
    response = api.as_user(*who).get(f"/ops/config/{name}")
    assert response.status == 200, response
    return response.json


def status_of(api, owner: str, post_id: str) -> tuple[str, str | None]:
    post = api.as_user(owner).get(f"/posts/{post_id}").json
    return post["status"], post["reject_reason"]


def test_a_newly_banned_word_rejects_posts_once_the_cache_has_expired(api, run_workers, ticking: Clock) -> None:
    # Given a merchant whose post with a new scam phrase is published under the bundled lists
    account = new_account(api, "m1")["account_id"]
    first = publish(api, "m1", account, article("今晚八点 拼团暗号 芝麻开门"))["post_id"]
    run_workers()
    assert status_of(api, "m1", first) == ("published", None)

    # When a moderator adds the phrase in a new category
    current = read(api, MODERATOR, "banned_words")
    assert current["version"] == 0  # the bundled default
    words = current["document"]
    words["categories"]["group_buy_scam"] = {"message": "拼团诈骗 (group-buy scam)", "words": ["拼团暗号"]}
    changed = change(api, MODERATOR, "banned_words", words, current["version"])
    assert changed.status == 200, changed
    assert (changed.json["version"], changed.headers["ETag"]) == (1, '"1"')

    # Then the editor reads the new version at once, while the functions keep the cached lists until they expire
    assert read(api, MODERATOR, "banned_words") == {"name": "banned_words", "version": 1, "document": words}
    ticking.advance(CACHE_TTL_S - 1)
    before = publish(api, "m1", account, article("周末特惠 拼团暗号 请私信"))["post_id"]
    run_workers()
    assert status_of(api, "m1", before)[0] == "published"
    ticking.advance(2)
    after = publish(api, "m1", account, article("新一期 拼-团-暗-号 已更新"))["post_id"]
    run_workers()
    status, reason = status_of(api, "m1", after)
    assert status == "rejected" and reason.startswith("group_buy_scam:"), (status, reason)

    # And comments, checked by the API function through the same live lists, are refused too
    refused = api.as_user("fan-1").post(f"/posts/{first}/comments", {"text": "求拼团暗号"})
    assert refused.status == 400 and refused.json["error"]["details"][0]["reason"] == "group_buy_scam", refused


def test_a_stale_or_missing_version_changes_nothing(api) -> None:
    # Given the spam rules changed once by an operator
    rules = read(api, OPERATOR, "spam")["document"]
    stricter = {**rules, "max_links": 1}
    assert change(api, OPERATOR, "spam", stricter, 0).status == 200

    # When another edit still names version 0, names no version, or names something else
    stale = change(api, OPERATOR, "spam", {**rules, "max_links": 9}, '"0"')
    missing = change(api, OPERATOR, "spam", {**rules, "max_links": 9}, None)
    garbled = change(api, OPERATOR, "spam", {**rules, "max_links": 9}, "latest")

    # Then they are a 412 saying the current version, a 428 and a 400, and version 1 is what is stored
    assert stale.status == 412 and stale.json["error"]["code"] == "precondition_failed", stale
    assert stale.json["error"]["details"] == [{"pointer": "/headers/If-Match", "message": "current version is 1"}]
    assert missing.status == 428 and missing.json["error"]["details"][0]["pointer"] == "/headers/If-Match", missing
    assert garbled.status == 400 and garbled.json["error"]["details"][0]["pointer"] == "/headers/If-Match", garbled
    assert read(api, OPERATOR, "spam") == {"name": "spam", "version": 1, "document": stricter}
    # And a weak ETag naming the current version is accepted
    assert change(api, OPERATOR, "spam", rules, 'W/"1"').json["version"] == 2


@pytest.mark.parametrize(("name", "who", "edit", "pointer"), [
    ("banned_words", MODERATOR, lambda d: d["categories"].update({"Fraud!": {"message": "m", "words": ["x"]}}),
     "/document/categories/Fraud!"),
    ("banned_words", MODERATOR, lambda d: d["categories"]["fraud"].update(patterns=[{"name": "p", "regex": "(a"}]),
     "/document/categories/fraud/patterns/0/regex"),
    ("banned_words", MODERATOR, lambda d: d["categories"]["fraud"]["words"].append("加{line}"),
     "/document/categories/fraud/words/11"),
    ("hot_list", OPERATOR, lambda d: d["weights"].update(likes=101), "/document/weights/likes"),
    ("hot_list", OPERATOR, lambda d: d.update(bucket_shards=8), "/document/bucket_shards"),
    ("spam", OPERATOR, lambda d: d["outcomes"].update(link_stuffing="delete"), "/document/outcomes/link_stuffing"),
    ("spam", OPERATOR, lambda d: d.update(max_emoji_share=1.5), "/document/max_emoji_share"),
])
def test_a_document_its_schema_refuses_is_a_400_naming_the_field(shared_api, name, who, edit, pointer) -> None:
    # Given the current document with one bad edit
    before = read(shared_api, who, name)
    document = before["document"]
    edit(document)

    # When it is sent with the right version
    response = change(shared_api, who, name, document, before["version"])

    # Then it is a 400 naming that field, and nothing was stored
    assert response.status == 400, response
    assert pointer in [d["pointer"] for d in response.json["error"]["details"]], response
    assert read(shared_api, who, name)["version"] == before["version"]


def test_an_unknown_name_is_a_404(shared_api) -> None:
    for method in ("GET", "PUT"):
        response = shared_api.as_user("boss", ["moderator", "operator"]).call(
            method, "/ops/config/tiers", {"document": {}} if method == "PUT" else None, headers={"If-Match": "0"})
        assert response.status == 404, response


def test_every_change_is_in_the_audit_trail_with_who_when_and_the_versions(api, ticking: Clock) -> None:
    # Given two changes of the hot-list weights by two operators, a minute apart
    document = read(api, OPERATOR, "hot_list")["document"]
    assert change(api, OPERATOR, "hot_list", {**document, "size": 50}, 0).status == 200
    ticking.advance(60)
    assert change(api, ("op-2", ["operator"]), "hot_list", document, 1).status == 200

    # When a moderator reads the document's trail and one operator's
    trail = api.as_user(*MODERATOR).get("/moderation/audit?account_id=config:hot_list").json["items"]
    by_actor = api.as_user(*MODERATOR).get("/moderation/audit?actor=op-1").json["items"]

    # Then each change is there, newest first, with its actor, time and old → new version
    assert [(e["actor"], e["at"], e["details"]) for e in trail] == [
        ("op-2", clock.rfc3339(START + timedelta(seconds=60)),
         {"name": "hot_list", "old_version": 1, "new_version": 2}),
        ("op-1", clock.rfc3339(START), {"name": "hot_list", "old_version": 0, "new_version": 1}),
    ]
    assert [(e["action"], e["reason"]) for e in by_actor] == [("config_change", "hot_list version 0 → 1")]


def test_the_hot_list_ranks_with_the_live_weights(api, run_workers, ticking: Clock) -> None:
    # Given two W2 posts: one liked 10 times, one commented on 8 times (bundled weights: likes 4, comments 6)
    account = new_account(api, "m2")["account_id"]
    AccountModel(account).update(actions=[AccountModel.tier.set("W2")])
    liked = publish(api, "m2", account, nine_grid("羊毛大衣 上新"))["post_id"]
    commented = publish(api, "m2", account, nine_grid("羽绒服 清仓"))["post_id"]
    run_workers()
    PostModel(liked).update(actions=[PostModel.likes.set(10)])
    PostModel(commented).update(actions=[PostModel.comments.set(8)])
    fire_schedule(app, "hot_list")
    ranked = [item["post_id"] for item in api.as_user("reader").get("/hot").json["items"]]
    assert ranked == [commented, liked]  # 48 vs 40

    # When an operator makes likes weigh more than comments, and the rebuild runs after the cache expired
    document = read(api, OPERATOR, "hot_list")["document"]
    document["weights"].update(likes=10, comments=1)
    assert change(api, OPERATOR, "hot_list", document, 0).status == 200
    ticking.advance(CACHE_TTL_S)
    fire_schedule(app, "hot_list")

    # Then the order follows the new weights (100 vs 8)
    assert [item["post_id"] for item in api.as_user("reader").get("/hot").json["items"]] == [liked, commented]
