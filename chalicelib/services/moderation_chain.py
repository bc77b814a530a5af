"""What the moderation pipeline gives the hook chain, and what it does around it.

- :func:`live_chain_config`: ``moderation.json`` with the live banned words and spam rules
  (run-time configuration) in place of the bundled ones.
- :func:`chain_services`: the lookups hooks need (fingerprint index, post texts,
  account tier), passed through ``build_chain(config, services, hooks=...)`` so hooks stay pure.
- :func:`index_published`: put a published post into the fingerprint index, so later
  copies (other accounts) and repeats (same account) are found.
- :func:`strike_for_rejection`: turn a chain rejection for a violation into a strike
  (and H1 at the limit).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.moderation.chain import ChainResult, PostContent, moderation_config
from chalicelib.domain.moderation.fingerprint import (
    FingerprintHit,
    FingerprintScheme,
    fingerprint_text,
    post_fingerprint,
)
from chalicelib.domain.moderation.strikes import rejection_strike
from chalicelib.services.runtime_config import LiveConfig, live_banned_words, live_spam_rules
from chalicelib.services.strikes import SYSTEM, add_strike
from chalicelib.store import fingerprints
from chalicelib.store.accounts import tier_of
from chalicelib.store.posts import PostModel, posts_by_ids


@lru_cache(maxsize=1)
def fingerprint_scheme() -> FingerprintScheme:
    return FingerprintScheme.from_config(moderation_config().get("fingerprint", {}))


def _per_key_limit() -> int:
    return int(moderation_config().get("fingerprint", {}).get("per_key_limit", 20))


def find_fingerprints(keys: Sequence[str]) -> list[FingerprintHit]:
    """Posts indexed under ``keys`` within the scheme's lookback (one bounded Query per key)."""
    since = clock.now() - timedelta(days=fingerprint_scheme().lookback_days)
    return fingerprints.find(keys, since, _per_key_limit())


def post_texts(post_ids: Sequence[str]) -> dict[str, str]:
    """The fingerprinted text of each post (one BatchGetItem per 100 ids)."""
    found = posts_by_ids(list(post_ids))
    return {pid: fingerprint_text(p.content.get("title", ""), p.content.get("text", "")) for pid, p in found.items()}


def chain_services() -> dict[str, Any]:
    """The services hooks receive next to their settings."""
    return {"fingerprint_scheme": fingerprint_scheme(), "find_fingerprints": find_fingerprints,
            "post_texts": post_texts, "account_tier": tier_of}


def live_chain_config() -> tuple[tuple[LiveConfig, ...], dict[str, Any]]:
    """The chain configuration with the live documents as the banned_words and spam hooks' settings.

    Also returns the live documents it used: a caller rebuilds its chain only when the
    cache has read them again (they are then other objects).
    """
    words, spam = live_banned_words(), live_spam_rules()
    live = {"banned_words": {"words": words.document}, "spam": spam.document}
    config = moderation_config()
    chain = [{**entry, "settings": live[entry["hook"]]} if entry["hook"] in live else entry
             for entry in config["chain"]]
    return (words, spam), {**config, "chain": chain}


def index_published(post: PostModel, at: datetime) -> None:
    """Index the post's fingerprint as of its publication at ``at``; idempotent."""
    scheme = fingerprint_scheme()
    content = PostContent.from_post(post.post_id, post.account_id, post.content)
    keys = post_fingerprint(scheme, content).keys
    if keys:
        fingerprints.index_post(keys, post.post_id, post.account_id, at,
                                keep=timedelta(days=scheme.lookback_days + 1))


def strike_for_rejection(post: PostModel, result: ChainResult) -> bool:
    """Record the strike a chain rejection earns, if any; True if it sent the account to H1.

    Runs before the post is marked rejected: a redelivered message runs it again,
    and both the strike and the move to H1 are idempotent.
    """
    reason = rejection_strike(moderation_config(), result)
    if reason is None:
        return False
    return add_strike(post.account_id, post.post_id, reason, SYSTEM, clock.now())
