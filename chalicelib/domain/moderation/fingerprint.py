"""Near-duplicate fingerprints of post text: MinHash over character n-grams, banded for LSH.

Chinese has no spaces between words, so the text is compared as a set of character
n-grams ("shingles") of its normalised form (width and case folded, punctuation,
spaces and emoji dropped); no word segmenter is needed. MinHash estimates the Jaccard
similarity of two shingle sets from ``num_perm`` minimum hash values; cutting the
signature into ``bands`` bands of ``rows`` values gives index keys such that two texts
of similarity ``s`` share at least one key with probability ``1 - (1 - s**rows)**bands``.
The store keeps one item per key, so finding candidates costs ``bands`` key lookups
whatever the number of posts; candidates are then confirmed by the exact Jaccard
similarity of the two texts (:func:`similarity`), so the estimate's noise never
decides a verdict.

Everything here is deterministic (hashes come from BLAKE2b and a seeded generator,
never from Python's salted ``hash``), so fingerprints written by one process are
found by another.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from chalicelib.domain.moderation.chain import PostContent
from chalicelib.domain.moderation.text import squeeze

_MERSENNE = (1 << 61) - 1
_MASK32 = (1 << 32) - 1


@dataclass(frozen=True)
class FingerprintHit:
    """An indexed post found under one of the looked-up keys."""

    post_id: str
    account_id: str
    at: datetime


@dataclass(frozen=True)
class Fingerprint:
    """What is indexed for one post.

    ``band_keys`` find near copies (empty for texts too short to compare);
    ``text_key`` finds the same account's same post again (None for a post with
    neither text nor media).
    """

    band_keys: tuple[str, ...]
    text_key: str | None

    @property
    def keys(self) -> tuple[str, ...]:
        return (*self.band_keys, *((self.text_key,) if self.text_key else ()))


def fingerprint_text(title: str, text: str) -> str:
    """The part of a post that is fingerprinted: title and body (topics and polls are shared vocabulary)."""
    return "\n".join(part for part in (title, text) if part)


def normalise(text: str) -> str:
    """Width- and case-folded letters and digits only (``，。！ 😀`` and spaces dropped)."""
    return squeeze(text)


def shingles(normalised: str, size: int) -> set[str]:
    """The set of character ``size``-grams (the whole text if it is shorter)."""
    if len(normalised) <= size:
        return {normalised} if normalised else set()
    return {normalised[i:i + size] for i in range(len(normalised) - size + 1)}


@lru_cache(maxsize=8)
def _permutations(seed: int, count: int) -> tuple[tuple[int, int], ...]:
    """``count`` hash permutations ``(a * x + b) mod p``, the same in every process for a seed."""
    rng = random.Random(seed)
    return tuple((rng.randrange(1, _MERSENNE), rng.randrange(0, _MERSENNE)) for _ in range(count))


def _base_hash(value: str) -> int:
    return int.from_bytes(hashlib.blake2b(value.encode("utf-8"), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class FingerprintScheme:
    """MinHash/LSH parameters; every post indexed and looked up under one scheme.

    Parameters
    ----------
    shingle_size : int
        Characters per shingle (bigrams keep edited copies similar while distinct
        posts on the same topic stay far apart; see the labelled set in the tests).
    bands, rows : int
        LSH banding; the signature has ``bands * rows`` values.
    min_chars : int
        Normalised texts shorter than this are not fingerprinted (short phrases such
        as 新品上市 are common to every shop, not copies).
    max_chars : int
        Only this many normalised characters are hashed (bounds the cost of long articles).
    lookback_days : int
        How long index entries are kept and searched.
    seed : int
        Seed of the hash permutations; part of the key prefix, so a change never
        matches old entries.

    Examples
    --------
    >>> scheme = FingerprintScheme()
    >>> a = scheme.band_keys(scheme.signature("秋冬新款羽绒服上市，九十白鸭绒，轻薄保暖，全场包邮"))
    >>> b = scheme.band_keys(scheme.signature("秋冬新款羽绒服上市!九十白鸭绒 轻薄保暖 全场包邮"))
    >>> a == b
    True
    """

    shingle_size: int = 2
    bands: int = 20
    rows: int = 3
    min_chars: int = 24
    max_chars: int = 5000
    lookback_days: int = 30
    seed: int = 20240601

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> FingerprintScheme:
        """The scheme from the ``fingerprint`` section of the chain configuration."""
        known = {k: int(v) for k, v in config.items() if k in cls.__dataclass_fields__}
        scheme = cls(**known)
        if min(scheme.shingle_size, scheme.bands, scheme.rows, scheme.max_chars) < 1:
            raise ValueError("fingerprint settings must be positive")
        return scheme

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    @property
    def tag(self) -> str:
        """Key prefix naming the parameters, so entries of another scheme never match."""
        return f"mh{self.shingle_size}.{self.bands}x{self.rows}.{self.seed}"

    def signature(self, text: str) -> tuple[int, ...]:
        """The MinHash signature (``num_perm`` 32-bit values) of ``text``'s shingles."""
        hashed = [_base_hash(s) for s in shingles(normalise(text)[:self.max_chars], self.shingle_size)]
        if not hashed:
            return tuple([_MASK32] * self.num_perm)
        permutations = _permutations(self.seed, self.num_perm)
        return tuple(min((a * h + b) % _MERSENNE for h in hashed) & _MASK32 for a, b in permutations)

    def band_keys(self, signature: Sequence[int]) -> tuple[str, ...]:
        """One index key per band: two signatures agreeing on a whole band share that key."""
        keys = []
        for band in range(self.bands):
            rows = signature[band * self.rows:(band + 1) * self.rows]
            digest = hashlib.blake2b(b"".join(v.to_bytes(4, "big") for v in rows), digest_size=8).hexdigest()
            keys.append(f"{self.tag}:{band}:{digest}")
        return tuple(keys)

    def text_key(self, account_id: str, text: str) -> str:
        """Key of the account's exact (normalised) text: the same words again, whatever the punctuation."""
        digest = hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=12).hexdigest()
        return f"tx:{account_id}:{digest}"

    def comparable(self, text: str) -> bool:
        """Whether ``text`` is long enough to be compared for copying."""
        return len(normalise(text)) >= self.min_chars

    def similarity(self, a: str, b: str) -> float:
        """Exact Jaccard similarity of the two texts' shingle sets (0 to 1).

        Examples
        --------
        >>> FingerprintScheme().similarity("全场包邮，欢迎选购", "全场包邮 欢迎选购!")
        1.0
        """
        sa = shingles(normalise(a)[:self.max_chars], self.shingle_size)
        sb = shingles(normalise(b)[:self.max_chars], self.shingle_size)
        if not sa or not sb:
            return 0.0
        return len(sa & sb) / len(sa | sb)



def post_fingerprint(scheme: FingerprintScheme, content: PostContent) -> Fingerprint:
    """The keys a post is indexed under once published, and looked up under while moderated.

    A long text is its own identity (the same words again are a repeat, whatever the
    pictures); a short one is a repeat only together with the same media and products,
    because shops reuse short captions such as 新品上市 for different goods.
    """
    text = fingerprint_text(content.title, content.text)
    if scheme.comparable(text):
        return Fingerprint(scheme.band_keys(scheme.signature(text)), scheme.text_key(content.account_id, text))
    identity = "\n".join([text, *sorted(content.urls), *sorted(content.products)])
    return Fingerprint((), scheme.text_key(content.account_id, identity) if normalise(identity) else None)
