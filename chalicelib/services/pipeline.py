"""The asynchronous pipeline: moderation, publication, fan-out and takedown.

Each decision is one conditional transition (store/posts.py) followed by one event
(services/post_events.py) whose subscribers (services/subscribers) do the rest.
Every step is safe to run twice: status changes are conditional on the expected
status, subscribers are idempotent, inbox keys are derived from the post, and
continuation messages are sent once per chunk (``fanout_progress``). SQS delivers at
least once; this makes the effect exactly once.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.delivery_modes import followers_to_deliver, key_millis
from chalicelib.domain.messages import DELETE, PUT, FanoutMessage, ModerationMessage, SwitchFanoutMessage
from chalicelib.domain.moderation.chain import (
    APPROVE,
    REJECT,
    ChainResult,
    Hook,
    PostContent,
    build_chain,
    moderation_config,
    run_chain,
)
from chalicelib.domain.moderation.hooks import SHIPPED_HOOKS
from chalicelib.domain.moderation.strikes import rejection_strike
from chalicelib.domain.posts import (
    FINAL_STATUSES,
    PENDING_REVIEW,
    PUBLISHED,
    QUEUE_MODERATION,
    QUEUE_REVIEW,
    QUEUE_SCHEDULED,
    REJECTED,
    feed_keys_of,
)
from chalicelib.domain.ranking import hot_list_config
from chalicelib.observability import FANOUT_ENTRIES, FANOUT_PAGES, POSTS_HELD, POSTS_REJECTED, count, logger
from chalicelib.services import delivery_switch, fanout, realtime
from chalicelib.services.moderation_chain import chain_services, live_chain_config, strike_for_rejection
from chalicelib.services.post_events import PostHeld, PostPublished, PostRejected, PostRemoved
from chalicelib.services.strikes import SYSTEM
from chalicelib.services.subscribers import emit
from chalicelib.store import audit, fanout_progress, inbox, posts, queues
from chalicelib.store.posts import PostModel, due_posts, get_post

WRITE_SLICE = 250  # at most this many inbox entries built and written by one writer at a time


_built_chain: tuple[tuple[Any, ...], list[Hook]] | None = None


def moderation_chain() -> list[Hook]:
    """The hook chain with the live run-time configuration, rebuilt when the cache read it again."""
    global _built_chain
    used, config = live_chain_config()
    if _built_chain is None or any(a is not b for a, b in zip(_built_chain[0], used, strict=True)):
        _built_chain = (used, build_chain(config, chain_services(), hooks=SHIPPED_HOOKS))
    return _built_chain[1]


def moderate_post(post_id: str) -> str:
    """Load a pending post, run the hook chain, decide, apply one transition, emit what happened.

    Returns what happened. A redelivered message that finds its post already decided
    emits the event again (subscribers are idempotent), so a crash between the
    transition and its subscribers loses nothing.
    """
    post = get_post(post_id, consistent=True)
    if post.status == PUBLISHED:
        emit(PostPublished(post, post.published_at or clock.now()))
        return "already_published"
    if post.status == REJECTED:
        emit(PostRejected(post, clock.now(), reason=post.reject_reason or ""))
    elif post.status == PENDING_REVIEW and post.queue == QUEUE_REVIEW:
        emit(PostHeld(post, clock.now()))
    if post.status != PENDING_REVIEW or post.queue == QUEUE_REVIEW:
        return f"skipped_{post.status}"
    result = run_chain(moderation_chain(), PostContent.from_post(post.post_id, post.account_id, post.content))
    return apply_decision(post, result)


def apply_decision(post: PostModel, result: ChainResult) -> str:
    """The chain's outcome as one transition and its event; ``moved_on`` when the post was decided meanwhile."""
    records = result.as_records()
    if result.outcome == APPROVE:
        return "published" if publish(post, records) else "moved_on"
    now = clock.now()
    # The system's decisions are in the audit trail like a moderator's, written with the change.
    entry = system_decision_entry(post, result)
    if result.outcome == REJECT:
        # Neither a fan's buyer show nor a system post (auto 上新) is the account's violation.
        if not post.fan_submission and not post.system:
            strike_for_rejection(post, result)  # idempotent; before the status change so a redelivery retries it
        if not posts.reject(post, result.reason or "", records, entry=entry):
            return "moved_on"
        count(POSTS_REJECTED, hook=_deciding_hook(result))
        emit(PostRejected(post, now, reason=result.reason or ""))
        return "rejected"
    if not posts.hold_for_review(post, now, records, entry=entry):
        return "moved_on"
    count(POSTS_HELD, hook=_deciding_hook(result))
    emit(PostHeld(post, now))
    return "held_for_review"



def _deciding_hook(result: ChainResult) -> str:
    return result.deciding.hook if result.deciding else "unknown"


def system_decision_entry(post: PostModel, result: ChainResult) -> audit.AuditModel:
    """The audit entry of a hook chain's rejection or hold: actor ``system``, the hook and its reason code."""
    deciding = result.deciding
    hook, code = (deciding.hook, deciding.reason) if deciding else ("chain", None)
    action = "reject" if result.outcome == REJECT else "hold"
    violation = not post.fan_submission and rejection_strike(moderation_config(), result) is not None
    return audit.audit_entry(post.account_id, action, SYSTEM, result.reason or action, clock.now(),
                             post_id=post.post_id, details={"hook": hook, "reason_code": code, "violation": violation})


