"""Engagement use cases: likes, comments with floors (盖楼), poll votes."""

from __future__ import annotations

from typing import Any

from chalicelib.auth import Principal
from chalicelib.domain import clock
from chalicelib.domain.cursor import cursor_int, cursor_scope, decode_cursor, encode_cursor
from chalicelib.domain.engagement import check_vote, is_winning_floor, listed_on_post
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.ids import new_id
from chalicelib.domain.names import is_blank
from chalicelib.services import activity, notifications, realtime
from chalicelib.services.comment_moderation import check_comment
from chalicelib.services.posts import visible_post
from chalicelib.store import engagement as store
from chalicelib.store.posts import PostModel, get_post
from chalicelib.validation import validate


def _published(principal: Principal, post_id: str) -> PostModel:
    """A published post the caller may see; 404 for any other, as if it did not exist."""
    return visible_post(principal, post_id, published=True)


def like(principal: Principal, post_id: str) -> dict[str, Any]:
    """Like a published post (idempotent: a second like changes nothing)."""
    post = _published(principal, post_id)
    if store.add_like(post_id, principal.user_id, clock.now()):
        activity.record_engagement(principal.user_id, post.account_id, "likes")
        notifications.liked(post.account_id, post_id, principal.user_id)
        realtime.post_changed(post_id)
    return {"post_id": post_id, "liked": True, "likes": int(get_post(post_id, consistent=True).likes)}


def unlike(principal: Principal, post_id: str) -> None:
    """Take a like back (idempotent); a post the caller cannot see is a 404 here too."""
    _published(principal, post_id)
    if store.remove_like(post_id, principal.user_id):
        realtime.post_changed(post_id)


def comment_view(comment: store.CommentModel) -> dict[str, Any]:
    return {"comment_id": comment.comment_id, "floor": int(comment.floor), "text": comment.text,
            "user_id": comment.user_id, "created_at": clock.rfc3339(comment.created_at),
            "winner": bool(comment.winner)}


def comment(principal: Principal, post_id: str, body: Any) -> dict[str, Any]:
    """Comment on a published post: the comment takes the next floor; in a floor contest a
    winning floor reached before the end is marked ``winner`` and listed on the post."""
    text = validate("comment", body)["text"]
    if is_blank(text):
        raise InvalidInput("comment text is blank", details=[{"pointer": "/text", "message": "must not be blank"}])
    post = _published(principal, post_id)
    check_comment(principal.user_id, post_id, text)  # before the comment takes a floor
    floor = store.next_floor(post_id)
    now = clock.now()
    contest: dict[str, Any] | None = post.content.get("contest") if post.type == "floor_contest" else None
    winner = contest is not None and is_winning_floor(contest, floor, now)
    item = store.CommentModel(post_id, floor, comment_id=new_id(now), user_id=principal.user_id, text=text,
                              created_at=now, winner=winner)
    store.insert_comment(item, listed_winner=winner and listed_on_post(contest or {}, floor))
    activity.record_engagement(principal.user_id, post.account_id, "comments")
    notifications.commented(post.account_id, post_id, principal.user_id, item.comment_id, floor, text)
    if winner:
        notifications.contest_won(post.account_id, post_id, principal.user_id, floor)
    realtime.post_changed(post_id)
    return comment_view(item)


def comments(principal: Principal, post_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """A post's comments oldest first, for anyone who may see the post."""
    visible_post(principal, post_id)
    scope = cursor_scope("/posts/{post_id}/comments", principal.user_id, post_id=post_id)
    position = decode_cursor(cursor, ("floor",), scope)
    items, last_floor = store.comments_page(post_id, limit, cursor_int(position, "floor") if position else None)
    return {"items": [comment_view(c) for c in items],
            "next_cursor": encode_cursor({"floor": str(last_floor)}, scope) if last_floor is not None else None}


def vote(principal: Principal, post_id: str, body: Any) -> dict[str, Any]:
    """One vote per user in an open poll; returns the live tallies."""
    option = validate("vote", body)["option"]
    post = _published(principal, post_id)
    if post.type != "poll" or "poll" not in post.content:
        raise InvalidInput("this post is not a poll", details=[{"pointer": "/option", "message": "not a poll"}])
    poll = post.content["poll"]
    check_vote(poll, option, clock.now())
    if post.votes is None:
        store.start_tallies(post_id, len(poll["options"]))
    store.add_vote(post_id, principal.user_id, option, clock.now())
    activity.record_engagement(principal.user_id, post.account_id, "votes")
    notifications.voted(post.account_id, post_id, principal.user_id)
    realtime.post_changed(post_id)
    tallies: list[Any] = get_post(post_id, consistent=True).votes or []
    return {"post_id": post_id, "option": option, "votes": [int(n) for n in tallies]}
