"""The moderation audit trail (append-only), and the decisions written together with their entry.

An entry is written once and never changed: puts are conditional on the key being
new, and nothing updates or deletes entries. Entries are keyed by account and a
time-ordered ``entry_id``, with an index by actor (a moderator, or ``system`` for
automatic H1). A decision and its entry are written in one
transaction, so the trail can neither miss a decision nor record one that failed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.config import settings
from chalicelib.domain.grading import tier_change_mark
from chalicelib.domain.ids import new_id
from chalicelib.domain.posts import PENDING_REVIEW, QUEUE_REVIEW
from chalicelib.domain.tiers import NEW_ACCOUNT_TIER, PENALTY_TIER
from chalicelib.store.accounts import AccountModel
from chalicelib.store.base import GlobalIndex, TableMeta, flat_key, raw_key, transact
from chalicelib.store.posts import PostModel, refund_in
from chalicelib.store.strikes import StrikeModel


class ActorIndex(GlobalIndex["AuditModel"]):
    """Every entry by one actor (a moderator's decisions, or the system's)."""

    actor = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)


class AuditModel(Model):
    class Meta(TableMeta):
        table_name = settings.table("audit")

    account_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    action = UnicodeAttribute()
    actor = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    reason = UnicodeAttribute()
    post_id = UnicodeAttribute(null=True)
    details = JSONAttribute(null=True)
    by_actor = ActorIndex()


def audit_entry(account_id: str, action: str, actor: str, reason: str, at: datetime, post_id: str | None = None,
                details: dict[str, Any] | None = None) -> AuditModel:
    """A new entry (not yet written); its id orders it by ``at``."""
    return AuditModel(account_id, new_id(at), action=action, actor=actor, at=at, reason=reason[:1000],
                      post_id=post_id, details=details)


def append(entry: AuditModel) -> None:
    """Write one entry on its own (a takedown; the post change is done by the pipeline)."""
    entry.save(condition=AuditModel.entry_id.does_not_exist())


def _tier_change(entry: AuditModel, previous_tier: str) -> Any:
    """Append ``<at>#<tier before>`` to the account's tier changes (read by grading runs)."""
    return AccountModel.tier_changes.set((AccountModel.tier_changes | []).append(
        [tier_change_mark(entry.at, previous_tier)]))


def send_to_penalty_tier(entry: AuditModel) -> bool:
    """Move the entry's account to H1 and append the entry, atomically; False if it is in H1 already."""
    def write(tx: TransactWrite) -> None:
        previous = str((entry.details or {}).get("previous_tier") or NEW_ACCOUNT_TIER)
        tx.update(AccountModel(entry.account_id),
                  actions=[AccountModel.tier.set(PENALTY_TIER), AccountModel.tier_status.remove(),
                           _tier_change(entry, previous)],
                  condition=AccountModel.account_id.exists() & (AccountModel.tier != PENALTY_TIER))
        tx.save(entry, condition=AuditModel.entry_id.does_not_exist())
    return transact(AuditModel, write)


def release_from_penalty_tier(entry: AuditModel, release: StrikeModel) -> bool:
    """Move the account from H1 back to W1, mark its strikes released and append the entry; False if not in H1."""
    def write(tx: TransactWrite) -> None:
        tx.update(AccountModel(entry.account_id),
                  actions=[AccountModel.tier.set(NEW_ACCOUNT_TIER), AccountModel.tier_status.remove(),
                           _tier_change(entry, PENALTY_TIER)],
                  condition=AccountModel.tier == PENALTY_TIER)
        tx.save(entry, condition=AuditModel.entry_id.does_not_exist())
        tx.save(release)
    return transact(AuditModel, write)


def decide_held_post(post: PostModel, actions: list[Any], entry: AuditModel, strike: StrikeModel | None) -> bool:
    """Apply a moderator's decision to a held post with its entry (and strike), atomically.

    False when the post is no longer held for review (decided by someone else meanwhile).
    """
    def write(tx: TransactWrite) -> None:
        tx.update(post, actions=actions,
                  condition=(PostModel.status == PENDING_REVIEW) & (PostModel.queue == QUEUE_REVIEW))
        tx.save(entry, condition=AuditModel.entry_id.does_not_exist())
        if strike is not None:
            tx.save(strike)
        if post.quota_day is not None:
            refund_in(tx, post)  # a rejected post never published: its day's slot is given back
    return transact(AuditModel, write)


def account_trail(account_id: str, limit: int, after: dict[str, str] | None
                  ) -> tuple[list[AuditModel], dict[str, str] | None]:
    """An account's entries, newest first."""
    results = AuditModel.query(account_id, scan_index_forward=False, limit=limit, last_evaluated_key=raw_key(after))
    items = list(results)
    return items, flat_key(results.last_evaluated_key)


def actor_trail(actor: str, limit: int, after: dict[str, str] | None
                ) -> tuple[list[AuditModel], dict[str, str] | None]:
    """One actor's entries, newest first."""
    results = AuditModel.by_actor.query(actor, scan_index_forward=False, limit=limit,
                                        last_evaluated_key=raw_key(after))
    items = list(results)
    return items, flat_key(results.last_evaluated_key)
