"""Moderation end to end: the review queue, decisions, takedowns, strikes, H1 and plagiarism on moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app import app
from chalicelib.domain import clock
from chalicelib.domain.cursor import cursor_scope, encode_cursor
from chalicelib.domain.posts import feed_key
from chalicelib.services.moderation_chain import fingerprint_scheme
from chalicelib.store.batch import batch_write
from chalicelib.store.fingerprints import FingerprintModel
from chalicelib.store.posts import PostModel
from local.workers import fire_schedule
from tests.flows import article, feed_ids, follow_all, new_account, nine_grid, publish

MOD = ["moderator"]
HELD_TEXT = "哈哈哈哈哈哈哈哈哈哈哈哈 这批秋冬外套太好看了"  # repeated characters: held for review
ESSAY = ("今年冬天必入的一件羽绒服！90白鸭绒填充，充绒量足足有200克，零下二十度穿出门也不怕冷。面料防泼水，"
         "下雨下雪都不担心，版型是宽松的面包款，里面可以穿厚毛衣。")


def moderator(api, name: str = "mod-1"):
    return api.as_user(name, MOD)


def post_status(api, owner: str, post_id: str) -> dict:
    response = api.as_user(owner).get(f"/posts/{post_id}")
    assert response.status == 200, response
    return response.json


def audit_actions(api, account_id: str) -> list[tuple[str, str, str | None]]:
    response = moderator(api).get(f"/moderation/audit?account_id={account_id}")
    assert response.status == 200, response
    return [(e["action"], e["actor"], e["post_id"]) for e in response.json["items"]]


def test_a_held_post_waits_in_the_queue_and_reaches_followers_only_after_approval(api, run_workers) -> None:
    # Given an account with followers and two posts the chain holds for review, the older first
    account = new_account(api, "m1")
    follow_all(api, account["account_id"], ["f1", "f2"])
    first = publish(api, "m1", account["account_id"], nine_grid(HELD_TEXT))
    second = publish(api, "m1", account["account_id"], nine_grid("买它！！！！！！！！！！！！ 冬季新款"))
    run_workers()

    # Then both wait: the owner sees why, followers see nothing, the queue lists them oldest first
    held = post_status(api, "m1", first["post_id"])
    assert held["status"] == "pending_review"
    assert any(r["hook"] == "spam" and r["outcome"] == "review" for r in held["moderation"])
    assert feed_ids(api, "f1") == []
    queue = moderator(api).get("/moderation/queue")
    assert queue.status == 200
    assert [p["post_id"] for p in queue.json["items"]] == [first["post_id"], second["post_id"]]
    page = moderator(api).get("/moderation/queue?limit=1")
    rest = moderator(api).get(f"/moderation/queue?limit=1&cursor={page.json['next_cursor']}")
    assert [p["post_id"] for p in page.json["items"] + rest.json["items"]] == [first["post_id"], second["post_id"]]

    # When a moderator approves the first
    approved = moderator(api).post(f"/moderation/posts/{first['post_id']}/decision",
                                   {"decision": "approve", "reason": "正常的用户表达"})
    run_workers()

    # Then it is published and delivered, leaves the queue, and the decision is audited
    assert approved.status == 200 and approved.json["status"] == "published"
    assert approved.json["moderation"][-1]["hook"] == "moderator"
    assert feed_ids(api, "f1") == feed_ids(api, "f2") == [first["post_id"]]
    assert [p["post_id"] for p in moderator(api).get("/moderation/queue").json["items"]] == [second["post_id"]]
    # (newest first: the approval, then the system's two holds)
    assert audit_actions(api, account["account_id"]) == [("approve", "mod-1", first["post_id"]),
                                                         ("hold", "system", second["post_id"]),
                                                         ("hold", "system", first["post_id"])]
    # And deciding it again is a conflict
    again = moderator(api, "mod-2").post(f"/moderation/posts/{first['post_id']}/decision",
                                         {"decision": "reject", "reason": "晚了"})
    assert again.status == 409


def test_a_rejected_held_post_never_reaches_followers_and_is_a_strike(api, run_workers) -> None:
    # Given a held post
    account = new_account(api, "m1")
    follow_all(api, account["account_id"], ["f1"])
    post = publish(api, "m1", account["account_id"], nine_grid(HELD_TEXT))
    run_workers()

    # When a moderator rejects it
    rejected = moderator(api).post(f"/moderation/posts/{post['post_id']}/decision",
                                   {"decision": "reject", "reason": "刷屏内容"})
    run_workers()

    # Then it is rejected with the reason, never delivered, and counts as a strike
    assert rejected.status == 200 and rejected.json["status"] == "rejected"
    owner_view = post_status(api, "m1", post["post_id"])
    assert "刷屏内容" in owner_view["reject_reason"] and owner_view["moderation"][-1]["outcome"] == "reject"
    assert feed_ids(api, "f1") == []
    assert moderator(api).get("/moderation/queue").json["items"] == []
    strikes = moderator(api).get(f"/moderation/accounts/{account['account_id']}/strikes").json
    assert [s["post_id"] for s in strikes["items"]] == [post["post_id"]] and strikes["limit"] == 3
    assert audit_actions(api, account["account_id"]) == [("reject", "mod-1", post["post_id"]),
                                                         ("hold", "system", post["post_id"])]


def test_a_rejection_that_is_not_a_violation_is_no_strike(api, run_workers) -> None:
    # Given a held post
    account = new_account(api, "m1")
    post = publish(api, "m1", account["account_id"], nine_grid(HELD_TEXT))
    run_workers()

    # When a moderator rejects it as no violation
    rejected = moderator(api).post(f"/moderation/posts/{post['post_id']}/decision",
                                   {"decision": "reject", "reason": "图片模糊，请重新上传", "violation": False})

    # Then the post is rejected but the account has no strike
    assert rejected.status == 200 and rejected.json["status"] == "rejected"
    assert moderator(api).get(f"/moderation/accounts/{account['account_id']}/strikes").json["items"] == []


def test_a_takedown_removes_a_delivered_post_from_every_inbox_and_is_audited(api, run_workers) -> None:
    # Given a published post already in two inboxes, and the owner's own second post
    account = new_account(api, "m1")
    follow_all(api, account["account_id"], ["f1", "f2"])
    post = publish(api, "m1", account["account_id"], nine_grid("冬季新款毛呢大衣，限时八折"))
    own = publish(api, "m1", account["account_id"], article("入冬保暖穿搭指南：三件单品搞定通勤"))
    run_workers()
    assert post["post_id"] in feed_ids(api, "f1") and post["post_id"] in feed_ids(api, "f2")

    # When a moderator takes the first down and the owner removes the second
    assert moderator(api).delete(f"/posts/{post['post_id']}").status == 204
    assert api.as_user("m1").delete(f"/posts/{own['post_id']}").status == 204
    run_workers()

    # Then both leave every inbox, and only the moderator's takedown is in the audit trail
    assert feed_ids(api, "f1") == feed_ids(api, "f2") == []
    assert post_status(api, "m1", post["post_id"])["status"] == "removed"
    assert audit_actions(api, account["account_id"]) == [("takedown", "mod-1", post["post_id"])]
    # And taking it down again changes nothing
    assert moderator(api).delete(f"/posts/{post['post_id']}").status == 204
    assert len(audit_actions(api, account["account_id"])) == 1


def test_the_third_violation_sends_the_account_to_h1_and_release_restores_w1(api, run_workers) -> None:
    # Given an account posting three violations in a day
    day = datetime(2024, 6, 18, 2, 0, tzinfo=UTC)
    clock.set_now(lambda: day)
    account = new_account(api, "m1")
    follow_all(api, account["account_id"], ["f1"])
    bad = [publish(api, "m1", account["account_id"], nine_grid(text)) for text in
           ("想要同款加V领券", "招聘兼职刷单，日结", "高仿大牌包包一比一")]

    # When the chain rejects them
    run_workers()

    # Then each is rejected with its reason, and the third strike sent the account to H1, audited as automatic
    reasons = [post_status(api, "m1", p["post_id"])["reject_reason"] for p in bad]
    assert [r.split(":")[0] for r in reasons] == ["off_platform_diversion", "fraud", "prohibited_goods"]
    assert api.as_user("f1").get(f"/accounts/{account['account_id']}").json["tier"] == "H1"
    trail = moderator(api).get(f"/moderation/audit?account_id={account['account_id']}").json["items"]
    sent = [e for e in trail if e["action"] == "blackroom"]
    assert [(e["action"], e["actor"]) for e in sent] == [("blackroom", "system")]
    assert sent[0]["details"]["automatic"] is True and len(sent[0]["details"]["strikes"]) == 3
    # And each of the chain's rejections is in the trail as the system's, with its hook and reason code
    rejections = {e["post_id"]: e for e in trail if e["action"] == "reject"}
    assert set(rejections) == {p["post_id"] for p in bad} and len(trail) == 4
    assert {(e["actor"], e["details"]["hook"], e["details"]["violation"]) for e in rejections.values()} == {
        ("system", "banned_words", True)}
    assert sorted(e["details"]["reason_code"] for e in rejections.values()) == sorted(r.split(":")[0] for r in reasons)
    assert moderator(api).get("/moderation/audit?actor=system").json["items"][0]["account_id"] == account["account_id"]
    # And it cannot publish, being told why
    clock.set_now(lambda: day + timedelta(days=1))
    refused = api.as_user("m1").post(f"/accounts/{account['account_id']}/posts", nine_grid("新品"))
    assert refused.status == 403 and "H1" in refused.json["error"]["message"]

    # When a moderator releases it
    released = moderator(api).delete(f"/moderation/accounts/{account['account_id']}/blackroom")

    # Then it is back in W1 with a clean slate, audited, and publishes again
    assert released.status == 200 and released.json["tier"] == "W1"
    assert moderator(api).get(f"/moderation/accounts/{account['account_id']}/strikes").json["items"] == []
    # (the rejections and the automatic send share one pinned instant, so only the release's place is fixed)
    actions = [e["action"] for e in moderator(api).get(
        f"/moderation/audit?account_id={account['account_id']}").json["items"]]
    assert actions[0] == "release" and sorted(actions[1:]) == ["blackroom", "reject", "reject", "reject"]
    fresh = publish(api, "m1", account["account_id"], nine_grid("冬季新款围巾到货，羊绒混纺"))
    run_workers()
    assert feed_ids(api, "f1") == [fresh["post_id"]]


def test_a_moderator_sends_an_account_to_h1_and_back_with_an_audit_entry_each(api, run_workers) -> None:
    # Given an account with a post scheduled for tomorrow
    account = new_account(api, "m1")
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    scheduled = publish(api, "m1", account["account_id"], nine_grid("明日上新：羊绒开衫",
                                                                    publish_at=clock.rfc3339(tomorrow)))

    # When a moderator sends it to H1 (twice: the second call changes nothing)
    path = f"/moderation/accounts/{account['account_id']}/blackroom"
    sent = moderator(api).put(path, {"reason": "多次引流站外"})
    again = moderator(api, "mod-2").put(path, {"reason": "重复操作"})

    # Then it is in H1 once, and its scheduled post is not published when its time comes
    assert sent.status == again.status == 200 and sent.json["tier"] == again.json["tier"] == "H1"
    clock.set_now(lambda: tomorrow + timedelta(minutes=1))
    fire_schedule(app, "publish_due")
    run_workers()
    held_back = post_status(api, "m1", scheduled["post_id"])
    assert held_back["status"] == "rejected" and held_back["reject_reason"].startswith("account_in_h1")

    # When the moderator releases it, then it is W1 again, and each change has its entry with who and why
    assert moderator(api).delete(path).json["tier"] == "W1"
    entries = moderator(api).get(f"/moderation/audit?account_id={account['account_id']}").json["items"]
    # The system's rejection of the scheduled post is there too (at the same pinned instant as the release)
    [held_entry] = [e for e in entries if e["actor"] == "system"]
    entries.remove(held_entry)
    assert (held_entry["action"], held_entry["actor"], held_entry["post_id"]) == ("reject", "system",
                                                                                  scheduled["post_id"])
    assert held_entry["details"] == {"hook": "account_standing", "reason_code": "account_in_h1", "violation": False}
    assert [(e["action"], e["actor"], e["reason"]) for e in entries] == [
        ("release", "mod-1", "released from H1"), ("blackroom", "mod-1", "多次引流站外")]
    assert entries[1]["details"]["previous_tier"] == "W1" and entries[0]["at"].endswith("+08:00")
    # And the H1 rejection of the scheduled post was no strike
    assert moderator(api).get(f"/moderation/accounts/{account['account_id']}/strikes").json["items"] == []


def test_a_near_copy_of_another_accounts_post_is_rejected_naming_the_original(api, run_workers) -> None:
    # Given one shop's published post
    day = datetime(2024, 6, 18, 2, 0, tzinfo=UTC)
    clock.set_now(lambda: day)
    original_shop, copier = new_account(api, "m1"), new_account(api, "m2")
    original = publish(api, "m1", original_shop["account_id"], article(ESSAY))
    run_workers()
    assert post_status(api, "m1", original["post_id"])["status"] == "published"

    # When another shop posts it with new punctuation, two changed characters and an emoji
    copied = ESSAY.replace("，", " ").replace("必入", "必买").replace("。", "！🔥", 1)
    clock.set_now(lambda: day + timedelta(hours=5))
    copy = publish(api, "m2", copier["account_id"], article(copied))
    run_workers()

    # Then the copy is rejected, its owner sees the reason naming the original, and it is a strike
    seen = post_status(api, "m2", copy["post_id"])
    assert seen["status"] == "rejected" and original["post_id"] in seen["reject_reason"]
    assert seen["reject_reason"].startswith("plagiarism")
    assert any(r["hook"] == "plagiarism" and r["outcome"] == "reject" for r in seen["moderation"])
    assert len(moderator(api).get(f"/moderation/accounts/{copier['account_id']}/strikes").json["items"]) == 1

    # And the original shop reposting its own text two days later is neither plagiarism nor a repeat
    clock.set_now(lambda: day + timedelta(days=2))
    repost = publish(api, "m1", original_shop["account_id"], article(ESSAY))
    run_workers()
    assert post_status(api, "m1", repost["post_id"])["status"] == "published"


def test_the_same_text_twice_in_a_day_is_rejected_as_a_repeat(api, run_workers) -> None:
    # Given a shop that published a text this morning
    day = datetime(2024, 6, 18, 1, 0, tzinfo=UTC)
    clock.set_now(lambda: day)
    shop = new_account(api, "m1")
    publish(api, "m1", shop["account_id"], article(ESSAY))
    run_workers()

    # When it posts the same text again in the afternoon
    clock.set_now(lambda: day + timedelta(hours=6))
    again = publish(api, "m1", shop["account_id"], article(ESSAY + "！"))
    run_workers()

    # Then the second is rejected as a repeat
    assert post_status(api, "m1", again["post_id"])["reject_reason"].startswith("repeated_text")


def test_the_plagiarism_lookup_reads_a_bounded_number_of_keys_whatever_the_posts(api, run_workers) -> None:
    # Given 60 posts of other shops, most of them like the new one, already in the fingerprint index
    scheme = fingerprint_scheme()
    now = datetime.now(UTC)
    seeded = []
    for n in range(60):
        at = now - timedelta(hours=n % 300)
        entry = feed_key(at, f"SEEDED{n:06d}")
        seeded += [FingerprintModel(key, entry, post_id=f"SEEDED{n:06d}", account_id=f"shop-{n % 50}",
                                    expires_at=at + timedelta(days=31))
                   for key in scheme.band_keys(scheme.signature(f"{ESSAY[n % 40:]}第{n}期 编号{n * 7919}"))]
    batch_write(FingerprintModel, seeded)
    shop = new_account(api, "m1")
    client = FingerprintModel._get_connection().connection.client
    calls: list[str] = []

    def count(params, **_):
        calls.append(params.get("TableName", ""))

    client.meta.events.register("before-parameter-build.dynamodb.Query", count)
    try:
        # When a new post goes through moderation
        post = publish(api, "m1", shop["account_id"], article(ESSAY + "今日特价"))
        run_workers()
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb.Query", count)

    # Then the fingerprint table was queried once per band plus once for the exact text, no more
    # (the seeded candidates have no stored post to confirm against, so the post is published)
    assert post_status(api, "m1", post["post_id"])["status"] == "published"
    queried = [t for t in calls if t == FingerprintModel.Meta.table_name]
    assert len(queried) == scheme.bands + 1


def test_moderation_is_for_moderators_and_bad_requests_are_4xx(api, run_workers) -> None:
    # Given an account with a published post
    account = new_account(api, "m1")
    post = publish(api, "m1", account["account_id"], nine_grid("冬季新款毛呢大衣，限时八折"))
    run_workers()
    decision = f"/moderation/posts/{post['post_id']}/decision"

    # Then non-moderators are refused everywhere
    owner = api.as_user("m1")
    assert owner.get("/moderation/queue").status == 403
    assert owner.post(decision, {"decision": "approve"}).status == 403
    assert owner.put(f"/moderation/accounts/{account['account_id']}/blackroom", {"reason": "x"}).status == 403
    assert owner.get(f"/moderation/audit?account_id={account['account_id']}").status == 403
    # And moderators get a clear 4xx for what cannot be done
    mod = moderator(api)
    assert mod.post(decision, {"decision": "approve"}).status == 409  # published, not held
    assert mod.post("/moderation/posts/NOPE/decision", {"decision": "approve"}).status == 404
    missing_reason = mod.post(decision, {"decision": "reject"})
    assert missing_reason.status == 400 and missing_reason.json["error"]["details"][0]["pointer"] == "/reason"
    assert mod.post(decision, {"decision": "maybe", "reason": "x"}).status == 400
    assert mod.put("/moderation/accounts/NOPE/blackroom", {"reason": "x"}).status == 404
    assert mod.put(f"/moderation/accounts/{account['account_id']}/blackroom", {}).status == 400
    assert mod.get("/moderation/audit").status == 400
    assert mod.get("/moderation/audit?account_id=a&actor=b").status == 400
    assert mod.get("/moderation/queue?cursor=bad").status == 400
    foreign = encode_cursor({"account_id": "someone-else", "entry_id": "01J0000000000000000000000"},
                            cursor_scope("/moderation/audit", "mod", account_id="someone-else"))
    assert mod.get(f"/moderation/audit?account_id={account['account_id']}&cursor={foreign}").status == 400
    assert mod.get("/moderation/queue?limit=0").status == 400
    assert PostModel.get(post["post_id"]).status == "published"
