"""Posts, the idempotency keys of their creates, and the daily quota counters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain.errors import NotFound
from chalicelib.domain.posts import (
    PENDING_REVIEW,
    PUBLISHED,
    QUEUE_MODERATION,
    QUEUE_REVIEW,
    REJECTED,
    REMOVED,
    SCHEDULED,
    FeedKeys,
    section_feed_key,
)
from chalicelib.domain.quota import QuotaCharge
from chalicelib.store import read_cache
from chalicelib.store.base import GlobalIndex, TableMeta, applied, flat_key, raw_key, transact, transaction_failures
from chalicelib.store.batch import batch_get, key_of


class AccountPostsIndex(GlobalIndex["PostModel"]):
    """Every post of an account, newest first (the owner's list)."""

    account_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)


class AccountFeedIndex(GlobalIndex["PostModel"]):
    """Sparse: only published posts carry ``feed_key`` (public lists, backfill, read-time pulls)."""

    account_id = UnicodeAttribute(hash_key=True)
    feed_key = UnicodeAttribute(range_key=True)


class AccountSectionFeedIndex(GlobalIndex["PostModel"]):
    """Sparse: published posts by account and feed section (read-time pulls of one section)."""

    account_id = UnicodeAttribute(hash_key=True)
    section_feed_key = UnicodeAttribute(range_key=True)  # "<section>#<feed_key>"


class WorkQueueIndex(GlobalIndex["PostModel"]):
    """Sparse: posts waiting for something, by ``queue`` (scheduled, moderation, review) and due time."""

    queue = UnicodeAttribute(hash_key=True)
    queue_at = UnicodeAttribute(range_key=True)


class RecentIndex(GlobalIndex["PostModel"], projection=KeysOnlyProjection()):
    """Sparse, keys only: posts by publication day and shard (the hot list's candidates)."""

    recent_bucket = UnicodeAttribute(hash_key=True)  # "<YYYY-MM-DD>#<shard>", see domain.posts.recent_bucket
    post_id = UnicodeAttribute(range_key=True)


class BuyerShowWallIndex(GlobalIndex["PostModel"]):
    """Sparse: fans' buyer shows that passed moderation, on the account's wall, newest first."""

    wall_account = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)


class PostModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("posts")

    post_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    author_id = UnicodeAttribute()
    type = UnicodeAttribute()
    format = UnicodeAttribute()
    section = UnicodeAttribute()
    status = UnicodeAttribute()
    content = JSONAttribute()
    audience_groups = ListAttribute(of=UnicodeAttribute, null=True)
    system = BooleanAttribute(default=False)
    created_at = UTCDateTimeAttribute()
    publish_at = UTCDateTimeAttribute(null=True)
    published_at = UTCDateTimeAttribute(null=True)
    feed_key = UnicodeAttribute(null=True)
    quota_day = UnicodeAttribute(null=True)
    reject_reason = UnicodeAttribute(null=True)
    hook_results = JSONAttribute(null=True)
    likes = NumberAttribute(default=0)
    comments = NumberAttribute(default=0)
    reads = NumberAttribute(default=0)
    queue = UnicodeAttribute(null=True)
    queue_at = UnicodeAttribute(null=True)
    # Engagement (services/engagement.py): poll tallies by option index, the floor
    # allocator of comments, the first winners of a floor contest.
    votes = ListAttribute(of=NumberAttribute, null=True)
    floor_seq = NumberAttribute(null=True)
    winners: ListAttribute[Any] = ListAttribute(null=True)
    winner_count = NumberAttribute(null=True)
    # A fan's buyer show sent to the account (services/buyer_shows.py): on the wall once
    # approved, delivered to followers only when the owner features it.
    fan_submission = BooleanAttribute(default=False)
    wall_account = UnicodeAttribute(null=True)
    featured_at = UTCDateTimeAttribute(null=True)
    recent_bucket = UnicodeAttribute(null=True)
    by_account = AccountPostsIndex()
    # Set with feed_key at publication, removed with it at takedown (services.pipeline).
    section_feed_key = UnicodeAttribute(null=True)
    published_by_account = AccountFeedIndex()
    published_by_account_section = AccountSectionFeedIndex()
    work_queue = WorkQueueIndex()
    recent = RecentIndex()
    buyer_show_wall = BuyerShowWallIndex()


