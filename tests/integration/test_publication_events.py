"""Publication is one transition plus one event: a redelivered message replays the event, not its effects."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain import clock
from chalicelib.services.pipeline import moderate_post
from chalicelib.services.post_events import PostEvent
from chalicelib.services.subscribers import SUBSCRIBERS
from chalicelib.store.activity import AccountDayModel
from chalicelib.store.fingerprints import FingerprintModel
from tests.flows import feed_ids, follow_all, new_account, nine_grid, publish

EVENING = datetime(2024, 5, 1, 20, 0, tzinfo=clock.SHANGHAI)


def test_a_redelivered_moderation_message_replays_post_published_and_every_subscriber_is_idempotent(
        api, run_workers) -> None:
    # Given a published post of a shop with one follower
    clock.set_now(lambda: EVENING)
    shop = new_account(api, "m1")
    account_id = shop["account_id"]
    follow_all(api, account_id, ["f1"])
    body = nine_grid("春季新品到店，九十白鸭绒，轻薄保暖，全场包邮欢迎选购")
    post_id = publish(api, "m1", account_id, body)["post_id"]
    run_workers()
    indexed = {(f.index_key, f.entry_key) for f in FingerprintModel.scan()}
    # When its moderation message comes back (a crash after the transition) and the workers run again
    assert moderate_post(post_id) == "already_published"
    run_workers()
    # Then the event ran its subscribers again, and each changed nothing: one count, one index, one entry
    assert int(AccountDayModel.get(account_id, "2024-05-01").posts) == 1
    assert {(f.index_key, f.entry_key) for f in FingerprintModel.scan()} == indexed and indexed
    assert feed_ids(api, "f1") == [post_id]


def test_every_event_a_transition_emits_has_a_row_in_the_subscriber_table() -> None:
    # Given the events the post transitions emit / When the table is read
    # Then each has its row (an empty row is a place for the next capability to subscribe)
    assert set(PostEvent.__subclasses__()) <= set(SUBSCRIBERS)
