"""Moderation decisions: an H1 account's held post cannot be approved, an approval and its audit entry
are one write, and a post that ends without publishing gives its day's quota slot back exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from pynamodb.transactions import TransactWrite

from chalicelib.auth import Principal
from chalicelib.domain import clock
from chalicelib.services import moderation
from chalicelib.services.pipeline import moderate_post
from chalicelib.store.audit import AuditModel
from chalicelib.store.posts import quota_count
from tests.flows import follow_all, new_account, nine_grid, publish

MOD = ["moderator"]
HELD_TEXT = "哈哈哈哈哈哈哈哈哈哈哈哈 这批秋冬外套太好看了"  # repeated characters: held for review
BANNED_TEXT = "想要同款加V领券"  # rejected by the banned-words hook


def today() -> str:
    return clock.local_day(clock.now()).isoformat()


def held_post(api, run_workers) -> tuple[str, str]:
    account_id = new_account(api, "m1")["account_id"]
    follow_all(api, account_id, ["f1"])
    post_id = publish(api, "m1", account_id, nine_grid(HELD_TEXT))["post_id"]
    run_workers()
    assert api.as_user("m1").get(f"/posts/{post_id}").json["status"] == "pending_review"
    return account_id, post_id


def trail(api, account_id: str) -> list[tuple[str, str]]:
    items = api.as_user("mod", MOD).get(f"/moderation/audit?account_id={account_id}").json["items"]
    return [(e["action"], e["actor"]) for e in items]


def test_approving_a_held_post_of_an_account_now_in_h1_is_a_409_naming_the_tier(api, run_workers) -> None:
    # Given a held post whose account was then sent to H1
    account_id, post_id = held_post(api, run_workers)
    assert api.as_user("mod", MOD).put(f"/moderation/accounts/{account_id}/blackroom",
                                       {"reason": "引流"}).status == 200

    # When a moderator approves it
    refused = api.as_user("mod", MOD).post(f"/moderation/posts/{post_id}/decision", {"decision": "approve"})
    run_workers()

    # Then it is a 409 naming the tier, and the post stays held, unpublished, undelivered
    assert refused.status == 409 and "H1" in refused.json["error"]["message"]
    assert refused.json["error"]["details"][0]["message"].endswith("H1")
    assert api.as_user("m1").get(f"/posts/{post_id}").json["status"] == "pending_review"
    assert api.as_user("f1").get("/me/feed").json["items"] == []
    assert ("approve", "mod") not in trail(api, account_id)


def test_an_approval_and_its_audit_entry_are_written_together_or_not_at_all(api, run_workers, monkeypatch) -> None:
    # Given a held post, and an audit table that refuses the next entry
    account_id, post_id = held_post(api, run_workers)
    real_save = TransactWrite.save

    def refuse_entries(self, model, *args, **kwargs):
        if isinstance(model, AuditModel):
            raise RuntimeError("audit write failed")
        return real_save(self, model, *args, **kwargs)

    monkeypatch.setattr(TransactWrite, "save", refuse_entries)
    monkeypatch.setattr(AuditModel, "save", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("audit write failed")))

    # When a moderator approves it (called below the HTTP edge: a 500 is not in the API's contract)
    with pytest.raises(RuntimeError, match="audit write failed"):
        moderation.decide(Principal("mod", frozenset(MOD)), post_id, {"decision": "approve"})

    # Then the approval failed as a whole: the post is still held, not published without its entry
    assert api.as_user("m1").get(f"/posts/{post_id}").json["status"] == "pending_review"
    monkeypatch.undo()
    assert api.as_user("mod", MOD).post(f"/moderation/posts/{post_id}/decision",
                                        {"decision": "approve"}).json["status"] == "published"
    assert trail(api, account_id)[0] == ("approve", "mod")


def test_a_hook_rejection_gives_the_slot_back_once_and_is_the_systems_audit_entry(api, run_workers) -> None:
    account_id = new_account(api, "m1")["account_id"]
    post_id = publish(api, "m1", account_id, nine_grid(BANNED_TEXT))["post_id"]
    assert quota_count(account_id, today()) == 1
    run_workers()
    assert api.as_user("m1").get(f"/posts/{post_id}").json["status"] == "rejected"
    assert quota_count(account_id, today()) == 0
    # A redelivered moderation message changes nothing: no second refund, no second entry
    assert moderate_post(post_id) == "skipped_rejected"
    assert quota_count(account_id, today()) == 0
    assert trail(api, account_id) == [("reject", "system")]


def test_a_moderators_rejection_gives_the_slot_back(api, run_workers) -> None:
    account_id, post_id = held_post(api, run_workers)
    assert quota_count(account_id, today()) == 1
    decision = {"decision": "reject", "reason": "刷屏"}
    answers = [api.as_user("mod", MOD).post(f"/moderation/posts/{post_id}/decision", decision) for _ in range(2)]
    assert [a.status for a in answers] == [200, 409]
    assert quota_count(account_id, today()) == 0


@pytest.mark.parametrize("scheduled", [False, True])
def test_a_post_removed_before_it_published_gives_the_slot_back_exactly_once(api, run_workers,
                                                                             scheduled: bool) -> None:
    # Given a post waiting for moderation, or scheduled for later today's quota day
    account_id = new_account(api, "m1")["account_id"]
    now = clock.now().replace(microsecond=0)
    midnight = clock.local_midnight(clock.local_day(now) + timedelta(days=1))
    extra = {"publish_at": clock.rfc3339(now + (midnight - now) / 2)} if scheduled else {}
    post = publish(api, "m1", account_id, nine_grid("冬季新款羊绒围巾", **extra))
    day = clock.local_day(clock.parse_rfc3339(post["publish_at"])).isoformat() if scheduled else today()
    assert quota_count(account_id, day) == 1

    # When its owner removes it four times at once (retries, two devices)
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: api.as_user("m1").delete(f"/posts/{post['post_id']}").status, range(4)))
    run_workers()

    # Then the slot came back once: the counter is 0, not below
    assert statuses == [204] * 4
    assert quota_count(account_id, day) == 0
