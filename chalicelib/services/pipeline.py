"""The asynchronous pipeline: moderation, publication, fan-out and takedown.

Every step is safe to run twice: status changes are conditional on the expected
status, inbox keys are derived from the post, and continuation messages are sent
once per chunk (``fanout_progress``). SQS delivers at least once; this makes the
effect exactly once.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger

from chalicelib.config import settings
from chalicelib.domain import clock
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
from chalicelib.domain.posts import feed_key
from chalicelib.store import fanout_progress, follows, inbox, queues
from chalicelib.store.posts import PostModel, due_posts, get_post, queue_time, refund_quota, transition

logger = Logger(service="weitao-pipeline")
PUT, DELETE = "put", "delete"


@lru_cache(maxsize=1)
def moderation_chain() -> list[Hook]:
    return build_chain(load_chain_config())


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
    if result.outcome == REJECT:
        moved = transition(post, "pending_review", [
            PostModel.status.set("rejected"), PostModel.reject_reason.set(result.reason),
            PostModel.hook_results.set(records), PostModel.queue.remove(), PostModel.queue_at.remove()])
        return "rejected" if moved else "moved_on"
    moved = transition(post, "pending_review", [
        PostModel.queue.set("review"), PostModel.queue_at.set(queue_time(clock.now())),
        PostModel.hook_results.set(records)])
    return "held_for_review" if moved else "moved_on"


def publish(post: PostModel, hook_results: list[dict[str, Any]] | None) -> bool:
    """Mark the post published and start its fan-out; False if it was no longer pending."""
    now = clock.now()
    actions = [PostModel.status.set("published"), PostModel.published_at.set(now),
               PostModel.feed_key.set(feed_key(now, post.post_id)),
               PostModel.queue.remove(), PostModel.queue_at.remove()]
    if hook_results is not None:
        actions.append(PostModel.hook_results.set(hook_results))
    if not transition(post, "pending_review", actions):
        return False
    start_fan_out(post)
    return True


def start_fan_out(post: PostModel) -> None:
    queues.send("fanout", {"op": PUT, "post_id": post.post_id, "chunk": 0, "after": None})


def remove_post(post: PostModel, by: str, reason: str) -> None:
    """Take a post down: it leaves every list at once and every inbox through fan-out."""
    previous, key = post.status, post.feed_key
    if previous in ("removed", "rejected"):
        return
    if not transition(post, previous, [PostModel.status.set("removed"), PostModel.feed_key.remove(),
                                       PostModel.reject_reason.set(reason),
                                       PostModel.queue.remove(), PostModel.queue_at.remove()]):
        return remove_post(get_post(post.post_id, consistent=True), by, reason)
    logger.info("post removed", post_id=post.post_id, by=by, previous=previous)
    if previous == "scheduled" and post.quota_day:
        refund_quota(post.account_id, post.quota_day)
    if previous == "published":
        queues.send("fanout", {"op": DELETE, "post_id": post.post_id, "chunk": 0, "after": None,
                               "feed_key": key})


def fan_out_chunk(message: dict[str, Any]) -> int:
    """Deliver (or retract) one page of followers for a post; returns entries written.

    The page's writes are idempotent, and the next page's message is sent at most
    once per chunk, so a redelivered message neither duplicates entries nor forks
    the chain of pages.
    """
    op, post_id, chunk = message["op"], message["post_id"], int(message["chunk"])
    post = get_post(post_id, consistent=True)
    if op == PUT and post.status != "published":
        return 0  # taken down meanwhile: the delete job cleans up, the feed filters the rest
    key = post.feed_key if op == PUT else message["feed_key"]
    page, after = follows.followers_page(post.account_id, settings.fanout_page_size, message.get("after"),
                                         post.audience_groups or () if op == PUT else ())
    users = [f.user_id for f in page]
    if op == PUT:
        inbox.write_entries([inbox.inbox_entry(u, key, post_id, post.account_id, post.section) for u in users])
        for user_id in users:
            if inbox.should_trim(user_id, key):
                inbox.trim_inbox(user_id, settings.inbox_max_entries)
    else:
        inbox.delete_entries(users, key)
    job = f"{op}#{post_id}"
    if after and not fanout_progress.next_chunk_sent(job, chunk):
        queues.send("fanout", {**message, "chunk": chunk + 1, "after": after})
        fanout_progress.mark_next_chunk_sent(job, chunk, len(users))
    return len(users)


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
