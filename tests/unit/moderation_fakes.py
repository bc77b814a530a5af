"""An in-memory fingerprint index with the services the moderation hooks take, for pure tests.

It keeps the store's contract (:mod:`chalicelib.store.fingerprints`): entries per
key, newest first, at most ``per_key_limit`` per key inside the lookback window,
and counts the key lookups so tests can check the cost stays bounded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.moderation.chain import PostContent, build_chain, load_chain_config
from chalicelib.domain.moderation.fingerprint import (
    FingerprintHit,
    FingerprintScheme,
    fingerprint_text,
    post_fingerprint,
)
from chalicelib.domain.moderation.hooks import SHIPPED_HOOKS


class FakeFingerprintIndex:
    def __init__(self, scheme: FingerprintScheme, per_key_limit: int = 20) -> None:
        self.scheme = scheme
        self.per_key_limit = per_key_limit
        self.entries: dict[str, list[FingerprintHit]] = defaultdict(list)
        self.texts: dict[str, str] = {}
        self.key_reads = 0
        self.text_reads = 0

    def publish(self, content: PostContent, at: datetime | None = None) -> None:
        """Index a published post, as the pipeline does."""
        at = at or clock.now()
        for key in post_fingerprint(self.scheme, content).keys:
            self.entries[key].append(FingerprintHit(content.post_id, content.account_id, at))
        self.texts[content.post_id] = fingerprint_text(content.title, content.text)

    def find(self, keys: Sequence[str]) -> list[FingerprintHit]:
        since = clock.now() - timedelta(days=self.scheme.lookback_days)
        hits = []
        for key in dict.fromkeys(keys):
            self.key_reads += 1
            newest = sorted((h for h in self.entries.get(key, []) if h.at > since), key=lambda h: h.at, reverse=True)
            hits += newest[:self.per_key_limit]
        return hits

    def post_texts(self, post_ids: Sequence[str]) -> dict[str, str]:
        self.text_reads += 1
        return {pid: self.texts[pid] for pid in post_ids if pid in self.texts}

    def services(self, tiers: dict[str, str] | None = None) -> dict[str, Any]:
        return {"fingerprint_scheme": self.scheme, "find_fingerprints": self.find, "post_texts": self.post_texts,
                "account_tier": lambda account_id: (tiers or {}).get(account_id, "W1")}


def shipped_config() -> dict[str, Any]:
    return load_chain_config()


def shipped_scheme() -> FingerprintScheme:
    return FingerprintScheme.from_config(shipped_config()["fingerprint"])


def shipped_hook(name: str, index: FakeFingerprintIndex, **overrides: Any) -> Any:
    """The hook ``name`` with its shipped settings (plus ``overrides``) and the fake's services."""
    entry = next(e for e in shipped_config()["chain"] if e["hook"] == name)
    config = {"chain": [{**entry, "settings": {**entry.get("settings", {}), **overrides}}]}
    return build_chain(config, index.services(), hooks=SHIPPED_HOOKS)[0]


def text_post(post_id: str, account_id: str, text: str, **fields: Any) -> PostContent:
    return PostContent(post_id=post_id, account_id=account_id, type="article", format="long_article",
                       title=fields.pop("title", ""), text=text, **fields)