class PostKeyModel(Model):
    """``<account>#<Idempotency-Key>`` → post id, written in the create transaction.

    Powertools idempotency caches the response, but deletes its record when the call
    fails after the write; this item makes the write itself idempotent.
    """

    class Meta(TableMeta):
        table_name = settings.table("post-keys")

    key = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute()


class QuotaCounterModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("quota-counters")

    counter_id = UnicodeAttribute(hash_key=True)  # "<account_id>#<YYYY-MM-DD>"
    # Shadows PynamoDB's ``Model.count`` query on purpose (the table's attribute name; never counted).
    count = NumberAttribute(default=0)  # type: ignore[assignment]


class QuotaFull(Exception):
    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


class KeyTaken(Exception):
    def __init__(self, post_id: str) -> None:
        super().__init__(post_id)
        self.post_id = post_id


def _quota_counter(account_id: str, day: str) -> str:
    return f"{account_id}#{day}"


def _quota_update(tx: TransactWrite, account_id: str, charge: QuotaCharge) -> None:
    counter = QuotaCounterModel(_quota_counter(account_id, charge.day))
    tx.update(counter, actions=[QuotaCounterModel.count.add(1)],
              condition=QuotaCounterModel.count.does_not_exist() | (QuotaCounterModel.count < charge.limit))


def quota_count(account_id: str, day: str) -> int:
    try:
        return int(QuotaCounterModel.get(_quota_counter(account_id, day), consistent_read=True).count)
    except QuotaCounterModel.DoesNotExist:
        return 0


def insert_post(post: PostModel, charge: QuotaCharge | None, idempotency_key: str | None) -> None:
    """Write a new post, charge its quota day and claim its idempotency key, all or nothing.

    Raises :class:`QuotaFull` when the day's counter is at the limit and
    :class:`KeyTaken` (with the earlier post id) when the key was used before.
    """
    key_item = PostKeyModel(f"{post.account_id}#{idempotency_key}", post_id=post.post_id) if idempotency_key else None

    def write(tx: TransactWrite) -> None:
        if key_item:
            tx.save(key_item, condition=PostKeyModel.key.does_not_exist())
        if charge:
            _quota_update(tx, post.account_id, charge)
        tx.save(post, condition=PostModel.post_id.does_not_exist())

    failed = transaction_failures(PostModel, write)  # PynamoDB sends puts before updates: [key?, post, quota?]
    if key_item and failed and failed[0]:
        raise KeyTaken(PostKeyModel.get(key_item.key, consistent_read=True).post_id)
    if charge and failed and failed[-1]:
        raise QuotaFull(quota_count(post.account_id, charge.day))
    if failed:
        raise RuntimeError(f"post id {post.post_id} was taken")  # ids are random: not a client error


def refund_in(tx: TransactWrite, post: PostModel) -> None:
    """Give back the post's quota slot in ``tx`` (a post that ends without publishing)."""
    # No condition: the slot was charged in the transaction that wrote the post, so the
    # counter holds it; a failed condition here would undo the status change it goes with.
    tx.update(QuotaCounterModel(_quota_counter(post.account_id, post.quota_day)),
              actions=[QuotaCounterModel.count.add(-1)])


def get_post(post_id: str, consistent: bool = False) -> PostModel:
    try:
        return PostModel.get(post_id, consistent_read=consistent)
    except PostModel.DoesNotExist:
        raise NotFound(f"post {post_id} not found") from None


def posts_by_ids(post_ids: list[str]) -> dict[str, PostModel]:
    """Posts by id in BatchGetItem calls of 100."""
    return {p.post_id: p for p in batch_get(PostModel, [key_of(PostModel, i) for i in post_ids])}


