"""Likes, poll votes and comments, and the post counters they move.

Every counter on the post moves in the same transaction as the item it counts (a
like, a vote, a comment), conditioned on that item's existence, so the counters stay
exact under concurrent and repeated requests. Comment floors come from an atomic
counter on the post (``floor_seq``): each comment takes the next number with one
``ADD ... RETURN UPDATED_NEW``, so two comments never share a floor.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.posts import PUBLISHED
from chalicelib.store.base import TableMeta, applied, transaction_failures
from chalicelib.store.posts import PostModel


class LikeModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("likes")

    post_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    liked_at = UTCDateTimeAttribute()


class VoteModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("votes")

    post_id = UnicodeAttribute(hash_key=True)
    user_id = UnicodeAttribute(range_key=True)
    option = NumberAttribute()
    voted_at = UTCDateTimeAttribute()


class CommentModel(Model):
    """One comment, keyed by its floor (盖楼: the floor number is the comment's place)."""

    class Meta(TableMeta):
        table_name = settings.table("comments")

    post_id = UnicodeAttribute(hash_key=True)
    floor = NumberAttribute(range_key=True)
    comment_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    text = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    winner = BooleanAttribute(default=False)


def _published() -> Any:
    return PostModel.status == PUBLISHED


def add_like(post_id: str, user_id: str, at: datetime) -> bool:
    """Like a published post; False when the user already liked it.

    Raises :class:`NotFound` when the post is not (or no longer) published.
    """
    def write(tx: TransactWrite) -> None:
        tx.save(LikeModel(post_id, user_id, liked_at=at), condition=LikeModel.user_id.does_not_exist())
        tx.update(PostModel(post_id), actions=[PostModel.likes.add(1)], condition=_published())

    failed = transaction_failures(PostModel, write)
    if not failed:
        return True
    if len(failed) > 1 and failed[1]:  # puts come before updates: [like, post]
        raise NotFound(f"post {post_id} not found")
    return False


def remove_like(post_id: str, user_id: str) -> bool:
    """Take a like back; False when there was none."""
    def write(tx: TransactWrite) -> None:
        tx.delete(LikeModel(post_id, user_id), condition=LikeModel.user_id.exists())
        tx.update(PostModel(post_id), actions=[PostModel.likes.add(-1)], condition=PostModel.post_id.exists())

    failed = transaction_failures(PostModel, write)
    return not failed


def start_tallies(post_id: str, options: int) -> None:
    """Give a poll its zeroed tallies once, so votes can increment one option in place."""
    zeros: list[Any] = [0] * options
    applied(lambda: PostModel(post_id).update(actions=[PostModel.votes.set(zeros)],
                                              condition=PostModel.votes.does_not_exist()))


def add_vote(post_id: str, user_id: str, option: int, at: datetime) -> None:
    """Record one vote and move its option's tally, both or neither.

    Raises :class:`Conflict` on a second vote by the same user and :class:`NotFound`
    when the post is no longer published.
    """
    def write(tx: TransactWrite) -> None:
        tx.save(VoteModel(post_id, user_id, option=option, voted_at=at), condition=VoteModel.user_id.does_not_exist())
        tx.update(PostModel(post_id), actions=[PostModel.votes[option].set(PostModel.votes[option] + 1)],
                  condition=_published() & PostModel.votes.exists())

    failed = transaction_failures(PostModel, write)
    if not failed:
        return
    if len(failed) > 1 and failed[1]:
        raise NotFound(f"post {post_id} not found")
    raise Conflict("you already voted in this poll", details=[{"pointer": "/option", "message": "one vote per user"}])


def next_floor(post_id: str) -> int:
    """Take the next floor number of a published post (atomic; never handed out twice).

    Raises :class:`NotFound` when the post is not published.
    """
    post = PostModel(post_id)
    if not applied(lambda: post.update(actions=[PostModel.floor_seq.add(1)], condition=_published())):
        raise NotFound(f"post {post_id} not found")
    return int(post.floor_seq)


def insert_comment(comment: CommentModel, listed_winner: bool) -> None:
    """Store a comment on its floor and count it on the post (with the winners when it won)."""
    actions: list[Any] = [PostModel.comments.add(1)]
    if comment.winner:
        actions.append(PostModel.winner_count.add(1))
    if listed_winner:
        entry = {"floor": int(comment.floor), "user_id": comment.user_id, "comment_id": comment.comment_id}
        actions.append(PostModel.winners.set((PostModel.winners | []).append([entry])))
    def write(tx: TransactWrite) -> None:
        tx.save(comment, condition=CommentModel.floor.does_not_exist())
        tx.update(PostModel(comment.post_id), actions=actions, condition=PostModel.post_id.exists())

    failed = transaction_failures(PostModel, write)
    if not failed:
        return
    if failed[0]:
        # The floor came from the post's atomic counter, so only a retry of this very
        # write (after a lost answer) can find it taken: the comment is already stored.
        if CommentModel.get(comment.post_id, comment.floor).comment_id == comment.comment_id:
            return
        raise RuntimeError(f"floor {comment.floor} of post {comment.post_id} was handed out twice")
    raise NotFound(f"post {comment.post_id} not found")


def comments_page(post_id: str, limit: int, after_floor: int | None) -> tuple[list[CommentModel], int | None]:
    """Comments oldest first (by floor) after ``after_floor``; returns the last floor if more remain."""
    condition = CommentModel.floor > after_floor if after_floor is not None else None
    results = CommentModel.query(post_id, condition, limit=limit)
    items = list(results)
    more = results.last_evaluated_key is not None
    return items, int(items[-1].floor) if more and items else None
