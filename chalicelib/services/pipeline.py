"""The asynchronous pipeline: moderation, publication, fan-out and takedown.

Every step is safe to run twice: status changes are conditional on the expected
status, inbox keys are derived from the post, and continuation messages are sent
once per chunk (``fanout_progress``). SQS delivers at least once; this makes the
effect exactly once.
"""

from __future__ import annotations

import math
from datetime import timedelta
from functools import lru_cache
from typing import Any

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.hybrid import followers_to_deliver, key_millis
from chalicelib.domain.moderation.chain import (
    APPROVE,
    REJECT,
    ChainResult,
    Hook,
    PostContent,
    build_chain,
    load_chain_config,
    run_chain,
)
from chalicelib.domain.moderation.strikes import rejection_strike
from chalicelib.domain.posts import feed_key
from chalicelib.domain.ranking import hot_list_config, recent_bucket
from chalicelib.observability import FANOUT_ENTRIES, FANOUT_PAGES, POSTS_HELD, POSTS_REJECTED, count, logger
from chalicelib.services import activity, fanout, hybrid
from chalicelib.services.moderation_chain import chain_config, chain_services, index_published, strike_for_rejection
from chalicelib.services.strikes import SYSTEM
from chalicelib.store import audit, fanout_progress, inbox, queues
from chalicelib.store.posts import PostModel, due_posts, get_post, queue_time, transition

PUT, DELETE = "put", "delete"
WRITE_SLICE = 250  # at most this many inbox entries built and written by one writer at a time


@lru_cache(maxsize=1)
def moderation_chain() -> list[Hook]:
    return build_chain(load_chain_config(), chain_services())


def moderate_post(post_id: str) -> str:
    """Run the hook chain on a pending post and act on the outcome; returns what happened."""
    post = get_post(post_id, consistent=True)
    if post.status == "published":
        start_fan_out(post)  # a redelivery after a crash between publish and send
        return "already_published"
    if post.status != "pending_review" or post.queue == "review":
        return f"skipped_{post.status}"
    result = run_chain(moderation_chain(), PostContent.from_post(post.post_id, post.account_id, post.content))
    return apply_decision(post, result)


def apply_decision(post: PostModel, result: ChainResult) -> str:
    records = result.as_records()
    if result.outcome == APPROVE:
        return "published" if publish(post, records) else "moved_on"
    # The system's decisions are in the audit trail like a moderator's, written with the change.
    entry = system_decision_entry(post, result)
    if result.outcome == REJECT:
        if not post.fan_submission:  # a fan's buyer show is not the account's violation
            strike_for_rejection(post, result)  # idempotent; before the status change so a redelivery retries it
        moved = transition(post, "pending_review", [
            PostModel.status.set("rejected"), PostModel.reject_reason.set(result.reason),
            PostModel.hook_results.set(records), PostModel.queue.remove(), PostModel.queue_at.remove()],
            entry=entry, refund=True)
        if moved:
            count(POSTS_REJECTED, hook=_deciding_hook(result))
        return "rejected" if moved else "moved_on"
    moved = transition(post, "pending_review", [
        PostModel.queue.set("review"), PostModel.queue_at.set(queue_time(clock.now())),
        PostModel.hook_results.set(records)],
        entry=entry, condition=PostModel.queue == "moderation")  # a redelivered hold writes no second entry
    if moved:
        count(POSTS_HELD, hook=_deciding_hook(result))
    return "held_for_review" if moved else "moved_on"


def _deciding_hook(result: ChainResult) -> str:
    return result.deciding.hook if result.deciding else "unknown"


def system_decision_entry(post: PostModel, result: ChainResult) -> audit.AuditModel:
    """The audit entry of a hook chain's rejection or hold: actor ``system``, the hook and its reason code."""
    deciding = result.deciding
    hook, code = (deciding.hook, deciding.reason) if deciding else ("chain", None)
    action = "reject" if result.outcome == REJECT else "hold"
    return audit.audit_entry(post.account_id, action, SYSTEM, result.reason or action, clock.now(),
                             post_id=post.post_id, details={"hook": hook, "reason_code": code,
                                                            "violation": not post.fan_submission
                                                            and rejection_strike(chain_config(), result) is not None})


def publish(post: PostModel, hook_results: list[dict[str, Any]] | None, entry: audit.AuditModel | None = None,
            condition: Any = None) -> bool:
    """Mark the post published and start its fan-out; False if it was no longer pending.

    ``entry`` (a moderator's approval) is written in the same transaction as the status
    change; ``condition`` narrows which pending posts may publish (held for review).
    """
    now = clock.now()
    actions = [PostModel.status.set("published"), PostModel.published_at.set(now),
               PostModel.queue.remove(), PostModel.queue_at.remove()]
    # A fan's buyer show goes on the account's wall, not to followers, until the owner
    # features it (services/buyer_shows.py); other posts get their feed and hot-list keys.
    actions += ([PostModel.wall_account.set(post.account_id)] if post.fan_submission else
                [PostModel.feed_key.set(feed_key(now, post.post_id)),
                 PostModel.section_feed_key.set(f"{post.section}#{feed_key(now, post.post_id)}"),
                 PostModel.recent_bucket.set(recent_bucket(now, post.post_id, hot_list_config().bucket_shards))])
    if hook_results is not None:
        actions.append(PostModel.hook_results.set(hook_results))
    if not post.fan_submission:
        index_published(post)  # idempotent; before the status change so a redelivery retries it
    if not transition(post, "pending_review", actions, entry=entry, condition=condition):
        stored = get_post(post.post_id, consistent=True)
        if not (stored.status == "published" and stored.published_at == now):
            return False
        post = stored  # this very write landed but its answer was lost (applied, then a 500 retried)
    activity.record_publication(post, now)
    start_fan_out(post)
    return True


