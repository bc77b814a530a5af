"""Hybrid fan-out: accounts with huge followings are pulled at read time, not pushed.

Above ``HYBRID_PULL_ABOVE`` followers an account switches to ``pull``: a job (on the
fan-out queue, a page of followers per message) gives each follower a pull window
(``store.delivery_state.PulledAccountModel``) while posts are still pushed; once every
follower has one, posts are no longer fanned out and feeds read them from the
account's published posts. Below ``HYBRID_PUSH_BELOW`` it switches back: posts are
pushed again at once, and a job closes each window at the end of the pull period, so
posts of that period stay pulled. Follows and unfollows keep windows current; a
switch is re-checked when a job ends, and a switch whose job went missing is
restarted. See ``domain.delivery_modes`` for the modes and the visibility rule they share.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.config import settings
from chalicelib.domain import clock
from chalicelib.domain.delivery_modes import (
    PULL,
    PUSH,
    PUSHED_MODES,
    TO_PULL,
    TO_PUSH,
    key_floor,
    millis_floor,
    next_mode,
    pull_period_end,
)
from chalicelib.domain.messages import PULL_OFF, PULL_ON, SwitchFanoutMessage
from chalicelib.observability import logger
from chalicelib.services import fanout
from chalicelib.store import delivery_state as store
from chalicelib.store import queues

# A switch still in progress after this long lost its job message: send it again.
STALLED_AFTER = timedelta(minutes=15)


def pushes_posts(account_id: str) -> bool:
    """Whether a post published now is fanned out on write (one consistent read)."""
    return store.delivery_mode(account_id).mode in PUSHED_MODES


def after_follow(user_id: str, account_id: str, followed_at: datetime, follower_count: int) -> None:
    """A new follower of a pulled account gets a pull window; the follow may start a switch.

    The mode is read after the follow committed, so either this sees the switch or
    the switch's job, which reads the roster later, sees this follower.
    """
    mode = store.delivery_mode(account_id)
    if mode.mode in (TO_PULL, PULL):
        store.put_pulled([store.PulledAccountModel(user_id, account_id, since=key_floor(followed_at))])
    maybe_switch(mode, follower_count)


def after_unfollow(user_id: str, account_id: str) -> None:
    """The fan's window on the account goes; the unfollow may switch the account back."""
    mode = store.delivery_mode(account_id)
    if mode.generation:  # only accounts that were ever pulled have windows
        store.remove_pulled(user_id, [account_id])
    if mode.mode != PUSH:  # fewer followers can only move a pulled account
        maybe_switch(mode, store.follower_count(account_id))


def maybe_switch(mode: store.DeliveryMode, follower_count: int) -> str | None:
    """Start the switch the follower count calls for; returns the new mode, if any."""
    now = clock.now()
    if mode.mode in (TO_PULL, TO_PUSH):
        if mode.changed_at is not None and now - mode.changed_at > STALLED_AFTER:
            logger.warning("restarting a stalled switch", account_id=mode.account_id, mode=mode.mode)
            _send_job(mode.account_id, mode.mode, mode.generation)
        return None
    target = next_mode(mode.mode, follower_count, settings.hybrid_pull_above, settings.hybrid_push_below)
    if target is None:
        return None
    generation = mode.generation + 1
    if not store.switch_mode(mode, target, now, pull_period_end(now) if target == TO_PUSH else None):
        current = store.delivery_mode(mode.account_id)
        if (current.mode, current.generation) != (target, generation):
            return None  # another switch won; it re-checks when its job ends
    logger.info("delivery switch", account_id=mode.account_id, to=target, followers=follower_count)
    _send_job(mode.account_id, target, generation)
    return target


def _send_job(account_id: str, switching_to: str, generation: int) -> None:
    queues.send("fanout", SwitchFanoutMessage(PULL_ON if switching_to == TO_PULL else PULL_OFF, account_id,
                                              generation).to_json())


def switch_chunk(message: SwitchFanoutMessage) -> int:
    """One page of a switch job: open (pull_on) or close (pull_off) followers' windows.

    Pages run one after another (each hands over after its writes), so the last page
    finishing means every follower was done; it then settles the mode and re-checks
    the count. A job of an older generation does nothing.
    """
    op, account_id, generation = message.op, message.account_id, message.generation
    switching = TO_PULL if op == PULL_ON else TO_PUSH
    mode = store.delivery_mode(account_id)
    if (mode.mode, mode.generation) != (switching, generation):
        return 0  # superseded, or already settled by an earlier copy of this message
    page = fanout.follower_page(account_id, message.after, settings.fanout_page_size)
    windows = [store.PulledAccountModel(user_id, account_id, since=millis_floor(followed_ms),
                                        until=None if op == PULL_ON else mode.pull_until)
               for user_id, followed_ms in page.members]
    if op == PULL_OFF:  # followed after the period ended: nothing of it to pull
        windows = [w for w in windows if mode.pull_until is None or w.since < mode.pull_until]
    store.put_pulled(windows)
    fanout.hand_over(message, page.after, len(windows))
    if page.after is not None:
        return len(windows)
    settled = PULL if op == PULL_ON else PUSH
    if not store.finish_switch(account_id, generation, switching, settled, clock.now()):
        current = store.delivery_mode(account_id)
        if (current.mode, current.generation) != (settled, generation):
            return len(windows)
    logger.info("delivery switch done", account_id=account_id, mode=settled)
    maybe_switch(store.DeliveryMode(account_id, settled, generation, mode.pull_until),
                 store.follower_count(account_id))
    return len(windows)