def transition(post: PostModel, from_status: str, actions: list[Any], *, entry: Model | None = None,
               refund: bool = False, condition: Any = None) -> bool:
    """Apply ``actions`` only if the post is still in ``from_status``; False when it moved on.

    ``entry`` (an audit entry) is written and, with ``refund``, the post's quota slot is
    given back (a post that ends without publishing: SPEC counts posts published) in the
    same transaction, so they happen exactly when the status change does: once, however
    often a message or request is retried. ``condition`` narrows the status condition.
    """
    expected = PostModel.status == from_status
    if condition is not None:
        expected = expected & condition
    read_cache.POSTS.drop(post.post_id)  # a status change shows at once in this container's feeds
    refund = refund and post.quota_day is not None
    if entry is None and not refund:
        return applied(lambda: post.update(actions=actions, condition=expected))

    def write(tx: TransactWrite) -> None:
        tx.update(post, actions=actions, condition=expected)
        if entry is not None:
            tx.save(entry)
        if refund:
            refund_in(tx, post)

    if not transact(PostModel, write):
        return False
    post.refresh(consistent_read=True)
    return True


# The post lifecycle: each function below is one named, conditional transition (the
# statuses are in chalicelib.domain.posts). A False/None answer means the post was no
# longer in the expected state (a concurrent or redelivered call got there first).


def _leave_queue() -> list[Any]:
    return [PostModel.queue.remove(), PostModel.queue_at.remove()]


def _feed_key_actions(keys: FeedKeys) -> list[Any]:
    return [PostModel.feed_key.set(keys.feed_key), PostModel.section_feed_key.set(keys.section_feed_key),
            PostModel.recent_bucket.set(keys.recent_bucket)]


def publish(post: PostModel, at: datetime, keys: FeedKeys | None, hook_results: list[dict[str, Any]] | None,
            *, entry: Model | None = None, held_only: bool = False) -> PostModel | None:
    """pending_review → published at ``at``: with its feed keys, or (``keys`` None: a fan's buyer show) on
    the account's wall. ``entry`` (a moderator's approval) is written with it; ``held_only``: only a post
    held for review. Returns the published post, None if it was no longer pending."""
    actions = [PostModel.status.set(PUBLISHED), PostModel.published_at.set(at), *_leave_queue()]
    actions += _feed_key_actions(keys) if keys else [PostModel.wall_account.set(post.account_id)]
    if hook_results is not None:
        actions.append(PostModel.hook_results.set(hook_results))
    if transition(post, PENDING_REVIEW, actions, entry=entry,
                  condition=PostModel.queue == QUEUE_REVIEW if held_only else None):
        return post
    stored = get_post(post.post_id, consistent=True)
    if stored.status == PUBLISHED and stored.published_at == at:
        return stored  # this very write landed but its answer was lost (applied, then a 500 retried)
    return None


def rejection_actions(reason: str, hook_results: list[dict[str, Any]]) -> list[Any]:
    """The update that marks a post rejected (alone, or in a moderator's audited transaction)."""
    return [PostModel.status.set(REJECTED), PostModel.reject_reason.set(reason),
            PostModel.hook_results.set(hook_results), *_leave_queue()]


def reject(post: PostModel, reason: str, hook_results: list[dict[str, Any]], *, entry: Model | None = None) -> bool:
    """pending_review → rejected, with the reason, the hooks' verdicts, the audit ``entry``; its quota slot back."""
    return transition(post, PENDING_REVIEW, rejection_actions(reason, hook_results), entry=entry, refund=True)


def hold_for_review(post: PostModel, at: datetime, hook_results: list[dict[str, Any]], *,
                    entry: Model | None = None) -> bool:
    """pending_review stays, moved from the moderation queue into the moderators' review queue (oldest first
    from ``at``), with the audit ``entry`` (a redelivered hold writes no second one)."""
    return transition(post, PENDING_REVIEW, [PostModel.queue.set(QUEUE_REVIEW), PostModel.queue_at.set(queue_time(at)),
                                             PostModel.hook_results.set(hook_results)],
                      entry=entry, condition=PostModel.queue == QUEUE_MODERATION)


def start_moderation(post: PostModel, resend_at: datetime) -> bool:
    """scheduled → pending_review, in the moderation queue (re-sent at ``resend_at`` if still there)."""
    return transition(post, SCHEDULED, [PostModel.status.set(PENDING_REVIEW), PostModel.queue.set(QUEUE_MODERATION),
                                        PostModel.queue_at.set(queue_time(resend_at))])


def postpone_moderation(post: PostModel, resend_at: datetime) -> None:
    """A stalled moderation message was re-sent: look again at ``resend_at``."""
    post.update(actions=[PostModel.queue_at.set(queue_time(resend_at))])