def publish(post: PostModel, hook_results: list[dict[str, Any]] | None, entry: audit.AuditModel | None = None,
            held_only: bool = False) -> bool:
    """pending_review → published, then ``PostPublished``; False if it was no longer pending.

    ``entry`` (a moderator's approval) is written in the same transaction as the status
    change; ``held_only``: only a post held for review may publish.
    """
    now = clock.now()
    # A fan's buyer show goes on the account's wall, not to followers, until the owner
    # features it (services/buyer_shows.py); other posts get their feed and hot-list keys.
    keys = None if post.fan_submission else feed_keys_of(post.post_id, post.section, now,
                                                         hot_list_config().bucket_shards)
    published = posts.publish(post, now, keys, hook_results, entry=entry, held_only=held_only)
    if published is None:
        return False
    emit(PostPublished(published, now))
    return True


def remove_post(post: PostModel, by: str, reason: str) -> None:
    """Take a post down: it leaves every list at once (its quota slot back if unpublished), then ``post_removed``."""
    previous, key = post.status, post.feed_key
    if previous in FINAL_STATUSES:
        return
    if not posts.remove(post, reason):
        return remove_post(get_post(post.post_id, consistent=True), by, reason)
    logger.info("post removed", post_id=post.post_id, by=by, previous=previous)
    emit(PostRemoved(post, clock.now(), previous=previous, feed_key=key))


def fan_out_chunk(message: FanoutMessage) -> int:
    """Deliver (or retract) one page of followers for a post; returns entries written.

    The page's writes are idempotent and the next page's message is sent at most once
    per chunk (alongside this page's writes, so pages proceed in parallel), so a
    redelivered message neither duplicates entries nor forks the chain of pages. Only
    followers who followed by the post's publication get it (later ones got it by
    backfill, or not at all: the same rule as pulled posts). A post of a pulled account
    is not fanned out (services.delivery_switch); the hybrid switch jobs share this queue.
    """
    if isinstance(message, SwitchFanoutMessage):
        return delivery_switch.switch_chunk(message)
    op, post_id, chunk = message.op, message.post_id, message.chunk
    post = get_post(post_id, consistent=True)
    if op == PUT and post.status != PUBLISHED:
        return 0  # taken down meanwhile: the delete job cleans up, the feed filters the rest
    key = post.feed_key if op == PUT else message.feed_key
    if key is None:
        return 0  # never reached followers' feeds (a fan's buyer show on the wall only)
    if chunk == 0 and op == PUT and not delivery_switch.pushes_posts(post.account_id):
        fanout_progress.mark_pulled(post_id)
        realtime.announce_pulled(post_id)
        return 0  # followers' feeds pull it at read time
    if chunk == 0 and op == DELETE and fanout_progress.was_pulled(post_id):
        return 0  # never pushed; the feed hides (and deletes) the few backfilled copies
    if op == DELETE:
        page = fanout.follower_page(post.account_id, message.after, settings.fanout_page_size)
        users = [user for user, _ in page.members]
        fanout.hand_over(message, page.after, len(users))
        inbox.delete_entries(users, key)
        return len(users)

    # feed.new goes out as the writes land, once per page: a redelivered page of an
    # announced one rewrites its entries but pushes nothing again.
    announcer = None if fanout_progress.was_announced(message.job_id, chunk) else realtime.FeedAnnouncer(post_id)

    def write(part: list[str]) -> None:
        inbox.write_fanout(part, key, post_id, post.account_id, post.section)

    delivered = 0
    to_trim: list[str] = []
    resume = None
    slice_size = min(WRITE_SLICE, math.ceil(settings.fanout_page_size / max(1, settings.fanout_writers)))
    # Roster pages stream in while earlier ones are written (memory stays about one
    # page); the hand-over to the next message runs alongside the last writes, so the
    # next page starts on another worker.
    batches = fanout.follower_batches(post.account_id, message.after, settings.fanout_page_size,
                                      [str(group) for group in post.audience_groups or ()])
    with fanout.SliceWriter(write, settings.fanout_writers, slice_size) as writer:
        while (batch := next(batches, None)) is not None:
            users = followers_to_deliver(batch.members, key_millis(key))
            delivered += len(users)
            to_trim += [u for u in users if inbox.should_trim(u, key)]
            writer.add(users)
            if announcer is not None:  # announced once written: the feed shows what is announced
                announcer.queued(writer.queued, batch.page, users)
                announcer.written(writer.written())
            resume = batch.after
            del batch, users  # only the writer holds them while the next page is read
        writer.run(fanout.hand_over, message, resume, delivered)
    if announcer is not None:
        announcer.flush()
        fanout_progress.mark_announced(message.job_id, chunk)
    for user_id in to_trim:
        inbox.trim_inbox(user_id, settings.inbox_max_entries)
    count(FANOUT_ENTRIES, delivered)
    count(FANOUT_PAGES)
    return delivered


def publish_due_posts() -> dict[str, int]:
    """Schedule tick: move due scheduled posts to moderation, re-send stalled moderation."""
    now = clock.now()
    moved = resent = 0
    for post in due_posts(QUEUE_SCHEDULED, now):
        if posts.start_moderation(post, now + _resend_delay()):
            queues.send("moderation", ModerationMessage(post.post_id).to_json())
            moved += 1
    for post in due_posts(QUEUE_MODERATION, now):
        posts.postpone_moderation(post, now + _resend_delay())
        queues.send("moderation", ModerationMessage(post.post_id).to_json())
        resent += 1
    return {"scheduled_moved": moved, "moderation_resent": resent}


def _resend_delay() -> timedelta:
    return timedelta(seconds=settings.moderation_resend_after_s)