def start_fan_out(post: PostModel) -> None:
    if post.feed_key is None:
        return  # a fan's buyer show on the wall reaches followers only once featured
    queues.send("fanout", {"op": PUT, "post_id": post.post_id, "chunk": 0, "after": None})


def remove_post(post: PostModel, by: str, reason: str) -> None:
    """Take a post down: it leaves every list at once and every inbox through fan-out."""
    previous, key = post.status, post.feed_key
    if previous in ("removed", "rejected"):
        return
    # Removed before it published: the slot goes back with the status change, exactly once.
    if not transition(post, previous, [PostModel.status.set("removed"), PostModel.feed_key.remove(),
                                       PostModel.section_feed_key.remove(),
                                       PostModel.reject_reason.set(reason),
                                       PostModel.queue.remove(), PostModel.queue_at.remove()],
                      refund=previous in ("scheduled", "pending_review")):
        return remove_post(get_post(post.post_id, consistent=True), by, reason)
    logger.info("post removed", post_id=post.post_id, by=by, previous=previous)
    if previous == "published":
        queues.send("fanout", {"op": DELETE, "post_id": post.post_id, "chunk": 0, "after": None,
                               "feed_key": key})


def fan_out_chunk(message: dict[str, Any]) -> int:
    """Deliver (or retract) one page of followers for a post; returns entries written.

    The page's writes are idempotent and the next page's message is sent at most once
    per chunk (alongside this page's writes, so pages proceed in parallel), so a
    redelivered message neither duplicates entries nor forks the chain of pages. Only
    followers who followed by the post's publication get it (later ones got it by
    backfill, or not at all: the same rule as pulled posts). A post of a pulled account
    is not fanned out (services.hybrid); the hybrid switch jobs share this queue.
    """
    if message["op"] in hybrid.JOB_OPS:
        return hybrid.switch_chunk(message)
    op, post_id, chunk = message["op"], message["post_id"], int(message["chunk"])
    post = get_post(post_id, consistent=True)
    if op == PUT and post.status != "published":
        return 0  # taken down meanwhile: the delete job cleans up, the feed filters the rest
    key = post.feed_key if op == PUT else message["feed_key"]
    if chunk == 0 and op == PUT and not hybrid.pushes_posts(post.account_id):
        fanout_progress.mark_pulled(post_id)
        return 0  # followers' feeds pull it at read time
    if chunk == 0 and op == DELETE and fanout_progress.was_pulled(post_id):
        return 0  # never pushed; the feed hides (and deletes) the few backfilled copies
    job = f"{op}#{post_id}"
    if op == DELETE:
        page = fanout.follower_page(post.account_id, message.get("after"), settings.fanout_page_size)
        users = [user for user, _ in page.members]
        fanout.hand_over(job, chunk, message, page.after, len(users))
        inbox.delete_entries(users, key)
        return len(users)

    def write(part: list[str]) -> None:
        inbox.write_entries([inbox.inbox_entry(u, key, post_id, post.account_id, post.section) for u in part])

    delivered = 0
    to_trim: list[str] = []
    resume = None
    slice_size = min(WRITE_SLICE, math.ceil(settings.fanout_page_size / max(1, settings.fanout_writers)))
    # Roster pages stream in while earlier ones are written (memory stays about one
    # page); the hand-over to the next message runs alongside the last writes, so the
    # next page starts on another worker.
    batches = fanout.follower_batches(post.account_id, message.get("after"), settings.fanout_page_size,
                                      [str(group) for group in post.audience_groups or ()])
    with fanout.SliceWriter(write, settings.fanout_writers, slice_size) as writer:
        while (batch := next(batches, None)) is not None:
            users = followers_to_deliver(batch.members, key_millis(key))
            delivered += len(users)
            to_trim += [u for u in users if inbox.should_trim(u, key)]
            writer.add(users)
            resume = batch.after
            del batch, users  # only the writer holds them while the next page is read
        writer.run(fanout.hand_over, job, chunk, message, resume, delivered)
    for user_id in to_trim:
        inbox.trim_inbox(user_id, settings.inbox_max_entries)
    count(FANOUT_ENTRIES, delivered)
    count(FANOUT_PAGES)
    return delivered


def publish_due_posts() -> dict[str, int]:
    """Schedule tick: move due scheduled posts to moderation, re-send stalled moderation."""
    now = clock.now()
    moved = resent = 0
    for post in due_posts("scheduled", now):
        if transition(post, "scheduled", [
                PostModel.status.set("pending_review"),
                PostModel.queue.set("moderation"),
                PostModel.queue_at.set(queue_time(now + _resend_delay()))]):
            queues.send("moderation", {"post_id": post.post_id})
            moved += 1
    for post in due_posts("moderation", now):
        post.update(actions=[PostModel.queue_at.set(queue_time(now + _resend_delay()))])
        queues.send("moderation", {"post_id": post.post_id})
        resent += 1
    return {"scheduled_moved": moved, "moderation_resent": resent}


def _resend_delay() -> timedelta:
    return timedelta(seconds=settings.moderation_resend_after_s)