def remove(post: PostModel, reason: str) -> bool:
    """Any status → removed: out of every list (feed keys gone) and every work queue; a post removed before
    it published gets its quota slot back with the status change, exactly once."""
    return transition(post, post.status, [PostModel.status.set(REMOVED), PostModel.feed_key.remove(),
                                          PostModel.section_feed_key.remove(), PostModel.reject_reason.set(reason),
                                          *_leave_queue()], refund=post.status in (SCHEDULED, PENDING_REVIEW))


def feature(post: PostModel, at: datetime) -> None:
    """The owner features a fan's buyer show (the first time counts)."""
    if post.featured_at is None:
        post.update(actions=[PostModel.featured_at.set(at)])


def push_to_feeds(post: PostModel, keys: FeedKeys) -> bool:
    """A published post on the wall gets its feed keys (once); False when pushed meanwhile or taken down,
    with ``post`` then refreshed."""
    if transition(post, PUBLISHED, _feed_key_actions(keys), condition=PostModel.feed_key.does_not_exist()):
        return True
    post.refresh(consistent_read=True)
    return False


def account_posts_page(account_id: str, published_only: bool, limit: int, after: dict[str, str] | None
                       ) -> tuple[list[PostModel], dict[str, str] | None]:
    """An account's posts newest first: published ones for everyone, all for the owner."""
    index = PostModel.published_by_account if published_only else PostModel.by_account
    results = index.query(account_id, scan_index_forward=False, limit=limit, last_evaluated_key=raw_key(after))
    items = list(results)
    return items, flat_key(results.last_evaluated_key)


def published_before(account_id: str, before_key: str | None, limit: int) -> list[PostModel]:
    """An account's newest published posts with ``feed_key`` below ``before_key``."""
    condition = PostModel.feed_key < before_key if before_key else None
    return list(PostModel.published_by_account.query(account_id, condition, scan_index_forward=False,
                                                      limit=limit))


def published_between(account_id: str, section: str, since: str, before: str | None, limit: int
                      ) -> list[PostModel]:
    """An account's published posts of ``section`` with ``since <= feed_key < before``, newest first.

    Section ``all`` reads the ``published_by_account`` index, other sections
    ``published_by_account_section``: one Query either way (the feed's read-time pulls).
    """
    index: AccountFeedIndex | AccountSectionFeedIndex
    if section == "all":
        index, attribute, prefix = PostModel.published_by_account, PostModel.feed_key, ""
    else:
        index, attribute = PostModel.published_by_account_section, PostModel.section_feed_key
        prefix = section_feed_key(section, "")
    upper = f"{prefix}{before}" if before else f"{prefix}\uffff"
    found = list(index.query(account_id, attribute.between(f"{prefix}{since}", upper), scan_index_forward=False,
                             limit=limit + 1))
    return [p for p in found if p.feed_key != before][:limit]


def queue_time(at: datetime) -> str:
    """``queue_at`` value: fixed-width UTC so the index orders it as time."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def due_posts(queue: str, until: datetime, limit: int = 100) -> list[PostModel]:
    """Posts waiting in ``queue`` whose due time has come, oldest first."""
    return list(PostModel.work_queue.query(queue, PostModel.queue_at <= queue_time(until), limit=limit))


def buyer_show_wall_page(account_id: str, limit: int, after: dict[str, str] | None
                         ) -> tuple[list[PostModel], dict[str, str] | None]:
    """An account's published buyer shows on its wall, newest first."""
    results = PostModel.buyer_show_wall.query(account_id, scan_index_forward=False, limit=limit,
                                              filter_condition=PostModel.status == PUBLISHED,
                                              last_evaluated_key=raw_key(after))
    items = list(results)
    return items, flat_key(results.last_evaluated_key)


def queue_page(queue: str, limit: int, after: dict[str, str] | None) -> tuple[list[PostModel], dict[str, str] | None]:
    """Posts in ``queue``, oldest first (the moderators' review queue)."""
    results = PostModel.work_queue.query(queue, limit=limit, last_evaluated_key=raw_key(after))
    items = list(results)
    return items, flat_key(results.last_evaluated_key)
