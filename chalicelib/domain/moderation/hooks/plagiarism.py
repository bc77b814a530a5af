"""Plagiarism (内容抄袭): a near copy of another account's recent post is rejected or held.

The post's text is MinHashed (:mod:`chalicelib.domain.moderation.fingerprint`); its
LSH band keys are looked up through the ``find_fingerprints`` service (one key read
per band, whatever the number of posts), the candidates sharing the most bands are
confirmed by the exact similarity of their texts (``post_texts`` service, one batch
read), and the verdict names the original: the earliest post above the threshold.

The same account reposting its own text is not plagiarism (the spam hook judges
repeats); posts older than ``window_days`` are not compared.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from chalicelib.domain import clock
from chalicelib.domain.moderation.chain import REJECT, REVIEW, Hook, PostContent, Verdict, required_service
from chalicelib.domain.moderation.fingerprint import (
    FingerprintHit,
    FingerprintScheme,
    fingerprint_text,
    post_fingerprint,
)

NAME = "plagiarism"


def plagiarism_hook(settings: dict[str, Any]) -> Hook:
    """Compare the post with other accounts' recent posts; ``review`` or ``reject`` near copies.

    Settings: ``review_similarity`` (hold at or above), ``reject_similarity`` (reject at
    or above), ``window_days``, ``max_candidates`` (texts fetched to confirm).
    """
    scheme: FingerprintScheme = required_service(settings, "fingerprint_scheme", NAME)
    find: Callable[[Sequence[str]], list[FingerprintHit]] = required_service(settings, "find_fingerprints", NAME)
    post_texts: Callable[[Sequence[str]], dict[str, str]] = required_service(settings, "post_texts", NAME)
    review_at = float(settings.get("review_similarity", 0.4))
    reject_at = float(settings.get("reject_similarity", 0.7))
    window = timedelta(days=float(settings.get("window_days", 30)))
    max_candidates = int(settings.get("max_candidates", 10))
    if not 0 < review_at <= reject_at <= 1:
        raise ValueError("plagiarism thresholds need 0 < review_similarity <= reject_similarity <= 1")

    def check(content: PostContent) -> Verdict:
        band_keys = post_fingerprint(scheme, content).band_keys
        if not band_keys:
            return Verdict.approve(NAME)  # too short to tell a copy from a common phrase
        since = clock.now() - window
        shared: Counter[str] = Counter()
        hits: dict[str, FingerprintHit] = {}
        for hit in find(band_keys):
            if hit.account_id == content.account_id or hit.post_id == content.post_id or hit.at < since:
                continue
            shared[hit.post_id] += 1
            hits[hit.post_id] = hit
        if not shared:
            return Verdict.approve(NAME)
        candidates = [post_id for post_id, _ in shared.most_common(max_candidates)]
        text = fingerprint_text(content.title, content.text)
        originals = post_texts(candidates)
        scores = {pid: scheme.similarity(text, originals[pid]) for pid in candidates if pid in originals}
        copied = [pid for pid, score in scores.items() if score >= review_at]
        if not copied:
            return Verdict.approve(NAME)
        original = min(copied, key=lambda pid: (hits[pid].at, pid))
        top = max(scores[pid] for pid in copied)
        outcome = REJECT if top >= reject_at else REVIEW
        return Verdict(NAME, outcome, "plagiarism",
                       f"内容与账号 {hits[original].account_id} 的帖子 {original} 高度相似 "
                       f"(near copy of post {original}, similarity {scores[original]:.2f})")

    return check
